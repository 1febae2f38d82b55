// The node's own RocksDB: open, and move in once what an earlier version kept
// in the account store.
#include "node/node_local_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <iostream>
#include <string_view>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/prefix_scan.hpp"

namespace irsp {

namespace {

namespace keys = account::keys;

// Set in the local store once the move is done (or nothing was to move).
const std::string moved_mark = "m/node-local-moved";

// Every key of the node's own data (account_keys.hpp): the outbox's
// endpoints, messages, pending order and sequence; API keys; nonces.
const std::string_view node_local_prefixes[] = {
  keys::endpoint_prefix, "xm/", keys::outbox_pending_prefix, "xs/",
  keys::api_key_prefix,  keys::nonce_prefix,
};

bool move_node_local_data(account::account_store& from, account::account_store& to,
                          std::string& error) {
  auto local = to.access();
  if (!local) {
    error = "the node's local store cannot be read";
    return false;
  }
  std::string v;
  auto got = local->Get(rocksdb::ReadOptions{}, moved_mark, &v);
  if (got.ok())
    return true;
  if (!got.IsNotFound()) {
    error = "the node's local store cannot be read: " + got.ToString();
    return false;
  }
  auto shared = from.access();
  if (!shared) {
    error = "the account store cannot be read";
    return false;
  }
  rocksdb::WriteBatch copy, remove;
  for (auto prefix : node_local_prefixes) {
    account::prefix_scan scan{shared.db, std::string{prefix}};
    for (; scan.valid(); scan.next()) {
      copy.Put(scan.key(), scan.value());
      remove.Delete(scan.key());
    }
    if (!scan.ok()) {
      error = "the account store cannot be read";
      return false;
    }
  }
  copy.Put(moved_mark, "");
  // Copied and synced first: a crash in between leaves both copies, and
  // the mark makes the next start use the local one.
  if (to.write_unreplicated(local, copy, true) != account::write_status::ok) {
    error = "cannot write the node's local store";
    return false;
  }
  // Here only, never replicated: in a cluster each node moves its own.
  if (remove.Count() > 0
      && from.write_unreplicated(shared, remove, true) != account::write_status::ok) {
    error = "cannot remove the node's data from the account store";
    return false;
  }
  return true;
}

} // namespace

std::shared_ptr<account::account_store> open_node_local_store(const std::string& data_dir,
                                                              const std::string& domain,
                                                              account::account_store* accounts,
                                                              std::string& error) {
  account::store_options o;
  o.path = (std::filesystem::path(data_dir) / "local").string();
  o.domain = domain;
  std::shared_ptr<account::account_store> store = account::account_store::open(o, error);
  if (!store)
    return nullptr;
  if (accounts && !move_node_local_data(*accounts, *store, error))
    return nullptr;
  return store;
}

std::shared_ptr<account::account_store> open_node_local_store(const std::string& data_dir,
                                                              const std::string& domain,
                                                              int& exit_code) {
  std::string error;
  std::unique_ptr<account::account_store> accounts;
  auto shared = std::filesystem::path(data_dir) / "accounts";
  if (std::filesystem::exists(shared)) {
    account::store_options o;
    o.path = shared.string();
    o.domain = domain;
    o.accept_partial_replica = true; // only the node's own keys are read from it
    accounts = account::account_store::open(o, error);
  }
  std::shared_ptr<account::account_store> local;
  if (error.empty())
    local = open_node_local_store(data_dir, domain, accounts.get(), error);
  if (!local) {
    std::cerr << "irsp-node: error: " << error << "\n";
    exit_code = 2;
  }
  return local;
}

} // namespace irsp
