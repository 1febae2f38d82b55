// IRSP §8.8.3 replay protection: the nonces of accepted requests, remembered
// for as long as their timestamp would still be accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace irsp::http {

/// Remembers (key id, nonce) pairs. A request is accepted only while
/// |now - timestamp| <= window, so its nonce need be kept only until
/// timestamp + window: after that a replay fails the time check anyway.
/// Memory is bounded by `max_entries`: when that many unexpired nonces are
/// held, new requests are refused (`full`) rather than an unexpired nonce
/// forgotten, which would reopen a replay. Thread-safe.
class nonce_window {
public:
  enum class outcome { fresh, replayed, full };

  nonce_window(std::int64_t window_seconds, std::size_t max_entries)
    : window_(window_seconds), max_entries_(max_entries) {}

  /// Records the nonce of a request stamped `timestamp` (Unix seconds)
  /// arriving at `now`; `replayed` if that key already used it within the
  /// window. The caller checks the time window first.
  outcome remember(std::string_view key_id, std::string_view nonce, std::int64_t timestamp,
                   std::int64_t now);

  /// Nonces held now.
  std::size_t size() const;

  /// Where accepted nonces outlive the process, so that a restart does not
  /// reopen their window to replays: `keep(entry, expires)` for each fresh
  /// nonce (before its request goes on), `drop(entries)` for those expired.
  /// Called outside the window's lock. An entry is an opaque string.
  struct persistence {
    std::function<void(const std::string& entry, std::int64_t expires)> keep;
    std::function<void(const std::vector<std::string>& entries)> drop;
  };
  void persist_to(persistence p);

  /// Puts back an entry a previous run kept, unless it has expired by `now`.
  void restore(const std::string& entry, std::int64_t expires, std::int64_t now);

private:
  std::vector<std::string> expire(std::int64_t now);

  std::int64_t window_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  std::multimap<std::int64_t, std::string> by_expiry_;
  persistence persist_;
};

} // namespace irsp::http
