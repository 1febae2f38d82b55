// ISO/IEC 14543-5-8 binding: wrong verification codes are rate-limited per
// user and per device, in a table that expires and has a size bound.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace irsp::account {

/// Wrong codes allowed per user and per device within `attempt_window`
/// before binds are refused with `too-many-attempts` (the defaults).
constexpr int max_failed_bind_attempts = 5;
constexpr std::chrono::minutes attempt_window{10};

/// How many wrong codes are tolerated, for how long, in how large a table.
struct bind_attempt_limits {
  /// Wrong codes per user and per device within `window` before binds are
  /// refused with `too-many-attempts`.
  int max_failures = max_failed_bind_attempts;
  /// Length of the fixed window a count lives in.
  std::chrono::steady_clock::duration window = attempt_window;
  /// Entries kept at most: expired ones are dropped first, and past this the
  /// older half of the live ones, so the table cannot grow without bound.
  std::size_t max_entries = 100000;
};

/// Failure counts keyed by "u:<user>" or "d:<device>". Thread-safe.
class bind_attempts {
public:
  using clock = std::chrono::steady_clock;

  explicit bind_attempts(bind_attempt_limits limits = {});

  /// False while `key` has used up its wrong codes for the current window.
  bool allowed(const std::string& key, clock::time_point now);

  /// Counts one wrong code against `key`.
  void failed(const std::string& key, clock::time_point now);

  /// Entries currently held (for tests).
  std::size_t size() const;

private:
  struct window_count {
    clock::time_point start;
    int failures = 0;
  };


  bind_attempt_limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, window_count> counts_;
};

} // namespace irsp::account
