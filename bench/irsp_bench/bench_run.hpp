// irsp-bench: the coordinator. Forks the worker processes, moves their
// threads through the phases, samples the server between phases, and merges
// the workers' results exactly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/irsp_bench/bench_options.hpp"
#include "bench/irsp_bench/connection_plan.hpp"
#include "bench/irsp_bench/process_sample.hpp"
#include "bench/irsp_bench/run_result.hpp"

namespace irsp::bench {

/// Process readings and wall times taken by the coordinator.
struct run_measurements {
  /// Server before the first connection (summed over --server-pid).
  std::optional<process_sample> server_before;
  /// Server once every login has succeeded or failed.
  std::optional<process_sample> server_connected;
  /// Server after the hold's warm-up (connect scenario): the idle window starts.
  std::optional<process_sample> server_hold_start;
  /// Server at the end of the hold (connect) or after the drain (echo, message).
  std::optional<process_sample> server_after;
  /// The client's CPU seconds (coordinator and every worker process) at the
  /// same points.
  double client_cpu_before = 0, client_cpu_connected = 0, client_cpu_hold_start = 0,
         client_cpu_after = 0;
  /// Ramp start to the last login settled, seconds.
  double connect_seconds = 0;
  /// The measured traffic window (duration minus warm-up), seconds.
  double window_seconds = 0;
  /// The measured idle window of the connect scenario's hold, seconds.
  double hold_seconds = 0;
  /// True if the coordinator stopped waiting for logins at its hard deadline.
  bool connect_deadline_hit = false;
  /// When the run started (UTC, ISO 8601).
  std::string started_utc;
  /// How the connections were spread.
  connection_plan plan;
  /// SCRAM keys in the cache file before the run, and after it.
  std::size_t keys_loaded = 0, keys_saved = 0;
  /// Things that went wrong without stopping the run (a worker process
  /// died, the key cache could not be saved).
  std::vector<std::string> warnings;
};

/// Everything a run produced.
struct run_outcome {
  /// Merged counts and samples of all workers.
  run_result result;
  /// Readings taken between phases.
  run_measurements measurements;
  /// Why the run could not be made at all; empty if it ran.
  std::string error;
};

/// Runs the benchmark `options` describe; bounded in time by the options
/// (ramp + login timeout + duration + reply timeout + close grace).
run_outcome run_bench(const bench_options& options);

} // namespace irsp::bench
