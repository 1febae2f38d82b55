// ISO/IEC 14543-5-8 user–device relationship: bindings, kept with the
// accounts in the account server's RocksDB.
#pragma once

#include <string>
#include <vector>

#include "actors/account/bind_attempts.hpp"
#include "irsp/schema/messaging.capnp.h"

namespace rocksdb {
class DB;
class WriteBatch;
} // namespace rocksdb

namespace irsp::account {

class account_store;
struct db_access;

using bind_status = schema::BindStatus;
using unbind_status = schema::UnbindStatus;

/// Bindings between users and devices. Each binding is stored in both
/// directions so either side lists its peers with one prefix scan.
/// Thread-safe, like account_store: bind and unbind hold the address locks of
/// both accounts, the same locks that delete and reset hold, and check under
/// them that both accounts still exist, so a binding can never outlive
/// either account (and be inherited by a later namesake).
class binding_store {
public:
  explicit binding_store(account_store& accounts, bind_attempt_limits limits = {});

  /// Binds `device` to `user` if `code` is the device's current code.
  bind_status bind(const std::string& user, const std::string& device, const std::string& code);

  /// Removes the binding between `account` and `peer`, whichever side asks.
  unbind_status unbind(const std::string& account, const std::string& peer);

  /// §8.5 across ASs (docs/federation.md), the device's side: `remote_user`
  /// (of a linked AS, checked by the link) binds `device` of this AS with its
  /// code. Records only this AS's direction, `device` -> `remote_user`.
  bind_status bind_remote_user(const std::string& device, const std::string& remote_user,
                               const std::string& code);
  /// The user's side, once the device's AS said ok: records `user` ->
  /// `remote_device`; not-a-user unless `user` is a user of this AS.
  bind_status add_remote_device(const std::string& user, const std::string& remote_device);
  /// Removes this AS's side of a binding across ASs, `local` -> `remote`.
  unbind_status unbind_remote(const std::string& local, const std::string& remote);

  /// The halves of a binding whose two accounts live in different shards
  /// (cluster/shard_proxy.hpp): each shard holds its account's direction,
  /// and a binding is in force only where both are (each side checks its
  /// own). `bind_device_half`: `device` (here) takes `user` if `code` is its
  /// code — the code check and its attempt limits are the device shard's.
  bind_status bind_device_half(const std::string& device, const std::string& user,
                               const std::string& code);
  /// `user` (here, a user account) takes `device`: ok, or already-bound when
  /// this half was there.
  bind_status bind_user_half(const std::string& user, const std::string& device);
  /// Removes `account`'s (here) direction towards `peer`.
  unbind_status unbind_half(const std::string& account, const std::string& peer);
  /// The peers bound to `address` (devices of a user, users of a device);
  /// false when they could not be read.
  bool peers(const std::string& address, std::vector<std::string>& out) const;

  /// Adds to `batch` the deletion of every binding of `address` (both
  /// directions); the peers it unbinds are appended to `unbound`. False when
  /// the bindings could not be read (then the batch must not be written).
  static bool erase_all(rocksdb::DB* db, const std::string& address, rocksdb::WriteBatch& batch,
                        std::vector<std::string>& unbound);

  /// The wrong-code counts (for tests).
  const bind_attempts& attempts() const { return attempts_; }

private:
  template <class Db>
  bind_status write_one_direction(Db& db, const std::string& local, const std::string& remote);
  bind_status device_direction(const std::string& device, const std::string& peer,
                               const std::string& code);
  bind_status user_direction(const std::string& user, const std::string& peer);
  unbind_status remove_direction(const std::string& local, const std::string& peer);

  account_store& accounts_;
  bind_attempts attempts_;
};

} // namespace irsp::account
