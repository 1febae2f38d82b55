// IRSP §8.8.3 API keys in the account store (see api_keys.hpp).
#include "node/http/api_keys.hpp"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <filesystem>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/prefix_scan.hpp"
#include "node/http/secret_box.hpp"

namespace irsp::http {

namespace {

std::string random_hex(std::size_t octets) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string raw(octets, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(octets));
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

std::string hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

std::optional<std::string> unhex(std::string_view h) {
  if (h.size() % 2)
    return std::nullopt;
  auto val = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  for (std::size_t i = 0; i < h.size(); i += 2) {
    int hi = val(h[i]), lo = val(h[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The record: JSON, so a later field is added without a migration.
api_key_info info_of(const std::string& id, const nlohmann::json& j) {
  api_key_info k;
  k.id = id;
  k.name = j.value("name", "");
  k.application = j.value("application", "");
  k.created_ms = j.value("created_ms", std::int64_t{0});
  k.revoked_ms = j.value("revoked_ms", std::int64_t{0});
  return k;
}

bool put(account::account_store& store, const std::string& id, const nlohmann::json& j) {
  auto db = store.access();
  if (!db)
    return false;
  rocksdb::WriteBatch batch;
  batch.Put(account::keys::api_key(id), j.dump());
  return store.write(db, batch, true) == account::write_status::ok;
}

} // namespace

std::string api_key_file(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "tls" / "api-keys.key").string();
}

std::optional<std::pair<api_key_info, std::string>>
api_keys::create(const std::string& name, const std::string& application, std::string& error) {
  // 64 random bits of id: collisions are checked anyway.
  std::string id;
  for (int tries = 0; tries < 8 && id.empty(); ++tries) {
    auto candidate = random_hex(8);
    auto db = store_.access();
    std::string ignored;
    if (db && db->Get(rocksdb::ReadOptions{}, account::keys::api_key(candidate), &ignored)
                .IsNotFound())
      id = candidate;
  }
  if (id.empty()) {
    error = "storage-failure";
    return std::nullopt;
  }
  auto secret = random_hex(32);
  api_key_info info{id, name, application, now_ms(), 0};
  nlohmann::json j{{"name", name},
                   {"application", application},
                   {"created_ms", info.created_ms},
                   {"revoked_ms", 0},
                   {"sealed_secret", hex(box_->seal(secret, id))}};
  if (!put(store_, id, j)) {
    error = "storage-failure";
    return std::nullopt;
  }
  return std::make_pair(info, secret);
}

api_keys::revoke_result api_keys::revoke(const std::string& id) {
  auto db = store_.access();
  if (!db)
    return revoke_result::storage_failure;
  std::string value;
  auto s = db->Get(rocksdb::ReadOptions{}, account::keys::api_key(id), &value);
  if (s.IsNotFound())
    return revoke_result::no_such_key;
  if (!s.ok())
    return revoke_result::storage_failure;
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded())
    return revoke_result::storage_failure;
  if (j.value("revoked_ms", std::int64_t{0}) != 0)
    return revoke_result::already_revoked;
  j["revoked_ms"] = now_ms();
  // The secret goes with the revocation: nothing can ever use it again.
  j.erase("sealed_secret");
  rocksdb::WriteBatch batch;
  batch.Put(account::keys::api_key(id), j.dump());
  return store_.write(db, batch, true) == account::write_status::ok
           ? revoke_result::revoked
           : revoke_result::storage_failure;
}

std::vector<api_key_info> api_keys::list(std::string& error) const {
  std::vector<api_key_info> out;
  auto db = store_.access();
  if (!db) {
    error = "storage-failure";
    return out;
  }
  account::prefix_scan scan{db.db, std::string{account::keys::api_key_prefix}};
  for (; scan.valid(); scan.next()) {
    auto j = nlohmann::json::parse(scan.value().ToString(), nullptr, false);
    if (j.is_discarded()) {
      error = "api key " + scan.suffix() + ": unreadable record";
      continue;
    }
    out.push_back(info_of(scan.suffix(), j));
  }
  if (!scan.ok())
    error = "storage-failure";
  return out;
}

std::optional<std::unordered_map<std::string, active_key>>
api_keys::load_active(std::string& error) const {
  std::unordered_map<std::string, active_key> out;
  auto db = store_.access();
  if (!db) {
    error = "storage-failure reading the API keys";
    return std::nullopt;
  }
  account::prefix_scan scan{db.db, std::string{account::keys::api_key_prefix}};
  for (; scan.valid(); scan.next()) {
    auto id = scan.suffix();
    auto j = nlohmann::json::parse(scan.value().ToString(), nullptr, false);
    if (j.is_discarded()) {
      error = "API key " + id + ": unreadable record";
      return std::nullopt;
    }
    if (j.value("revoked_ms", std::int64_t{0}) != 0)
      continue;
    auto sealed = unhex(j.value("sealed_secret", ""));
    auto secret = sealed && box_ ? box_->unseal(*sealed, id) : std::nullopt;
    if (!secret) {
      error = "API key " + id + ": its secret does not open with this node's key file";
      return std::nullopt;
    }
    out.emplace(id, active_key{std::move(*secret), j.value("application", "")});
  }
  if (!scan.ok()) {
    error = "storage-failure reading the API keys";
    return std::nullopt;
  }
  return out;
}

} // namespace irsp::http
