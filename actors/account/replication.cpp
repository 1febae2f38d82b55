// Issue 14: primary -> backup replication of the account store.
#include "actors/account/replication.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <caf/all.hpp>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/replica_atoms.hpp"

namespace irsp::account {

namespace {

// One request to the applier, waited for at most `timeout`: true when it
// answered with `expect` (or anything, when `expect` is null).
template <class... Ts>
bool ask(caf::scoped_actor& self, const caf::actor& applier, std::chrono::milliseconds timeout,
         const std::uint64_t* expect, Ts&&... xs) {
  bool ok = false;
  self->request(applier, timeout, std::forward<Ts>(xs)...)
    .receive([&](std::uint64_t answer) { ok = expect == nullptr || answer == *expect; },
             [&](caf::error&) { ok = false; });
  return ok;
}

} // namespace

std::shared_ptr<replication_source>
replication_source::make(caf::actor_system& system, account_store& store,
                         replication_options options) {
  auto source = std::make_shared<replication_source>(system, store, options);
  store.set_replicator(source);
  return source;
}

replication_source::replication_source(caf::actor_system& system, account_store& store,
                                       replication_options options)
  : system_(system), store_(store), options_(options) {
}

write_status replication_source::replicate(rocksdb::WriteBatch& batch,
                                           const std::function<bool()>& local_write) {
  auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  std::unique_lock<std::mutex> lock{mutex_};
  // A snapshot being shipped must contain exactly the batches numbered up to
  // its sequence number: no local write starts while it is taken.
  if (!changed_.wait_until(lock, deadline, [this] { return !snapshotting_; }))
    return write_status::unavailable;
  if (!backup_)
    return write_status::unavailable; // refused before the local copy changes
  ++in_flight_;
  lock.unlock();
  bool written = local_write(); // in parallel with other writers: group commit
  caf::scoped_actor self{system_};
  lock.lock();
  auto finish = [&](write_status result) {
    --in_flight_;
    changed_.notify_all();
    return result;
  };
  if (!written)
    return finish(write_status::failed);
  if (!backup_)
    return finish(write_status::unavailable); // dropped meanwhile
  auto seq = ++seq_;
  auto backup = backup_;
  // Sent under the mutex: the backup's mailbox gets batches in seq order.
  auto answer = self->request(backup, options_.timeout, replica_apply_atom::value, epoch_, seq,
                              std::string{batch.Data()});
  lock.unlock();
  bool acked = false;
  std::move(answer).receive([&](std::uint64_t s) { acked = s == seq; },
                            [&](caf::error&) { acked = false; });
  lock.lock();
  if (!acked && backup_ == backup)
    backup_ = nullptr; // it may lack this batch: only a new snapshot heals that
  return finish(acked ? write_status::ok : write_status::unavailable);
}

bool replication_source::attach_backup(const caf::actor& applier, std::uint64_t epoch,
                                       const std::function<bool()>& confirm) {
  // Taken before the mutex, as writers do: the store is not reopened under us.
  auto db = store_.access();
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait(lock, [this] { return !snapshotting_; });
  snapshotting_ = true;
  backup_ = nullptr;
  changed_.wait(lock, [this] { return in_flight_ == 0; });
  auto seq = seq_;
  const rocksdb::Snapshot* snapshot = db ? db->GetSnapshot() : nullptr;
  lock.unlock();
  bool ok = snapshot != nullptr && ship_snapshot(db.db, snapshot, applier, epoch, seq);
  if (snapshot != nullptr)
    db->ReleaseSnapshot(snapshot);
  if (ok && confirm)
    ok = confirm();
  lock.lock();
  snapshotting_ = false;
  if (ok) {
    backup_ = applier;
    epoch_ = epoch;
  }
  changed_.notify_all();
  return ok;
}

bool replication_source::ship_snapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot,
                                       const caf::actor& applier, std::uint64_t epoch,
                                       std::uint64_t seq) {
  caf::scoped_actor self{system_};
  auto timeout = options_.timeout;
  if (!ask(self, applier, timeout, &epoch, replica_begin_atom::value, epoch))
    return false;
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(read)};
  rocksdb::WriteBatch chunk;
  auto send_chunk = [&] {
    std::uint64_t keys = static_cast<std::uint64_t>(chunk.Count());
    bool sent = ask(self, applier, timeout, &keys, replica_chunk_atom::value, epoch,
                    std::string{chunk.Data()});
    chunk.Clear();
    return sent;
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key() == keys::replica_incomplete)
      continue;
    chunk.Put(it->key(), it->value());
    if (chunk.GetDataSize() >= options_.chunk_bytes && !send_chunk())
      return false;
  }
  if (!it->status().ok())
    return false;
  if (chunk.Count() > 0 && !send_chunk())
    return false;
  return ask(self, applier, timeout, &seq, replica_end_atom::value, epoch, seq);
}

void replication_source::detach() {
  std::lock_guard<std::mutex> lock{mutex_};
  backup_ = nullptr;
}

bool replication_source::live() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return static_cast<bool>(backup_);
}

std::uint64_t replication_source::sequence() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return seq_;
}

} // namespace irsp::account
