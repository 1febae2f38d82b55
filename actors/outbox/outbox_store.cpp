// IRSP §8.8.2: the outbox over the account store's RocksDB. "xo/" keys keep
// the undelivered messages in acceptance order per endpoint; "xm/" keys hold
// each message and its state under (application, idempotency key).
#include "actors/outbox/outbox_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/prefix_scan.hpp"

namespace irsp::outbox {

namespace keys = account::keys;

outbox_store::outbox_store(std::shared_ptr<account::account_store> accounts)
  : accounts_(std::move(accounts)) {
  auto db = accounts_->access();
  std::uint64_t n = 0;
  if (db)
    for (account::prefix_scan it{db.db, std::string(keys::outbox_pending_prefix)}; it.valid();
         it.next())
      ++n;
  depth_ = n;
}

endpoint_change outbox_store::add_endpoint(const external_endpoint& e) {
  std::lock_guard<std::mutex> g{mutex_};
  auto db = accounts_->access();
  if (!db)
    return endpoint_change::failed;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::external_endpoint(e.name), &v);
  if (got.ok())
    return endpoint_change::exists;
  if (!got.IsNotFound())
    return endpoint_change::failed;
  rocksdb::WriteBatch b;
  b.Put(keys::external_endpoint(e.name), encode_endpoint(e));
  return accounts_->write(db, b) == account::write_status::ok ? endpoint_change::ok
                                                               : endpoint_change::failed;
}

endpoint_change outbox_store::remove_endpoint(const std::string& name) {
  std::lock_guard<std::mutex> g{mutex_};
  auto db = accounts_->access();
  if (!db)
    return endpoint_change::failed;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::external_endpoint(name), &v);
  if (got.IsNotFound())
    return endpoint_change::no_such_endpoint;
  if (!got.ok())
    return endpoint_change::failed;
  rocksdb::WriteBatch b;
  b.Delete(keys::external_endpoint(name));
  return accounts_->write(db, b) == account::write_status::ok ? endpoint_change::ok
                                                               : endpoint_change::failed;
}

std::optional<std::vector<external_endpoint>> outbox_store::endpoints() const {
  auto db = accounts_->access();
  if (!db)
    return std::nullopt;
  std::vector<external_endpoint> out;
  account::prefix_scan it{db.db, std::string(keys::endpoint_prefix)};
  for (; it.valid(); it.next()) {
    external_endpoint e;
    if (!decode_endpoint({it.value().data(), it.value().size()}, e))
      return std::nullopt;
    out.push_back(std::move(e));
  }
  if (!it.ok())
    return std::nullopt;
  return out;
}

std::optional<external_endpoint> outbox_store::find_endpoint(const std::string& name) const {
  auto db = accounts_->access();
  std::string v;
  external_endpoint e;
  if (!db || !db->Get(rocksdb::ReadOptions{}, keys::external_endpoint(name), &v).ok()
      || !decode_endpoint(v, e))
    return std::nullopt;
  return e;
}

SendExternalStatus outbox_store::enqueue(const std::string& application,
                                         const std::string& endpoint, const std::string& key,
                                         const std::string& payload, std::int64_t now_ms) {
  std::lock_guard<std::mutex> g{mutex_};
  auto db = accounts_->access();
  if (!db)
    return SendExternalStatus::STORAGE_FAILURE;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::external_endpoint(endpoint), &v);
  if (got.IsNotFound())
    return SendExternalStatus::NO_SUCH_ENDPOINT;
  if (!got.ok())
    return SendExternalStatus::STORAGE_FAILURE;
  got = db->Get(rocksdb::ReadOptions{}, keys::outbox_message(application, key), &v);
  if (got.ok())
    return SendExternalStatus::DUPLICATE;
  if (!got.IsNotFound())
    return SendExternalStatus::STORAGE_FAILURE;
  std::uint64_t seq = 1;
  got = db->Get(rocksdb::ReadOptions{}, keys::outbox_seq, &v);
  if (got.ok() && v.size() == 8)
    seq = keys::read_be64(v);
  else if (!got.IsNotFound())
    return SendExternalStatus::STORAGE_FAILURE;
  outbox_message m;
  m.application = application;
  m.endpoint = endpoint;
  m.key = key;
  m.payload = payload;
  m.seq = seq;
  m.queued_ms = now_ms;
  rocksdb::WriteBatch b;
  b.Put(keys::outbox_message(application, key), encode_message(m));
  b.Put(keys::outbox_pending(endpoint, seq), keys::outbox_message(application, key));
  b.Put(keys::outbox_seq, keys::be64(seq + 1));
  if (accounts_->write(db, b, true) != account::write_status::ok)
    return SendExternalStatus::STORAGE_FAILURE;
  ++depth_;
  return SendExternalStatus::QUEUED;
}

