// Prometheus data model: a histogram (cumulative buckets, sum, count).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace irsp::metrics {

/// Durations counted into fixed buckets. observe() is a short scan of the
/// bounds and two relaxed atomic adds: no lock, no allocation. A scrape
/// reads the buckets one by one, so under load it may see an observation in
/// its bucket and not yet in the sum (Prometheus tolerates that).
class histogram {
public:
  /// What a scrape reads: per-bucket counts (not cumulative), the last one
  /// above every bound (+Inf), and the sum in seconds.
  struct snapshot {
    std::vector<double> bounds; ///< upper bounds, seconds, increasing
    std::vector<std::uint64_t> counts; ///< bounds.size() + 1 entries
    double sum_seconds = 0;
  };

  /// Buckets with these upper bounds in seconds (increasing, positive);
  /// throws std::invalid_argument otherwise.
  explicit histogram(std::vector<double> bounds_seconds);

  /// Counts one duration.
  void observe(std::chrono::nanoseconds d) noexcept;

  /// The counts now.
  snapshot read() const;

  /// Bounds for latencies of an in-process exchange: 50 us to 10 s.
  static std::vector<double> latency_bounds();

private:
  std::vector<double> bounds_;
  std::vector<std::int64_t> bounds_ns_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> sum_ns_{0};
};

} // namespace irsp::metrics
