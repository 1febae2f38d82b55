// IRSP §7.1, §8.2: the account server's store — the four exchanges over RocksDB.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/account/account_record.hpp"
#include "actors/account/exchanges.hpp"

namespace rocksdb {
class DB;
class Env;
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
};

/// Password, display and device field limits (octets).
constexpr std::size_t min_password_octets = 8;
constexpr std::size_t max_password_octets = 1024;
constexpr std::size_t max_display_name_octets = 256;
constexpr std::size_t max_device_field_octets = 128;

/// The accounts of one node, durable in RocksDB. Thread-safe: the account
/// server calls it from several detached workers; changes to one address are
/// serialised by a striped lock, so concurrent requests for the same account
/// are safe, and RocksDB batches concurrent WAL syncs into group commits.
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

  /// The full record, secrets included, for authentication and binding.
  std::optional<account_record> find_record(std::string_view address) const;

  /// Visits every account in address order; stop by returning false.
  void for_each(const std::function<bool(const account_view&)>& visit) const;

  /// Normalises `address` (prepared localpart, this store's domain); nullopt
  /// when it is not an address of this domain.
  std::optional<std::string> normalise(std::string_view address) const;

  const store_options& options() const { return options_; }

  /// The underlying database, for modules that keep per-account data beside
  /// the account (bindings); keys they use must not start with "a/" or "m/".
  rocksdb::DB* db() const { return db_.get(); }

private:
  account_store(store_options options, std::unique_ptr<rocksdb::DB> db);

  std::mutex& lock_for(std::string_view address);
  bool put(const std::string& address, const account_record& record);

  store_options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<std::mutex, 64> stripes_;
};

} // namespace irsp::account
