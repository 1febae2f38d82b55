// ISO/IEC 14543-5-8 bindings over the account store's RocksDB: key
// "b/<a>\0<b>" for each direction, written in one synced batch.
#include "actors/account/binding_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/credentials.hpp"
#include "actors/account/prefix_scan.hpp"

namespace irsp::account {

binding_store::binding_store(account_store& accounts, bind_attempt_limits limits)
  : accounts_(accounts), attempts_(limits) {
}

template <class Db>
bind_status binding_store::write_one_direction(Db& db, const std::string& local,
                                               const std::string& remote) {
  if (!db)
    return bind_status::STORAGE_FAILURE;
  std::string ignored;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::binding(local, remote), &ignored);
  if (got.ok())
    return bind_status::ALREADY_BOUND;
  if (!got.IsNotFound())
    return bind_status::STORAGE_FAILURE;
  rocksdb::WriteBatch batch;
  batch.Put(keys::binding(local, remote), "");
  if (auto written = accounts_.write(db, batch); written != write_status::ok)
    return write_failure<bind_status>(written);
  return bind_status::OK;
}

bind_status binding_store::bind(const std::string& user, const std::string& device,
                                const std::string& code) {
  auto u = accounts_.normalise(user);
  if (!u)
    return bind_status::NOT_A_USER;
  auto d = accounts_.normalise(device);
  if (!d)
    return bind_status::NO_SUCH_DEVICE;
  auto now = bind_attempts::clock::now();
  if (!attempts_.allowed("u:" + *u, now) || !attempts_.allowed("d:" + *d, now))
    return bind_status::TOO_MANY_ATTEMPTS;
  auto guard = accounts_.lock_both(*u, *d);
  auto db = accounts_.access();
  account_record user_record, device_record;
  auto user_found = accounts_.lookup(db, *u, user_record);
  if (user_found == lookup_status::failed)
    return bind_status::STORAGE_FAILURE;
  if (user_found == lookup_status::missing || user_record.view.kind != account_kind::USER)
    return bind_status::NOT_A_USER;
  auto device_found = accounts_.lookup(db, *d, device_record);
  if (device_found == lookup_status::failed)
    return bind_status::STORAGE_FAILURE;
  if (device_found == lookup_status::missing || device_record.view.kind != account_kind::DEVICE)
    return bind_status::NO_SUCH_DEVICE;
  if (!code_matches(device_record.code, code)) {
    attempts_.failed("u:" + *u, now);
    attempts_.failed("d:" + *d, now);
    return bind_status::WRONG_CODE;
  }
  if (!db)
    return bind_status::STORAGE_FAILURE;
  std::string ignored;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::binding(*u, *d), &ignored);
  if (got.ok())
    return bind_status::ALREADY_BOUND;
  if (!got.IsNotFound())
    return bind_status::STORAGE_FAILURE;
  rocksdb::WriteBatch batch;
  batch.Put(keys::binding(*u, *d), "");
  batch.Put(keys::binding(*d, *u), "");
  if (auto written = accounts_.write(db, batch); written != write_status::ok)
    return write_failure<bind_status>(written);
  return bind_status::OK;
}

// One direction of a binding whose other side lives in another AS.
bind_status binding_store::bind_remote_user(const std::string& device,
                                            const std::string& remote_user,
                                            const std::string& code) {
  auto d = accounts_.normalise(device);
  if (!d || remote_user.empty())
    return bind_status::NO_SUCH_DEVICE;
  return device_direction(*d, remote_user, code);
}

bind_status binding_store::add_remote_device(const std::string& user,
                                             const std::string& remote_device) {
  auto u = accounts_.normalise(user);
  if (!u || remote_device.empty())
    return bind_status::NOT_A_USER;
  return user_direction(*u, remote_device);
}

unbind_status binding_store::unbind_remote(const std::string& local, const std::string& remote) {
  auto l = accounts_.normalise(local);
  if (!l || remote.empty())
    return unbind_status::NOT_BOUND;
  return remove_direction(*l, remote);
}

unbind_status binding_store::unbind(const std::string& account, const std::string& peer) {
  auto a = accounts_.normalise(account);
  auto p = accounts_.normalise(peer);
  if (!a || !p)
    return unbind_status::NOT_BOUND;
  auto guard = accounts_.lock_both(*a, *p);
  auto db = accounts_.access();
  if (!db)
    return unbind_status::STORAGE_FAILURE;
  std::string ignored;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::binding(*a, *p), &ignored);
  if (got.IsNotFound())
    return unbind_status::NOT_BOUND;
  if (!got.ok())
    return unbind_status::STORAGE_FAILURE;
  rocksdb::WriteBatch batch;
  batch.Delete(keys::binding(*a, *p));
  batch.Delete(keys::binding(*p, *a));
  if (auto written = accounts_.write(db, batch); written != write_status::ok)
    return write_failure<unbind_status>(written);
  return unbind_status::OK;
}

