// Prometheus data model: a counter (a value that only goes up).
#pragma once

#include <atomic>
#include <cstdint>

namespace irsp::metrics {

/// A monotonic count. add() is one relaxed atomic add: cheap enough for the
/// message path, and a scrape needs no ordering with other counters.
class counter {
public:
  /// Adds `n` (default one).
  void add(std::uint64_t n = 1) noexcept {
    value_.fetch_add(n, std::memory_order_relaxed);
  }

  /// The count now.
  std::uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<std::uint64_t> value_{0};
};

} // namespace irsp::metrics
