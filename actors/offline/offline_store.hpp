// XEP-0160-style offline storage for IRSP §8.3.3 pushes and user<->device
// messages: durable, bounded per account, with expiry.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/message/exchanges.hpp"

namespace irsp::account {
class account_store;
}

namespace irsp::offline {

/// How the offline store is bounded.
struct offline_options {
  std::size_t max_per_account = 100;      ///< the cap; more is refused with queue-full
  std::int64_t ttl_ms = 7LL * 24 * 3600 * 1000; ///< a stored message expires after this
};

/// What enqueue came to (the offline queue actor answers it as an int, in
/// this order).
enum class enqueue_result { queued, full, failed, no_account, unavailable };

/// Stored messages of one account, oldest first, and the key to ack them by.
struct drained {
  std::vector<message::delivery> messages;
  std::string last_key; ///< pass to ack() once the messages are handed on
};

/// The queue of every account of a node, kept in the account store's RocksDB
/// beside the accounts (keys in actors/account/account_keys.hpp), so that
/// deleting an account deletes its queue in the same write. Each queue has a
/// small record of its length and next sequence number, so nothing is
/// counted or kept in memory. Thread-safe: changes to a queue hold its
/// account's address lock, the one deletion holds, and enqueue checks under
/// it that the account exists.
/// Overflow rule: when an account's queue is at its cap, new messages are
/// refused (the sender sees queue-full); nothing stored is dropped silently.
class offline_store {
public:
  offline_store(std::shared_ptr<account::account_store> accounts, offline_options options);

  /// Stores `d` for `address` (normalised) durably unless the queue is full
  /// or there is no such account.
  enqueue_result enqueue(const std::string& address, message::delivery d);

  /// The unexpired messages of `address` in the order they were stored;
  /// expired ones are deleted on the way.
  drained peek(const std::string& address);

  /// Deletes the messages of `address` up to and including `last_key`.
  bool ack(const std::string& address, const std::string& last_key);

  /// How many messages are stored for `address` (expired ones included
  /// until a peek or a full queue drops them).
  std::size_t size(const std::string& address);

  /// How many messages are stored for all accounts: one read of each
  /// account's queue length (accounts with a queue only), for an operator's
  /// scrape, not a hot path. nullopt when the store cannot be read.
  std::optional<std::uint64_t> total();

private:
  std::shared_ptr<account::account_store> accounts_;
  offline_options options_;
};

} // namespace irsp::offline