bind_status binding_store::bind_device_half(const std::string& device, const std::string& user,
                                            const std::string& code) {
  auto d = accounts_.normalise(device);
  auto u = accounts_.normalise(user);
  if (!d)
    return bind_status::NO_SUCH_DEVICE;
  if (!u)
    return bind_status::NOT_A_USER;
  return device_direction(*d, *u, code);
}

bind_status binding_store::bind_user_half(const std::string& user, const std::string& device) {
  auto u = accounts_.normalise(user);
  auto d = accounts_.normalise(device);
  if (!u)
    return bind_status::NOT_A_USER;
  if (!d)
    return bind_status::NO_SUCH_DEVICE;
  return user_direction(*u, *d);
}

unbind_status binding_store::unbind_half(const std::string& account, const std::string& peer) {
  auto a = accounts_.normalise(account);
  auto p = accounts_.normalise(peer);
  if (!a || !p)
    return unbind_status::NOT_BOUND;
  return remove_direction(*a, *p);
}

// The steps of one direction (a shard's half, an AS's side), on normalised
// `device`/`user`/`local`; the peer as the other side names it.
bind_status binding_store::device_direction(const std::string& device, const std::string& peer,
                                            const std::string& code) {
  auto now = bind_attempts::clock::now();
  if (!attempts_.allowed("u:" + peer, now) || !attempts_.allowed("d:" + device, now))
    return bind_status::TOO_MANY_ATTEMPTS;
  auto guard = accounts_.lock(device);
  auto db = accounts_.access();
  account_record record;
  auto found = accounts_.lookup(db, device, record);
  if (found == lookup_status::failed)
    return bind_status::STORAGE_FAILURE;
  if (found == lookup_status::missing || record.view.kind != account_kind::DEVICE)
    return bind_status::NO_SUCH_DEVICE;
  if (!code_matches(record.code, code)) {
    attempts_.failed("u:" + peer, now);
    attempts_.failed("d:" + device, now);
    return bind_status::WRONG_CODE;
  }
  return write_one_direction(db, device, peer);
}

bind_status binding_store::user_direction(const std::string& user, const std::string& peer) {
  auto guard = accounts_.lock(user);
  auto db = accounts_.access();
  account_record record;
  auto found = accounts_.lookup(db, user, record);
  if (found == lookup_status::failed)
    return bind_status::STORAGE_FAILURE;
  if (found == lookup_status::missing || record.view.kind != account_kind::USER)
    return bind_status::NOT_A_USER;
  return write_one_direction(db, user, peer);
}

unbind_status binding_store::remove_direction(const std::string& local, const std::string& peer) {
  auto guard = accounts_.lock(local);
  auto db = accounts_.access();
  if (!db)
    return unbind_status::STORAGE_FAILURE;
  std::string ignored;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::binding(local, peer), &ignored);
  if (got.IsNotFound())
    return unbind_status::NOT_BOUND;
  if (!got.ok())
    return unbind_status::STORAGE_FAILURE;
  rocksdb::WriteBatch batch;
  batch.Delete(keys::binding(local, peer));
  if (auto written = accounts_.write(db, batch); written != write_status::ok)
    return write_failure<unbind_status>(written);
  return unbind_status::OK;
}

bool binding_store::peers(const std::string& address, std::vector<std::string>& out) const {
  auto normal = accounts_.normalise(address);
  if (!normal)
    return true;
  auto db = accounts_.access();
  if (!db)
    return false;
  prefix_scan scan{db.db, keys::bindings_of(*normal)};
  for (; scan.valid(); scan.next())
    out.push_back(scan.suffix());
  return scan.ok();
}

bool binding_store::erase_all(rocksdb::DB* db, const std::string& address,
                              rocksdb::WriteBatch& batch, std::vector<std::string>& unbound) {
  prefix_scan scan{db, keys::bindings_of(address)};
  for (; scan.valid(); scan.next()) {
    auto peer = scan.suffix();
    batch.Delete(scan.key());
    batch.Delete(keys::binding(peer, address));
    unbound.push_back(std::move(peer));
  }
  return scan.ok();
}

} // namespace irsp::account
