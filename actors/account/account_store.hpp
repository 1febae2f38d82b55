// IRSP §7.1, §8.2: the account server's store — the four exchanges over RocksDB.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/account/account_record.hpp"
#include "actors/account/exchanges.hpp"
#include "actors/account/replicator.hpp"

namespace rocksdb {
class DB;
class Env;
class WriteBatch;
struct Options;
} // namespace rocksdb

namespace irsp::account {

/// How an account store is opened.
struct store_options {
  std::string path;                     ///< RocksDB directory; created if missing
  /// The domain part of every address. Empty: the one the store was created
  /// with ("localhost" for a new store); a different one is refused.
  std::string domain;
  bool sync_writes = true;              ///< WAL fsync before a change is acknowledged
  bool open_registration = true;        ///< accept registrations from clients (non-empty requester)
  std::uint32_t scram_iterations = default_scram_iterations;
  /// Whether resetting a device's code also removes its existing bindings
  /// (default: they survive; the old code only stops binding new users).
  bool reset_unbinds = false;
  rocksdb::Env* env = nullptr;          ///< null: the default; tests inject disk faults
  /// After a failed write RocksDB refuses every further write until it is
  /// resumed or reopened; the store tries that at most this often.
  std::chrono::milliseconds recovery_interval{1000};
  /// Open a store that holds a half-received replica snapshot (only the
  /// backup's replica_applier does, to replace it); otherwise such a store is
  /// refused, since it is a copy of nothing.
  bool accept_partial_replica = false;
};

/// Shared use of the database for one operation: the store does not reopen
/// the database while one is held. `db` is null while the store recovers
/// from a storage fault and has not managed to reopen it yet.
struct db_access {
  std::shared_lock<std::shared_mutex> lock;
  rocksdb::DB* db = nullptr;

  explicit operator bool() const { return db != nullptr; }
  rocksdb::DB* operator->() const { return db; }
};

/// Password, display and device field limits (octets).
constexpr std::size_t min_password_octets = 8;
constexpr std::size_t max_password_octets = 1024;
constexpr std::size_t max_display_name_octets = 256;
constexpr std::size_t max_device_field_octets = 128;

/// The accounts of one node, durable in RocksDB, and the database that the
/// per-account data beside them (bindings, offline queues) lives in, so that
/// deleting an account is one write. Thread-safe: the account server calls it
/// from several detached workers; changes to one address are serialised by a
/// striped lock, so concurrent requests for the same account are safe, and
/// RocksDB batches concurrent WAL syncs into group commits.
///
/// Storage faults: a failed write leaves RocksDB refusing writes; the store
/// then resumes it, or closes and reopens it once the disk takes writes again
/// (checked at most every `recovery_interval`), so it recovers by itself when
/// the fault clears. Meanwhile changes answer storage-failure.
class account_store {
public:
  /// Opens (or creates) the store; on failure returns null and sets `error`
  /// to one line naming the problem.
  static std::unique_ptr<account_store> open(const store_options& options,
                                             std::string& error);

  ~account_store();
  account_store(const account_store&) = delete;
  account_store& operator=(const account_store&) = delete;

  /// §8.2.1
  register_response register_account(const register_request& request);
  /// §8.2.2
  modify_response modify(const modify_request& request);
  /// §8.2.3
  delete_response remove(const delete_request& request);
  /// §8.2.4
  reset_code_response reset_code(const reset_code_request& request);

  /// The public view of one account.
  std::optional<account_view> find(std::string_view address) const;

  /// The full record, secrets included, of a normalised address; nullopt when
  /// there is none or it could not be read (use lookup() to tell them apart).
  std::optional<account_record> find_record(std::string_view address) const;

  /// The full record of a normalised address, telling a missing account from
  /// a failed read.
  lookup_status lookup(std::string_view address, account_record& out) const;
  /// The same, within an operation that already has the database.
  lookup_status lookup(const db_access& db, std::string_view address, account_record& out) const;
  /// Whether a normalised address has an account, without decoding it.
  lookup_status exists(const db_access& db, std::string_view address) const;

  /// Visits every account in address order; stop by returning false.
  void for_each(const std::function<bool(const account_view&)>& visit) const;

  /// Normalises `address` (prepared localpart, this store's domain); nullopt
  /// when it is not an address of this domain.
  std::optional<std::string> normalise(std::string_view address) const;

  const store_options& options() const { return options_; }

  /// Whether this copy is a replica snapshot that was never completed (only
  /// opened with accept_partial_replica): it must not be served.
  bool partial_replica() const;

  /// The database, for modules that keep per-account data beside the account
  /// (bindings, offline queues; their keys are in account_keys.hpp). Hold it
  /// for one operation only; after taking an address lock, never before.
  db_access access() const;

  /// Writes `batch` (WAL synced when sync_writes or `force_sync`) and, when
  /// a replicator is set, has it copied to the backup; ok only when every
  /// copy holds it. After a failed local write the store starts recovering.
  /// Every change of the store and of the modules beside it goes through
  /// here: it is the one point where replication hooks in.
  write_status write(const db_access& db, rocksdb::WriteBatch& batch,
                     bool force_sync = false) const;

  /// How many shards the cluster's account store was made with (recorded
  /// in shard 0): 0 when never recorded and the store holds no account, 1
  /// when never recorded but it does (a store of before sharding); nullopt
  /// on a read error.
  std::optional<std::size_t> shard_count() const;
  /// Records it (this copy only: every member records the same).
  bool set_shard_count(std::size_t shards);
  /// Writes `batch` here only, never through the replicator: for the
  /// backup's applier, whose batches are copies already.
  write_status write_unreplicated(const db_access& db, rocksdb::WriteBatch& batch,
                                  bool sync) const;
  /// True after a failed write until the store has recovered: changes
  /// answer storage-failure meanwhile (for /health).
  bool write_faulted() const noexcept { return needs_recovery_.load(std::memory_order_relaxed); }

  /// From now on every write is also copied by `r` (null: local writes only,
  /// as on a node without replication).
  void set_replicator(std::shared_ptr<replicator> r);

  /// Serialises changes to one account: every change to an address's keys
  /// (account, bindings, queue) is made holding its lock.
  std::unique_lock<std::mutex> lock(std::string_view address);

  /// The locks of two addresses, taken in a fixed order so that two callers
  /// locking the same pair cannot deadlock; the second is empty when both
  /// addresses share a stripe.
  std::pair<std::unique_lock<std::mutex>, std::unique_lock<std::mutex>>
  lock_both(std::string_view a, std::string_view b);

private:
  account_store(store_options options, std::unique_ptr<rocksdb::Options> db_options,
                std::unique_ptr<rocksdb::DB> db);

  std::size_t stripe_of(std::string_view address) const;
  void recover() const;
  bool writable() const;

  store_options options_;
  std::unique_ptr<rocksdb::Options> db_options_;
  std::array<std::mutex, 64> stripes_;
  // Recovery replaces db_ under an exclusive lock; everything else shares it.
  mutable std::shared_mutex db_mutex_;
  mutable std::unique_ptr<rocksdb::DB> db_;
  mutable std::atomic<bool> needs_recovery_{false};
  mutable std::chrono::steady_clock::time_point last_recovery_{};
  mutable std::mutex replicator_mutex_;
  std::shared_ptr<replicator> replicator_;
};

} // namespace irsp::account
