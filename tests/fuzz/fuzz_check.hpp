// Invariant checks for the libFuzzer targets: a broken invariant aborts, which libFuzzer
// reports as a crash and saves the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace irsp::fuzz {

/// Aborts with `what` on stderr unless `ok`. Not assert(): it must hold in
/// every build type the fuzzers are built with.
inline void check(bool ok, std::string_view what) {
  if (ok)
    return;
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

} // namespace irsp::fuzz
