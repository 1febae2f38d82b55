// Prometheus data model: a gauge (a value that goes up and down).
#pragma once

#include <atomic>
#include <cstdint>

namespace irsp::metrics {

/// A level kept by whoever changes it (relaxed atomics). A level that
/// something else already keeps is better read at scrape time instead
/// (registry::add_gauge_callback), costing nothing in between.
class gauge {
public:
  /// Raises the level by `n`.
  void add(std::int64_t n = 1) noexcept {
    value_.fetch_add(n, std::memory_order_relaxed);
  }

  /// Lowers the level by `n`.
  void sub(std::int64_t n = 1) noexcept {
    value_.fetch_sub(n, std::memory_order_relaxed);
  }

  /// Sets the level.
  void set(std::int64_t v) noexcept {
    value_.store(v, std::memory_order_relaxed);
  }

  /// The level now.
  std::int64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<std::int64_t> value_{0};
};

} // namespace irsp::metrics
