// The node's own data (outbox, API keys, nonces) lives in <data>/local, not in
// the account store, which in a cluster is shard 0's copy: a backup's
// snapshot clears it and a primary copies it to others. What an earlier
// version kept in the account store is moved once.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/outbox/outbox_store.hpp"
#include "node/node_local_store.hpp"
#include "temp_dir.hpp"

using namespace irsp;

namespace {

std::shared_ptr<account::account_store> open_accounts(const test::temp_dir& dir) {
  account::store_options o;
  o.path = dir / "accounts";
  std::string error;
  std::shared_ptr<account::account_store> s = account::account_store::open(o, error);
  REQUIRE(s);
  return s;
}

void put(account::account_store& store, const std::string& key, const std::string& value) {
  rocksdb::WriteBatch b;
  b.Put(key, value);
  auto db = store.access();
  REQUIRE(store.write(db, b) == account::write_status::ok);
}

bool has(account::account_store& store, const std::string& key) {
  std::string v;
  auto db = store.access();
  return db->Get(rocksdb::ReadOptions{}, key, &v).ok();
}

} // namespace

TEST_CASE("an earlier version's outbox, keys and nonces move to the node's local store once") {
  test::temp_dir dir;
  auto accounts = open_accounts(dir);
  outbox::outbox_store before{accounts};
  REQUIRE(before.add_endpoint({"crm", "https://127.0.0.1:1/crm", "", 2, 5})
          == outbox::endpoint_change::ok);
  REQUIRE(before.enqueue("app", "crm", "k1", "hello", 0) == outbox::SendExternalStatus::QUEUED);
  put(*accounts, account::keys::api_key("key-1"), "sealed");
  put(*accounts, account::keys::used_nonce("key-1/n1"), account::keys::be64(4102444800));
  account::register_request r;
  r.name = "alice";
  r.password = "long enough";
  REQUIRE(accounts->register_account(r).status == account::register_status::OK);

  std::string error;
  auto local = open_node_local_store(dir.path().string(), "localhost", accounts.get(), error);
  REQUIRE(local);
  auto after = std::make_unique<outbox::outbox_store>(local);
  auto endpoints = after->endpoints();
  REQUIRE(endpoints);
  REQUIRE(endpoints->size() == 1);
  CHECK(endpoints->front().name == "crm");
  auto pending = after->pending("crm", 0, 10);
  REQUIRE(pending.size() == 1);
  CHECK(pending.front().payload == "hello");
  CHECK(has(*local, account::keys::api_key("key-1")));
  CHECK(has(*local, account::keys::used_nonce("key-1/n1")));
  // Gone from the account store; the account itself stays there.
  CHECK(before.endpoints()->empty());
  CHECK(before.pending("crm", 0, 10).empty());
  CHECK_FALSE(has(*accounts, account::keys::api_key("key-1")));
  CHECK(accounts->find("alice@localhost"));

  // Once: rows that appear in the account store later (a primary's,
  // replicated into this node's copy) are not this node's.
  put(*accounts, account::keys::external_endpoint("theirs"), "x");
  after.reset();
  local.reset();
  local = open_node_local_store(dir.path().string(), "localhost", accounts.get(), error);
  REQUIRE(local);
  CHECK_FALSE(has(*local, account::keys::external_endpoint("theirs")));
  CHECK(outbox::outbox_store{local}.endpoints()->size() == 1);
}

TEST_CASE("a command on a stopped node's data dir finds the same local store") {
  test::temp_dir dir;
  {
    auto accounts = open_accounts(dir);
    outbox::outbox_store{accounts}.add_endpoint({"crm", "https://127.0.0.1:1/crm", "", 2, 5});
  }
  int exit_code = 0;
  auto local = open_node_local_store(dir.path().string(), "localhost", exit_code);
  REQUIRE(local);
  CHECK(outbox::outbox_store{local}.endpoints()->size() == 1);
  // A fresh data dir, no account store yet: an empty local store.
  test::temp_dir fresh;
  CHECK(open_node_local_store(fresh.path().string(), "localhost", exit_code));
  CHECK(exit_code == 0);
}
