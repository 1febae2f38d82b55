// etcd 3.4 v3 API over its JSON gateway (/v3/lease/*, /v3/kv/*): the calls
// IRSP's cluster fences account ownership with. Blocking, every call bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/etcd_codec.hpp"
#include "cluster/etcd_result.hpp"

namespace irsp::cluster {

/// A lease as granted.
struct etcd_lease {
  std::int64_t id = 0;
  std::int64_t ttl = 0;      ///< seconds; etcd may raise a small request to its minimum
  std::int64_t revision = 0; ///< header revision at grant (a grant itself writes nothing)
};

/// The outcome of a conditional write (create, compare_and_swap).
struct write_outcome {
  bool applied = false;             ///< the condition held and the write happened
  std::int64_t revision = 0;        ///< header revision of the answer (the write's, if applied)
  std::optional<key_value> current; ///< when not applied: the key as it is now (absent: no key)
};

/// Keys of a get or range, and the revision they were read at.
struct range_outcome {
  std::vector<key_value> kvs;
  std::int64_t revision = 0;
};

/// The outcome of a delete.
struct delete_outcome {
  std::int64_t deleted = 0;
  std::int64_t revision = 0;
};

/// A blocking client of one etcd endpoint. Each call gives up after the
/// request timeout, so a dead or stopped etcd yields an error, never a hang.
/// One instance keeps one HTTP connection and is NOT thread-safe: use one per
/// thread (or guard it); instances are independent.
class etcd_client {
public:
  /// `endpoint` like "http://127.0.0.1:2379"; `timeout` bounds every call
  /// (connect + request + answer).
  etcd_client(std::string endpoint, std::chrono::milliseconds timeout);
  ~etcd_client();
  etcd_client(const etcd_client&) = delete;
  etcd_client& operator=(const etcd_client&) = delete;

  /// The endpoint, as given.
  const std::string& endpoint() const { return endpoint_; }

  /// Grants a lease of `ttl_seconds`.
  etcd_result<etcd_lease> grant(std::int64_t ttl_seconds);
  /// Refreshes lease `id`; the TTL it now has, in seconds; 0 when it has expired
  /// (or never existed).
  etcd_result<std::int64_t> keep_alive(std::int64_t id);
  /// Revokes lease `id`, deleting every key attached to it; the header revision.
  etcd_result<std::int64_t> revoke(std::int64_t id);

  /// Writes `key` unconditionally (attached to `lease` unless 0); the revision.
  etcd_result<std::int64_t> put(const std::string& key, const std::string& value,
                                std::int64_t lease = 0);
  /// Writes `key` only if it does not exist (create_revision == 0). When it
  /// exists, `current` is the existing key: its value, revisions and lease.
  etcd_result<write_outcome> create(const std::string& key, const std::string& value,
                                    std::int64_t lease = 0);
  /// Writes `key` only if it does not exist and `guard` holds `guard_value`
  /// (an empty `guard_value`: only if `guard` does not exist either). When the
  /// write does not happen, `current` is `key` as it is now.
  etcd_result<write_outcome> create_guarded(const std::string& key, const std::string& value,
                                            std::int64_t lease, const std::string& guard,
                                            const std::string& guard_value);
  /// Writes `key` (no lease) only if `guard` exists and holds `guard_value`.
  etcd_result<write_outcome> put_guarded(const std::string& key, const std::string& value,
                                         const std::string& guard,
                                         const std::string& guard_value);
  /// Writes `key` only if its mod_revision is still `expected_mod_revision`.
  etcd_result<write_outcome> compare_and_swap(const std::string& key,
                                              std::int64_t expected_mod_revision,
                                              const std::string& value,
                                              std::int64_t lease = 0);
  /// Reads one key (kvs empty when absent).
  etcd_result<range_outcome> get(const std::string& key);
  /// Reads every key starting with `prefix`, in key order.
  etcd_result<range_outcome> range(const std::string& prefix);
  /// Deletes one key.
  etcd_result<delete_outcome> remove(const std::string& key);

private:
  etcd_result<nlohmann::json> call(const char* path, const nlohmann::json& request);
  etcd_result<write_outcome> conditional_put(const nlohmann::json& compares,
                                             const std::string& key,
                                             const std::string& value, std::int64_t lease);
  std::string failure(const std::string& what) const;

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  struct curl_handle;
  std::unique_ptr<curl_handle> curl_;
};

} // namespace irsp::cluster
