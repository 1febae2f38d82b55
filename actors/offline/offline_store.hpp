// XEP-0160-style offline storage for IRSP §8.3.3 pushes and user<->device
// messages: durable, bounded per account, with expiry.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/message/exchanges.hpp"

namespace rocksdb {
class DB;
class Env;
} // namespace rocksdb

namespace irsp::offline {

/// How the offline store is opened and bounded.
struct offline_options {
  std::string path;                       ///< RocksDB directory
  std::size_t max_per_account = 100;      ///< the cap; more is refused with queue-full
  std::int64_t ttl_ms = 7LL * 24 * 3600 * 1000; ///< a stored message expires after this
  bool sync_writes = true;
  rocksdb::Env* env = nullptr;            ///< null: the default; tests inject disk faults
};

/// What enqueue came to.
enum class enqueue_result { queued, full, failed };

/// Stored messages of one account, oldest first, and the key to ack them by.
struct drained {
  std::vector<message::delivery> messages;
  std::string last_key; ///< pass to ack() once the messages are handed on
};

/// The queue of every account of a node in one RocksDB. Thread-safe.
/// Overflow rule: when an account's queue is at its cap, new messages are
/// refused (the sender sees queue-full); nothing stored is dropped silently.
class offline_store {
public:
  static std::unique_ptr<offline_store> open(const offline_options& options, std::string& error);
  ~offline_store();

  /// Stores `d` for `address` durably (WAL synced) unless the queue is full.
  enqueue_result enqueue(const std::string& address, message::delivery d);

  /// The unexpired messages of `address` in the order they were stored;
  /// expired ones are deleted on the way.
  drained peek(const std::string& address);

  /// Deletes the messages of `address` up to and including `last_key`.
  bool ack(const std::string& address, const std::string& last_key);

  /// How many messages are stored for `address`.
  std::size_t size(const std::string& address);

private:
  offline_store(offline_options options, std::unique_ptr<rocksdb::DB> db, std::uint64_t seq);
  std::size_t count_locked(const std::string& address);
  /// One pass over an account's queue: deletes what expired, recounts, and
  /// collects the rest into `live` when given. The caller holds mutex_.
  void scan_locked(const std::string& address, drained* live);

  offline_options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::mutex mutex_;
  std::uint64_t next_seq_;
  std::unordered_map<std::string, std::size_t> counts_;
};

} // namespace irsp::offline