std::optional<outbox_message> outbox_store::find(const std::string& application,
                                                 const std::string& key) const {
  auto db = accounts_->access();
  if (!db)
    return std::nullopt;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::outbox_message(application, key), &v);
  outbox_message m;
  if (got.IsNotFound()) {
    m.application = application;
    m.key = key;
    m.state = ExternalState::UNKNOWN;
    return m;
  }
  if (!got.ok() || !decode_message(v, m))
    return std::nullopt;
  return m;
}

std::vector<outbox_message> outbox_store::pending(const std::string& endpoint,
                                                  std::uint64_t after, std::size_t limit) const {
  std::vector<outbox_message> out;
  auto db = accounts_->access();
  if (!db || limit == 0)
    return out;
  account::prefix_scan it{db.db, keys::outbox_pending_of(endpoint)};
  for (; it.valid() && out.size() < limit; it.next()) {
    auto seq = keys::read_be64(it.suffix());
    if (seq <= after)
      continue;
    std::string v;
    outbox_message m;
    if (!db->Get(rocksdb::ReadOptions{}, it.value(), &v).ok() || !decode_message(v, m))
      break; // unreadable: stop here rather than skip it and break the order
    out.push_back(std::move(m));
  }
  return out;
}

bool outbox_store::update(const outbox_message& m, bool leave_pending) {
  auto db = accounts_->access();
  if (!db)
    return false;
  rocksdb::WriteBatch b;
  b.Put(keys::outbox_message(m.application, m.key), encode_message(m));
  if (leave_pending)
    b.Delete(keys::outbox_pending(m.endpoint, m.seq));
  return accounts_->write(db, b, true) == account::write_status::ok;
}

bool outbox_store::record_failure(const outbox_message& m, std::uint32_t attempts,
                                  const std::string& error) {
  std::lock_guard<std::mutex> g{mutex_};
  auto next = m;
  next.state = ExternalState::DELIVERING;
  next.attempts = attempts;
  next.last_error = error;
  return update(next, false);
}

bool outbox_store::finish(const outbox_message& m, ExternalState state, std::uint32_t attempts,
                          const std::string& error, std::int64_t now_ms) {
  std::lock_guard<std::mutex> g{mutex_};
  auto next = m;
  next.state = state;
  next.attempts = attempts;
  next.last_error = error;
  next.finished_ms = now_ms;
  if (state == ExternalState::DELIVERED)
    next.payload.clear(); // the endpoint has it; only the status is asked for later
  if (!update(next, true))
    return false;
  if (depth_ > 0)
    --depth_;
  return true;
}

std::size_t outbox_store::dead_letter_orphans(std::int64_t now_ms) {
  auto known = endpoints();
  if (!known)
    return 0;
  std::vector<outbox_message> orphans;
  {
    auto db = accounts_->access();
    if (!db)
      return 0;
    account::prefix_scan it{db.db, std::string(keys::outbox_pending_prefix)};
    for (; it.valid(); it.next()) {
      std::string v;
      outbox_message m;
      if (!db->Get(rocksdb::ReadOptions{}, it.value(), &v).ok() || !decode_message(v, m))
        continue;
      bool registered = false;
      for (auto& e : *known)
        registered = registered || e.name == m.endpoint;
      if (!registered)
        orphans.push_back(std::move(m));
    }
  }
  std::size_t n = 0;
  for (auto& m : orphans)
    if (finish(m, ExternalState::DEAD_LETTER, m.attempts, "no-such-endpoint", now_ms))
      ++n;
  return n;
}

} // namespace irsp::outbox
