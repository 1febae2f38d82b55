// irsp-bench: a process's resident memory and CPU time, read from /proc.
#pragma once

#include <optional>

namespace irsp::bench {

/// One reading of a process's footprint.
struct process_sample {
  /// VmRSS from /proc/PID/status, in KiB.
  long rss_kib = 0;
  /// utime + stime, in seconds (all threads).
  double cpu_seconds = 0;
};

/// Reads `pid`'s VmRSS and CPU time; nullopt if the process is gone or
/// /proc cannot be read.
std::optional<process_sample> sample_process(int pid);

/// This process's own CPU time (user + system, all threads), in seconds.
double own_cpu_seconds();

} // namespace irsp::bench
