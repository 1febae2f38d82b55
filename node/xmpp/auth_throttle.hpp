// RFC 6120 §6.4.5, §13.8: bounding password guessing per remote address and per account.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace irsp::xmpp {

/// How many failed authentications are tolerated before further attempts are
/// answered with `temporary-auth-failure` without checking the credentials.
struct throttle_limits {
  /// Failures per remote address within `window`. Higher than per account,
  /// since a household or a carrier NAT shares one address.
  std::uint32_t per_address = 20;
  /// Failures per account within `window`, from anywhere.
  std::uint32_t per_account = 5;
  /// Length of the fixed window a count lives in.
  std::chrono::steady_clock::duration window = std::chrono::minutes(1);
  /// Entries kept at most; expired ones are dropped first, and past this even
  /// live ones, oldest window first, so an attacker spraying addresses or
  /// names cannot grow the table without bound.
  std::size_t max_entries = 100000;
};

/// Failure counts shared by every client connection of a node. Thread-safe:
/// connections may run on several threads.
class auth_throttle {
public:
  /// Clock of every timestamp passed in.
  using clock = std::chrono::steady_clock;

  /// A throttle with the given limits.
  explicit auth_throttle(throttle_limits limits = {});

  /// False when `address` has used up its failures for the current window.
  bool address_allowed(std::string_view address, clock::time_point now);

  /// False when `account` (a prepared localpart) has used up its failures.
  bool account_allowed(std::string_view account, clock::time_point now);

  /// Counts one failed attempt from `address` against `account`; an empty
  /// `account` (the name never got that far) counts for the address only.
  void failed(std::string_view address, std::string_view account, clock::time_point now);

  /// A successful login clears the account's count (not the address's: one
  /// known password must not reopen guessing at others from there).
  void succeeded(std::string_view account);

  /// The limits in force.
  const throttle_limits& limits() const noexcept {
    return limits_;
  }

  /// Entries currently held (for tests).
  std::size_t size() const;

private:
  struct window_count {
    clock::time_point start;
    std::uint32_t failures = 0;
  };

  bool allowed(const std::string& key, std::uint32_t limit, clock::time_point now);
  void count(std::string key, clock::time_point now);
  void make_room(clock::time_point now);

  throttle_limits limits_;
  mutable std::mutex mutex_;
  // Keys are "a:" + address or "u:" + account, so the two never collide.
  std::unordered_map<std::string, window_count> counts_;
};

} // namespace irsp::xmpp
