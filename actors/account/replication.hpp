// Issue 14: the primary side of an account shard's replication — every
// change is on the backup's disk too before it is acknowledged.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/account/replicator.hpp"

namespace rocksdb {
class DB;
class Snapshot;
} // namespace rocksdb

namespace irsp::account {

class account_store;

/// How a replication source waits.
struct replication_options {
  /// The longest a write waits for the backup (or for a snapshot in progress)
  /// before it is refused with storage-unavailable; also each snapshot step's.
  std::chrono::milliseconds timeout{5000};
  /// Snapshot chunks are cut at about this many bytes of keys and values.
  std::size_t chunk_bytes = 1 << 20;
};

/// The primary's end of one shard (today: the whole account store). Set on
/// the store by make(); from then on a change is acknowledged only when the
/// backup attached with attach_backup() has synced it too. Without a live
/// backup every write is refused (write_status::unavailable, which the
/// exchanges answer as storage-unavailable) before it touches the local
/// disk: a change on one copy only must not be acknowledged.
///
/// Order: the local writes of concurrent changes run in parallel (RocksDB
/// group-commits their WAL syncs); the sequence number is assigned, and the
/// batch sent, after the local write under one mutex, so the backup receives
/// batches in sequence order. Batches that touch the same key are written by
/// callers holding the same address lock, so they are never in flight
/// together and the backup's order matches the primary's wherever it matters.
///
/// A backup that refuses or does not answer within the timeout is dropped
/// at once (later writes are refused until one is attached again, with a
/// fresh snapshot): its copy may lack that change, and live batches cannot
/// fill the hole. The refused change may remain in the primary's copy,
/// unacknowledged — as after a crash between the local sync and the reply;
/// the next snapshot gives it to the backup too, so the copies converge.
///
/// Thread-safe; blocking: call it from detached actors or plain threads
/// (the account server's workers, the offline queue, the role assigner),
/// never from a cooperatively scheduled actor.
class replication_source : public replicator {
public:
  /// A source for `store`, set as its replicator. The store must outlive the
  /// source's use; store.set_replicator(nullptr) ends replication.
  static std::shared_ptr<replication_source>
  make(caf::actor_system& system, account_store& store, replication_options options = {});

  /// Makes `applier` (a replica_applier told `epoch`) this shard's backup:
  /// ships a snapshot of the whole store, taken at the current sequence
  /// number, then switches to live batches from there. Writes wait while the
  /// snapshot runs. Replaces any previous backup. False (and no backup)
  /// when the applier refused or did not answer in time, or `confirm`
  /// (called once the snapshot is whole, before the backup counts; writes
  /// still wait) returned false.
  bool attach_backup(const caf::actor& applier, std::uint64_t epoch,
                     const std::function<bool()>& confirm = {});

  /// Drops the backup: from now on every write is refused.
  void detach();

  /// Whether a backup is attached and live.
  bool live() const;

  /// The sequence number of the last batch sent.
  std::uint64_t sequence() const;

  write_status replicate(rocksdb::WriteBatch& batch,
                         const std::function<bool()>& local_write) override;

  replication_source(caf::actor_system& system, account_store& store,
                     replication_options options);

private:
  bool ship_snapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot,
                     const caf::actor& applier, std::uint64_t epoch, std::uint64_t seq);

  caf::actor_system& system_;
  account_store& store_;
  replication_options options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  caf::actor backup_;           // null: no live backup
  std::uint64_t epoch_ = 0;
  std::uint64_t seq_ = 0;
  std::size_t in_flight_ = 0;   // writes between their check and their answer
  bool snapshotting_ = false;
};

} // namespace irsp::account
