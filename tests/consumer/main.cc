// Links the installed library and checks one round trip; exit code 0 means it worked.
#include <kora/kora.h>

#include <iostream>

int main() {
  auto db = kora::Database::open(kora::Config{.shard_count = 2});
  if (!db.ok()) {
    std::cerr << db.status().to_string() << '\n';
    return 1;
  }
  if (!(*db)->set("consumer", "works").ok()) return 1;
  auto value = (*db)->get("consumer");
  if (!value.ok() || *value != std::optional<std::string>("works")) return 1;
  std::cout << "consumer: find_package(kora) and kora::kora work\n";
  return 0;
}
