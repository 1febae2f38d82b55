// IRSP §8.8.3: the API keys external application servers sign inbound
// requests with, kept in the account store's RocksDB ("h/<id>"), each secret
// sealed under the node-local key file (secret_box.hpp). Made, listed and
// revoked by the operator on a stopped node; read once by a starting node.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace irsp::account {
class account_store;
}

namespace irsp::http {

class secret_box;

/// What may be shown of a key: never its secret.
struct api_key_info {
  std::string id;          ///< 16 lower-case hex digits
  std::string name;        ///< the operator's label (whose server it is)
  std::string application; ///< the one application it may reach; empty: any
  std::int64_t created_ms = 0;
  std::int64_t revoked_ms = 0; ///< 0: in force
};

/// A key in force, as the inbound server checks requests with it.
struct active_key {
  std::string secret;
  std::string application; ///< empty: any
};

/// The key file beside a data dir: `<data_dir>/tls/api-keys.key`.
std::string api_key_file(const std::string& data_dir);

/// The API keys of one account store.
class api_keys {
public:
  /// `box` seals new secrets and opens stored ones; null: no key file, so
  /// listing and revoking work but no secret can be made or read.
  api_keys(account::account_store& store, std::shared_ptr<secret_box> box)
    : store_(store), box_(std::move(box)) {}

  /// A new key: its info and its secret (64 hex digits), or nullopt with
  /// `error` set when it could not be stored.
  std::optional<std::pair<api_key_info, std::string>>
  create(const std::string& name, const std::string& application, std::string& error);

  enum class revoke_result { revoked, already_revoked, no_such_key, storage_failure };
  revoke_result revoke(const std::string& id);

  /// Every key, in id order, revoked ones included.
  std::vector<api_key_info> list(std::string& error) const;

  /// The keys in force, by id; nullopt with `error` set when one cannot be
  /// read or unsealed (a wrong key file: better refuse to start than to
  /// refuse every request).
  std::optional<std::unordered_map<std::string, active_key>> load_active(std::string& error) const;

private:
  account::account_store& store_;
  std::shared_ptr<secret_box> box_;
};

} // namespace irsp::http
