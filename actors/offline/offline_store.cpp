// Offline queue in the account store's RocksDB: key "q/<address>\0<seq, 8
// bytes big-endian>", value a schema::OfflineMessage; "qm/<address>" holds
// the queue's length and next sequence number (account_keys.hpp).
#include "actors/offline/offline_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/prefix_scan.hpp"
#include "actors/offline/offline_record.hpp"

namespace irsp::offline {

namespace keys = account::keys;
using account::lookup_status;

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The queue's length and the sequence number of the next message. Sequence
// numbers are per account and never reused while the account lives, so an
// ack can never remove a message stored after the peek it answers.
struct queue_meta {
  std::uint64_t count = 0;
  std::uint64_t next_seq = 1;
};

std::string encode_meta(const queue_meta& m) {
  auto out = keys::be64(m.count);
  keys::append_be64(out, m.next_seq);
  return out;
}

bool read_meta(const account::db_access& db, const std::string& address, queue_meta& out) {
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::queue_meta(address), &v);
  if (got.IsNotFound()) {
    out = {};
    return true;
  }
  if (!got.ok() || v.size() != 16)
    return false;
  out.count = keys::read_be64(std::string_view(v).substr(0, 8));
  out.next_seq = keys::read_be64(std::string_view(v).substr(8));
  return true;
}

// One pass over an account's queue: deletes what expired (or cannot be read),
// recounts, and collects the rest into `live` when given. The caller holds
// the address lock.
bool scan(const account::account_store& accounts, const account::db_access& db,
          const std::string& address, queue_meta& meta, drained* live) {
  auto prefix = keys::queue_of(address);
  auto now = now_ms();
  rocksdb::WriteBatch expired;
  std::uint64_t count = 0;
  {
    account::prefix_scan it{db.db, prefix};
    for (; it.valid(); it.next()) {
      message::delivery d;
      std::int64_t expires = 0;
      if (!decode_offline({it.value().data(), it.value().size()}, d, expires)
          || expires <= now) {
        expired.Delete(it.key());
        continue;
      }
      ++count;
      if (live != nullptr) {
        live->messages.push_back(std::move(d));
        live->last_key = it.key().ToString();
      }
    }
    if (!it.ok())
      return false;
  }
  if (count == meta.count && expired.Count() == 0)
    return true;
  meta.count = count;
  expired.Put(keys::queue_meta(address), encode_meta(meta));
  return accounts.write(db, expired) == account::write_status::ok;
}

} // namespace

offline_store::offline_store(std::shared_ptr<account::account_store> accounts,
                             offline_options options)
  : accounts_(std::move(accounts)), options_(options) {
}

enqueue_result offline_store::enqueue(const std::string& address, message::delivery d) {
  auto guard = accounts_->lock(address);
  auto db = accounts_->access();
  // Under the lock deletion takes: a message can never be stored for an
  // account that is gone (and then be inherited by its next namesake).
  auto exists = accounts_->exists(db, address);
  if (exists != lookup_status::found)
    return exists == lookup_status::missing ? enqueue_result::no_account : enqueue_result::failed;
  queue_meta meta;
  if (!read_meta(db, address, meta))
    return enqueue_result::failed;
  if (meta.count >= options_.max_per_account) {
    // Expired messages do not hold a place: make room before refusing.
    if (!scan(*accounts_, db, address, meta, nullptr))
      return enqueue_result::failed;
    if (meta.count >= options_.max_per_account)
      return enqueue_result::full;
  }
  auto now = now_ms();
  rocksdb::WriteBatch batch;
  batch.Put(keys::queued(address, meta.next_seq), encode_offline(d, now, now + options_.ttl_ms));
  ++meta.count;
  ++meta.next_seq;
  batch.Put(keys::queue_meta(address), encode_meta(meta));
  switch (accounts_->write(db, batch)) {
    case account::write_status::ok: return enqueue_result::queued;
    case account::write_status::unavailable: return enqueue_result::unavailable;
    case account::write_status::failed: break;
  }
  return enqueue_result::failed;
}

drained offline_store::peek(const std::string& address) {
  auto guard = accounts_->lock(address);
  auto db = accounts_->access();
  drained out;
  queue_meta meta;
  if (!db || !read_meta(db, address, meta))
    return out;
  // Every enqueue counts itself in the meta record: an empty queue (the
  // common case at a session's start) needs no scan.
  if (meta.count > 0)
    scan(*accounts_, db, address, meta, &out);
  return out;
}

bool offline_store::ack(const std::string& address, const std::string& last_key) {
  auto prefix = keys::queue_of(address);
  if (last_key.compare(0, prefix.size(), prefix) != 0)
    return false;
  auto guard = accounts_->lock(address);
  auto db = accounts_->access();
  queue_meta meta;
  if (!db || !read_meta(db, address, meta))
    return false;
  rocksdb::WriteBatch batch;
  std::uint64_t removed = 0;
  {
    account::prefix_scan it{db.db, prefix};
    for (; it.valid() && it.key().compare(last_key) <= 0; it.next()) {
      batch.Delete(it.key());
      ++removed;
    }
    if (!it.ok())
      return false;
  }
  if (removed == 0)
    return true;
  meta.count = meta.count > removed ? meta.count - removed : 0;
  batch.Put(keys::queue_meta(address), encode_meta(meta));
  return accounts_->write(db, batch) == account::write_status::ok;
}

std::size_t offline_store::size(const std::string& address) {
  auto db = accounts_->access();
  queue_meta meta;
  if (!db || !read_meta(db, address, meta))
    return 0;
  return meta.count;
}

std::optional<std::uint64_t> offline_store::total() {
  auto db = accounts_->access();
  if (!db)
    return std::nullopt;
  std::uint64_t sum = 0;
  account::prefix_scan it{db.db, std::string{keys::queue_meta_prefix}};
  for (; it.valid(); it.next())
    if (it.value().size() == 16)
      sum += keys::read_be64(it.value().ToStringView().substr(0, 8));
  if (!it.ok())
    return std::nullopt;
  return sum;
}

} // namespace irsp::offline
