// ISO/IEC 14543-5-8 user–device relationship: bindings, kept with the
// accounts in the account server's RocksDB.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "irsp/schema/messaging.capnp.h"

namespace rocksdb {
class WriteBatch;
}

namespace irsp::account {

class account_store;

using bind_status = schema::BindStatus;
using unbind_status = schema::UnbindStatus;

/// Wrong codes allowed per user and per device within `attempt_window`
/// before binds are refused with `too-many-attempts`.
constexpr int max_failed_bind_attempts = 5;
constexpr std::chrono::minutes attempt_window{10};

/// Bindings between users and devices. Each binding is stored in both
/// directions so either side lists its peers with one prefix scan.
/// Thread-safe, like account_store.
class binding_store {
public:
  explicit binding_store(account_store& accounts);

  /// Binds `device` to `user` if `code` is the device's current code.
  bind_status bind(const std::string& user, const std::string& device, const std::string& code);

  /// Removes the binding between `account` and `peer`, whichever side asks.
  unbind_status unbind(const std::string& account, const std::string& peer);

  /// The peers bound to `address` (devices of a user, users of a device).
  std::vector<std::string> peers(const std::string& address) const;

  /// Adds to `batch` the deletion of every binding of `address`; the peers
  /// it unbinds are appended to `unbound`.
  static void erase_all(const account_store& accounts, const std::string& address,
                        rocksdb::WriteBatch& batch, std::vector<std::string>& unbound);

private:
  bool throttled(const std::string& key, std::chrono::steady_clock::time_point now);
  void note_failure(const std::string& key, std::chrono::steady_clock::time_point now);

  struct attempts {
    int failures = 0;
    std::chrono::steady_clock::time_point window_start;
  };

  account_store& accounts_;
  std::mutex attempts_mutex_;
  std::unordered_map<std::string, attempts> attempts_;
};

} // namespace irsp::account
