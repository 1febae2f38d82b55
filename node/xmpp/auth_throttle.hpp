// RFC 6120 §6.4.5, §13.8: bounding password guessing per remote address, and per
// account from each address, without letting anyone lock an owner out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace irsp::xmpp {

/// How many wrong passwords are tolerated before further attempts are
/// answered with `temporary-auth-failure` without checking the credentials.
struct throttle_limits {
  /// Wrong passwords from one address within `window`, whatever the
  /// accounts. Higher than per account, since a household or a carrier NAT
  /// shares one address.
  std::uint32_t per_address = 20;
  /// Wrong passwords for one account from one address within `window`.
  std::uint32_t per_account_and_address = 5;
  /// Wrong passwords for one account from all addresses within `window` that
  /// mark a guessing attack spread over many addresses. From then on an
  /// address that already failed for this account in the window is refused
  /// for it; an address that has not failed is never refused on the
  /// account's behalf, so the owner still gets in.
  std::uint32_t per_account_spread = 20;
  /// Length of the fixed window a count lives in.
  std::chrono::steady_clock::duration window = std::chrono::minutes(1);
  /// Entries kept at most; expired ones are dropped first, and past this even
  /// live ones, oldest window first, so an attacker spraying addresses or
  /// names cannot grow the table without bound.
  std::size_t max_entries = 100000;
};

/// Wrong-password counts shared by every client connection of a node.
/// Thread-safe: connections may run on several threads.
///
/// Counts are kept per address, per (account, address) and per account, so
/// that failures from one address never refuse a correct login from another
/// (issue: five wrong passwords used to lock an account out for everyone).
/// IPv6 addresses count by their /64, which one subscriber gets whole.
class auth_throttle {
public:
  /// Clock of every timestamp passed in.
  using clock = std::chrono::steady_clock;

  /// A throttle with the given limits.
  explicit auth_throttle(throttle_limits limits = {});

  /// False when `address` has used up its failures for the current window.
  bool address_allowed(std::string_view address, clock::time_point now);

  /// False when `address` may not try `account` (a prepared localpart) now:
  /// it used up its failures for this account, or it failed for it at least
  /// once while the account is under a spread attack.
  bool account_allowed(std::string_view account, std::string_view address,
                       clock::time_point now);

  /// Counts one wrong password from `address`; an empty `account` (the name
  /// never got that far) counts for the address only.
  void failed(std::string_view address, std::string_view account, clock::time_point now);

  /// A successful login clears the account's count from this address (not
  /// the address's own: one known password must not reopen guessing at
  /// others from there, nor the account's: the spread attack goes on).
  void succeeded(std::string_view account, std::string_view address);

  /// In a cluster the counts are the AS's, not one node's: a guesser must
  /// not get a node's allowance on every node. `share` is told of each
  /// local failure (`failed` true) and success, outside the lock, to pass
  /// on to the other nodes, which apply it with heard(). Set before use.
  void share_with(std::function<void(bool failed, std::string_view address,
                                     std::string_view account)> share);

  /// A failure or success another node saw: counted as if seen here, not
  /// passed on again.
  void heard(bool failed, std::string_view address, std::string_view account,
             clock::time_point now);

  /// The limits in force.
  const throttle_limits& limits() const noexcept {
    return limits_;
  }

  /// Entries currently held (for tests).
  std::size_t size() const;

  /// What an address counts as: itself, or for IPv6 its /64 prefix.
  static std::string address_bucket(std::string_view address);

private:
  struct window_count {
    clock::time_point start;
    std::uint32_t failures = 0;
  };

  // The live count under `key`, 0 when none or expired (an expired entry is
  // dropped). Requires mutex_.
  std::uint32_t live(const std::string& key, clock::time_point now);
  void count(std::string key, clock::time_point now);

  void count_failure(std::string_view address, std::string_view account, clock::time_point now);

  throttle_limits limits_;
  std::function<void(bool, std::string_view, std::string_view)> share_;
  mutable std::mutex mutex_;
  // Keys: "a:" + address, "u:" + account, "p:" + account + NUL + address;
  // the prefixes keep the three kinds apart.
  std::unordered_map<std::string, window_count> counts_;
};

} // namespace irsp::xmpp
