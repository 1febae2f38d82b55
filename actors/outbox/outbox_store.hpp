// IRSP §8.8.2: the durable outbox and the endpoint registry, in the account
// store's RocksDB (keys in actors/account/account_keys.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/outbox/outbox_record.hpp"

namespace irsp::account {
class account_store;
}

namespace irsp::outbox {

/// What adding or removing an endpoint came to.
enum class endpoint_change { ok, exists, no_such_endpoint, failed };

/// The messages internal applications send to external endpoints, from
/// acceptance to delivery or dead letter, and the endpoints they go to.
/// Every change is one synced write (at-least-once: nothing answered
/// `queued` is lost to a kill -9). Thread-safe: one mutex orders the changes,
/// so sequence numbers are written in the order they are given out.
class outbox_store {
public:
  explicit outbox_store(std::shared_ptr<account::account_store> accounts);

  /// Registers `e` (validated by the caller: check_endpoint).
  endpoint_change add_endpoint(const external_endpoint& e);
  /// Removes an endpoint. Its undelivered messages stay; the next start
  /// dead-letters them (no-such-endpoint).
  endpoint_change remove_endpoint(const std::string& name);
  /// Every registered endpoint, by name; nullopt when they cannot be read.
  std::optional<std::vector<external_endpoint>> endpoints() const;
  std::optional<external_endpoint> find_endpoint(const std::string& name) const;

  /// Accepts a message of `application` for `endpoint` under `key`: stored
  /// and synced when the answer is QUEUED. A key the application has used
  /// before is DUPLICATE and stores nothing. Checks the key and endpoint,
  /// not the payload's size (the caller's limit).
  SendExternalStatus enqueue(const std::string& application, const std::string& endpoint,
                             const std::string& key, const std::string& payload,
                             std::int64_t now_ms);

  /// The message `application` sent under `key`; state UNKNOWN when there is
  /// none, nullopt when it cannot be read.
  std::optional<outbox_message> find(const std::string& application,
                                     const std::string& key) const;

  /// Up to `limit` undelivered messages of `endpoint` with a sequence number
  /// above `after`, in order.
  std::vector<outbox_message> pending(const std::string& endpoint, std::uint64_t after,
                                      std::size_t limit) const;

  /// Records an attempt that failed and will be retried: state DELIVERING.
  bool record_failure(const outbox_message& m, std::uint32_t attempts, const std::string& error);
  /// Ends a message: DELIVERED (its payload dropped) or DEAD_LETTER (kept);
  /// it leaves the pending order in the same write.
  bool finish(const outbox_message& m, ExternalState state, std::uint32_t attempts,
              const std::string& error, std::int64_t now_ms);

  /// Dead-letters every undelivered message whose endpoint is not registered
  /// (removed while it waited); returns how many.
  std::size_t dead_letter_orphans(std::int64_t now_ms);

  /// Metrics hook: messages accepted and neither delivered nor dead-lettered
  /// (the outbox depth), counted at construction and kept up to date.
  std::uint64_t depth() const { return depth_.load(); }

private:
  bool update(const outbox_message& m, bool leave_pending);
  std::shared_ptr<account::account_store> accounts_;
  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> depth_{0};
};

} // namespace irsp::outbox
