#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian 12 packages this project needs that are not
# installed yet. Run as root (or with sudo available). Prints what it does.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libsimdjson-dev rapidjson-dev libroaring-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} required packages are already installed."
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root." >&2
    exit 1
  fi
fi

echo "install-deps: installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done."
