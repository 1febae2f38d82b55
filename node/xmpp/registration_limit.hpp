// XEP-0077 §3.1, §14 (security): bounding in-band registrations per remote address.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

namespace irsp::xmpp {

/// How many in-band registrations one address may make.
struct registration_limits {
  /// Registrations per address within `window`; 0: no limit.
  std::uint32_t per_address = 10;
  /// Length of the fixed window a count lives in.
  std::chrono::steady_clock::duration window = std::chrono::hours(1);
  /// Addresses never limited: the node's own host by default (an operator's
  /// scripts and irsp-bench register from there), as Prosody's
  /// `registration_whitelist` does. A proxy on the same host would hide
  /// every client behind these; such a setup empties this set.
  std::set<std::string, std::less<>> exempt = {"127.0.0.1", "::1"};
  /// Entries kept at most (oldest windows dropped first past this).
  std::size_t max_entries = 100000;
};

/// Registration counts shared by every client connection of a node.
/// Thread-safe. A registration reserves a slot before it is sent to the
/// account server and gives it back unless it succeeded, so pipelined
/// requests cannot overshoot and a refused name costs nothing.
class registration_limit {
public:
  /// Clock of every timestamp passed in.
  using clock = std::chrono::steady_clock;

  /// A limit with the given bounds.
  explicit registration_limit(registration_limits limits = {});

  /// Takes a slot for one registration from `address`; false when the
  /// address has none left in this window.
  bool reserve(std::string_view address, clock::time_point now);

  /// Gives back a slot taken by reserve() whose registration did not
  /// create an account.
  void release(std::string_view address);

  /// The limits in force.
  const registration_limits& limits() const noexcept {
    return limits_;
  }

  /// Entries currently held (for tests).
  std::size_t size() const;

private:
  struct window_count {
    clock::time_point start;
    std::uint32_t used = 0;
  };

  bool limited(std::string_view address) const;

  registration_limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, window_count> counts_;
};

} // namespace irsp::xmpp
