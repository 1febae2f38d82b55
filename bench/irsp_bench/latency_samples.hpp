// irsp-bench: latency samples and their percentiles.
#pragma once

#include <cstdint>
#include <vector>

namespace irsp::bench {

/// Summary of a set of durations, in microseconds.
struct latency_summary {
  /// Number of samples.
  std::uint64_t count = 0;
  /// Arithmetic mean.
  double mean_us = 0;
  /// Percentiles (nearest rank) and the extremes.
  double min_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};

/// Every duration recorded, kept exactly: a run is bounded in time, so the
/// samples fit in memory (8 bytes each; 10 M round trips = 80 MB), and exact
/// percentiles spare the reader any question about histogram resolution.
class latency_samples {
public:
  /// Records one duration in nanoseconds.
  void add(std::int64_t ns) {
    ns_.push_back(ns);
  }

  /// Appends all of `other`'s samples (merging the threads' results).
  void merge(const latency_samples& other);

  /// Every sample, in the order recorded (for sending them to the
  /// coordinator process).
  const std::vector<std::int64_t>& values() const noexcept {
    return ns_;
  }

  /// Number of samples recorded.
  std::size_t size() const noexcept {
    return ns_.size();
  }

  /// Sorts a copy and summarises it; all zero when empty.
  latency_summary summarise() const;

private:
  std::vector<std::int64_t> ns_;
};

} // namespace irsp::bench
