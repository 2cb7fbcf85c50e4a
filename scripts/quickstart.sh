#!/usr/bin/env bash
# The README's Quick start.
#   scripts/quickstart.sh demo   install what is missing, build (Release), run `kora demo`
#   scripts/quickstart.sh test   install what is missing, build and run every test:
#                                Release + all tests + the install/find_package check,
#                                ASan+UBSan + all tests, TSan + the concurrency tests
# Build trees go under build/ (override with KORA_BUILD_ROOT).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${KORA_BUILD_ROOT:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
mode=${1:-}

step() { printf '\n== %s ==\n' "$*"; }

configure_and_build() {  # <dir> <cmake args...>
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

run_tests() {  # <dir> [ctest args...]
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 "$@"
}

case "$mode" in
  demo)
    step "Installing missing packages"
    "$root/scripts/install-deps.sh"
    step "Building (Release)"
    configure_and_build "$build_root/release" -DCMAKE_BUILD_TYPE=Release \
      -DKORA_BUILD_TESTS=OFF -DKORA_BUILD_BENCH=OFF
    step "Running: kora demo"
    "$build_root/release/src/cli/kora" demo
    ;;
  test)
    step "Installing missing packages"
    "$root/scripts/install-deps.sh"

    step "Release build and all tests"
    configure_and_build "$build_root/release" -DCMAKE_BUILD_TYPE=Release
    run_tests "$build_root/release"

    step "Install, then build a separate project with find_package(kora)"
    rm -rf "$build_root/prefix" "$build_root/consumer"
    cmake --install "$build_root/release" --prefix "$build_root/prefix" >/dev/null
    cmake -S "$root/tests/consumer" -B "$build_root/consumer" -G Ninja \
      -DCMAKE_PREFIX_PATH="$build_root/prefix" >/dev/null
    cmake --build "$build_root/consumer"
    "$build_root/consumer/kora_consumer"

    step "ASan+UBSan build and all tests"
    configure_and_build "$build_root/asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DKORA_SANITIZE="address;undefined" -DKORA_BUILD_BENCH=OFF -DKORA_BUILD_CLI=OFF
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      run_tests "$build_root/asan"

    step "TSan build and the concurrency tests"
    configure_and_build "$build_root/tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DKORA_SANITIZE=thread -DKORA_BUILD_BENCH=OFF -DKORA_BUILD_CLI=OFF
    TSAN_OPTIONS=halt_on_error=1 run_tests "$build_root/tsan" -L concurrency

    step "All tests passed"
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
