// Prometheus data model: a histogram (cumulative buckets, sum, count).
#include "node/metrics/histogram.hpp"

#include <cmath>
#include <stdexcept>

namespace irsp::metrics {

histogram::histogram(std::vector<double> bounds_seconds)
  : bounds_(std::move(bounds_seconds)),
    counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!(bounds_[i] > 0) || !std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      throw std::invalid_argument("histogram bounds must be positive, finite and increasing");
    bounds_ns_.push_back(static_cast<std::int64_t>(std::llround(bounds_[i] * 1e9)));
  }
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(std::chrono::nanoseconds d) noexcept {
  auto ns = std::max<std::int64_t>(0, d.count());
  std::size_t i = 0;
  while (i < bounds_ns_.size() && ns > bounds_ns_[i]) // le: a bound counts as inside
    ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot out;
  out.bounds = bounds_;
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    out.counts.push_back(counts_[i].load(std::memory_order_relaxed));
  out.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

std::vector<double> histogram::latency_bounds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,    5,    10};
}

} // namespace irsp::metrics
