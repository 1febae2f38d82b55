// irsp-bench: XMPP c2s load generator for any server on this machine
// (DESIGN.md §4 "Measured speed"). See bench/README.md.
#include <csignal>
#include <cstdio>

#include "bench/irsp_bench/bench_options.hpp"
#include "bench/irsp_bench/bench_report.hpp"
#include "bench/irsp_bench/bench_run.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto options = irsp::bench::parse_options(argc, argv, exit_code);
  if (!options)
    return exit_code;
  // A server hanging up mid-write must show as a failed connection, not kill the run.
  std::signal(SIGPIPE, SIG_IGN);
  auto outcome = irsp::bench::run_bench(*options);
  if (!outcome.error.empty()) {
    std::fprintf(stderr, "irsp-bench: %s\n", outcome.error.c_str());
    return 1;
  }
  irsp::bench::print_report(stdout, *options, outcome);
  // Nonzero when nothing worked, so scripts notice a dead target.
  return outcome.result.ready > 0 || options->users == 0 ? 0 : 1;
}
