// `kora demo`: opens an embedded Database and walks through real work, printing each step.
#pragma once

#include <iosfwd>

namespace kora::cli {

// Returns the process exit code: 0 when every step behaved as expected.
int run_demo(std::ostream& out);

}  // namespace kora::cli
