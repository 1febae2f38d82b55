// irsp-bench: what a worker process hands the coordinator when it is done:
// its merged result (every latency sample, not percentiles, so that the
// coordinator's percentiles are exact) and the SCRAM keys it computed. The
// bytes travel over a pipe between processes of the same binary.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bench/irsp_bench/run_result.hpp"
#include "bench/irsp_bench/scram_key_cache.hpp"

namespace irsp::bench {

/// One worker process's contribution to the run.
struct worker_report {
  /// Its threads' results, merged.
  run_result result;
  /// SaltedPasswords it computed (cache misses), for the coordinator to save.
  scram_key_cache learned_keys;
};

/// The report as bytes (host byte order: only ever read by the same binary
/// on the same machine).
std::string encode_report(const worker_report& report);

/// Reads what encode_report wrote; nullopt if `bytes` is truncated, has
/// trailing garbage or does not start with the format's tag.
std::optional<worker_report> decode_report(std::string_view bytes);

} // namespace irsp::bench
