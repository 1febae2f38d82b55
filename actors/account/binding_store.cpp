// ISO/IEC 14543-5-8 bindings over the account store's RocksDB: key
// "b/<a>\0<b>" for each direction, written in one synced batch.
#include "actors/account/binding_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "actors/account/account_store.hpp"

namespace irsp::account {

namespace {

const std::string binding_prefix = "b/";

std::string binding_key(const std::string& a, const std::string& b) {
  std::string k = binding_prefix + a;
  k += '\0';
  k += b;
  return k;
}

std::string peers_prefix(const std::string& a) {
  std::string k = binding_prefix + a;
  k += '\0';
  return k;
}

} // namespace

binding_store::binding_store(account_store& accounts) : accounts_(accounts) {
}

bool binding_store::throttled(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto i = attempts_.find(key);
  if (i == attempts_.end())
    return false;
  if (now - i->second.window_start > attempt_window) {
    attempts_.erase(i);
    return false;
  }
  return i->second.failures >= max_failed_bind_attempts;
}

void binding_store::note_failure(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto& a = attempts_[key];
  if (a.failures == 0 || now - a.window_start > attempt_window) {
    a.failures = 0;
    a.window_start = now;
  }
  ++a.failures;
}

bind_status binding_store::bind(const std::string& user, const std::string& device,
                                const std::string& code) {
  auto u = accounts_.normalise(user);
  auto d = accounts_.normalise(device);
  auto user_record = u ? accounts_.find_record(*u) : std::nullopt;
  if (!user_record || user_record->view.kind != account_kind::USER)
    return bind_status::NOT_A_USER;
  auto device_record = d ? accounts_.find_record(*d) : std::nullopt;
  if (!device_record || device_record->view.kind != account_kind::DEVICE)
    return bind_status::NO_SUCH_DEVICE;
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> guard{attempts_mutex_};
    if (throttled("u:" + *u, now) || throttled("d:" + *d, now))
      return bind_status::TOO_MANY_ATTEMPTS;
  }
  if (!code_matches(device_record->code, code)) {
    std::lock_guard<std::mutex> guard{attempts_mutex_};
    note_failure("u:" + *u, now);
    note_failure("d:" + *d, now);
    return bind_status::WRONG_CODE;
  }
  std::string ignored;
  if (accounts_.db()->Get(rocksdb::ReadOptions{}, binding_key(*u, *d), &ignored).ok())
    return bind_status::ALREADY_BOUND;
  rocksdb::WriteBatch batch;
  batch.Put(binding_key(*u, *d), "");
  batch.Put(binding_key(*d, *u), "");
  rocksdb::WriteOptions wo;
  wo.sync = accounts_.options().sync_writes;
  if (!accounts_.db()->Write(wo, &batch).ok())
    return bind_status::STORAGE_FAILURE;
  return bind_status::OK;
}

unbind_status binding_store::unbind(const std::string& account, const std::string& peer) {
  auto a = accounts_.normalise(account);
  auto p = accounts_.normalise(peer);
  std::string ignored;
  if (!a || !p || !accounts_.db()->Get(rocksdb::ReadOptions{}, binding_key(*a, *p), &ignored).ok())
    return unbind_status::NOT_BOUND;
  rocksdb::WriteBatch batch;
  batch.Delete(binding_key(*a, *p));
  batch.Delete(binding_key(*p, *a));
  rocksdb::WriteOptions wo;
  wo.sync = accounts_.options().sync_writes;
  if (!accounts_.db()->Write(wo, &batch).ok())
    return unbind_status::STORAGE_FAILURE;
  return unbind_status::OK;
}

std::vector<std::string> binding_store::peers(const std::string& address) const {
  std::vector<std::string> out;
  auto normal = accounts_.normalise(address);
  if (!normal)
    return out;
  auto prefix = peers_prefix(*normal);
  std::unique_ptr<rocksdb::Iterator> it{accounts_.db()->NewIterator(rocksdb::ReadOptions{})};
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    out.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  return out;
}

void binding_store::erase_all(const account_store& accounts, const std::string& address,
                              rocksdb::WriteBatch& batch, std::vector<std::string>& unbound) {
  auto prefix = peers_prefix(address);
  std::unique_ptr<rocksdb::Iterator> it{accounts.db()->NewIterator(rocksdb::ReadOptions{})};
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string peer(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    batch.Delete(it->key());
    batch.Delete(binding_key(peer, address));
    unbound.push_back(std::move(peer));
  }
}

} // namespace irsp::account
