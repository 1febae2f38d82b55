// RFC 5802 §3, §5.1: a SCRAM client may keep SaltedPassword (it depends only
// on the password, the salt and the iteration count the server sends) and
// skip Hi() on later logins, as real clients do. This is that cache.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace irsp::bench {

/// The cache key of one SaltedPassword: mechanism hash, iteration count,
/// salt (hex) and a fingerprint of the password (the first 8 bytes of its
/// SHA-256, hex), so that a cache file never holds a password, and a key
/// for another password or salt is never used.
std::string scram_key_id(bool sha256, std::string_view password, std::string_view salt,
                         int iterations);

/// SaltedPassword (hex) by scram_key_id. Not thread-safe: each worker thread
/// has its own for what it learns, over one shared, read-only cache loaded
/// from the file before the run.
class scram_key_cache {
public:
  /// The cached SaltedPassword for `id`, if any.
  std::optional<std::string> find(const std::string& id) const;

  /// Remembers `salted_hex` for `id` (replacing an older value).
  void add(std::string id, std::string salted_hex);

  /// Adds every entry of `other`.
  void merge(const scram_key_cache& other);

  /// Number of entries.
  std::size_t size() const noexcept {
    return entries_.size();
  }

  /// All entries (for sending them to the coordinator).
  const std::unordered_map<std::string, std::string>& entries() const noexcept {
    return entries_;
  }

  /// Reads `path` (one "ID SALTED-HEX" line each); a missing file is an
  /// empty cache. False and `error` if the file is unreadable or malformed.
  bool load(const std::string& path, std::string& error);

  /// Writes every entry to `path` (mode 0600: a SaltedPassword lets its
  /// holder log in), through a temporary file renamed into place.
  bool save(const std::string& path, std::string& error) const;

private:
  std::unordered_map<std::string, std::string> entries_;
};

} // namespace irsp::bench
