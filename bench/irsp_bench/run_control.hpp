// irsp-bench: the phases of a run, set by the coordinator and followed by
// every worker thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "bench/irsp_bench/xmpp_client.hpp"

namespace irsp::bench {

/// Phases of a run, in order; each worker follows the coordinator's.
enum class run_phase : int {
  /// Opening connections at the ramp rate and logging them in.
  connect,
  /// Holding the sessions idle (the connect scenario).
  hold,
  /// Sending round trips (echo, message).
  traffic,
  /// No new sends; waiting for outstanding replies.
  drain,
  /// Closing every session.
  close,
};

/// Nanoseconds on bench_clock, the form timestamps travel in stanzas.
inline std::int64_t to_ns(bench_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// What the coordinator tells the workers. Plain atomics: workers look at it
/// on every turn of their loop (at least every 10 ms).
struct run_control {
  /// The phase in force.
  std::atomic<run_phase> phase{run_phase::connect};
  /// When the ramp starts: connection i opens at ramp_start + i / ramp.
  std::atomic<std::int64_t> ramp_start_ns{0};
  /// Traffic runs over [traffic_start, traffic_end); set before phase becomes traffic.
  std::atomic<std::int64_t> traffic_start_ns{0};
  /// See traffic_start_ns.
  std::atomic<std::int64_t> traffic_end_ns{0};
};

/// What one worker tells the coordinator.
struct worker_status {
  /// Every connection of the worker is ready or has failed.
  std::atomic<bool> settled{false};
  /// No reply is outstanding any more (or the wait timed out).
  std::atomic<bool> drained{false};
  /// Every connection is closed; the worker's result may be read.
  std::atomic<bool> finished{false};
  /// Sessions ready so far (for progress lines).
  std::atomic<int> ready{0};
  /// Logins failed so far.
  std::atomic<int> failed{0};
};

} // namespace irsp::bench
