// irsp-bench: the run's figures, as text for people or JSON for scripts.
#pragma once

#include <cstdio>

#include "bench/irsp_bench/bench_options.hpp"
#include "bench/irsp_bench/bench_run.hpp"

namespace irsp::bench {

/// Writes the report of `outcome` to `out`: aligned text, or with
/// `options.json` one JSON object (latencies in microseconds).
void print_report(std::FILE* out, const bench_options& options, const run_outcome& outcome);

} // namespace irsp::bench
