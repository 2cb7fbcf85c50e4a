// The `kora` command-line tool.
#include <iostream>
#include <string_view>

#include "cli/demo.h"

namespace {

constexpr std::string_view kUsage =
    "usage: kora <command>\n"
    "\n"
    "commands:\n"
    "  demo    open an embedded database, do key-value work and print what happened\n"
    "  help    show this text\n";

}  // namespace

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "demo";
  if (command == "demo") return kora::cli::run_demo(std::cout);
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "kora: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
