// When to give the memory of closed connections back to the system.
#pragma once

#include <atomic>
#include <cstddef>

namespace irsp::net {

/// glibc's malloc keeps what is freed inside its heaps and returns by itself
/// only the free top of the main heap; sessions are allocated on several
/// threads, in between longer-lived objects, so after 10,000 sessions close
/// the RSS stays at its peak. This decides when `release()` (malloc_trim)
/// is worth running: once the connection count has fallen by a quarter of
/// its peak and by at least `min_drop`. Thread-safe; the caller schedules
/// the release (off the I/O thread, after the objects of the closed
/// sessions are gone) and then calls `released`.
class memory_release {
public:
  explicit memory_release(std::size_t min_drop = 1024) : min_drop_(min_drop) {
  }

  /// A connection opened; `count` connections are open now.
  void opened(std::size_t count) noexcept;

  /// A connection closed; `count` are open now. True exactly once per
  /// fall: the caller then schedules a release.
  bool closed(std::size_t count) noexcept;

  /// The scheduled release ran with `count` connections open: the peak
  /// starts again from there.
  void released(std::size_t count) noexcept;

  /// Returns the free memory of every malloc arena to the system.
  static void release() noexcept;

private:
  std::size_t min_drop_;
  std::atomic<std::size_t> peak_{0};
  std::atomic<bool> pending_{false};
};

} // namespace irsp::net
