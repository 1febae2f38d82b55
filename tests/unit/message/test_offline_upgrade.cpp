// Upgrading a data dir whose offline queues were a RocksDB of their own
// (<data-dir>/offline): they move into the account store once, durably, and
// nothing of a deleted account or of a deleted namesake comes along.
#include "message_fixture.hpp"

#include <rocksdb/db.h>

#include <filesystem>

#include "actors/offline/legacy_offline_import.hpp"
#include "actors/offline/offline_record.hpp"
#include "irsp/node.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8)
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

// Writes an offline store as earlier versions kept it: "q/<address>\0<seq>"
// with one sequence for the whole store, and "m/seq".
void write_legacy(const std::string& path,
                  const std::vector<std::tuple<std::string, std::string, std::int64_t>>& messages) {
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(o, path, &raw).ok());
  std::unique_ptr<rocksdb::DB> db{raw};
  std::uint64_t seq = 0;
  for (auto& [address, payload, stored] : messages) {
    std::string key = "q/" + address;
    key += '\0';
    key += be64(++seq);
    delivery d{delivery_kind::PUSH, "news", payload, 0};
    REQUIRE(db->Put({}, key, offline::encode_offline(d, stored, stored + 3600000)).ok());
  }
  REQUIRE(db->Put({}, "m/seq", be64(seq)).ok());
}

std::vector<std::string> payloads(message_fixture& f, const std::string& address) {
  std::vector<std::string> out;
  for (auto& m : f.offline_store->peek(address).messages)
    out.push_back(m.payload);
  return out;
}

} // namespace

TEST_CASE("a separate offline store of an earlier version is imported once, then removed") {
  message_fixture f;
  f.offline_opts.max_per_account = 3;
  f.start();
  auto alice = f.user("alice");
  auto carol = f.user("carol");
  auto alice_created = f.accounts->find(alice)->created_ms;
  auto carol_created = f.accounts->find(carol)->created_ms;
  auto legacy = f.dir / "offline";
  write_legacy(legacy, {{alice, "a1", alice_created + 1},
                        {"bob@localhost", "for a deleted account", alice_created},
                        {carol, "for the carol before", carol_created - 1},
                        {alice, "a2", alice_created + 2},
                        {carol, "c1", carol_created + 1}});
  std::string error;
  REQUIRE(offline::import_legacy_offline(*f.accounts, legacy, error));
  CHECK(error.empty());
  CHECK_FALSE(std::filesystem::exists(legacy));
  CHECK(payloads(f, alice) == std::vector<std::string>{"a1", "a2"});
  CHECK(payloads(f, carol) == std::vector<std::string>{"c1"});
  CHECK(f.offline_store->size("bob@localhost") == 0);
  // Imported queues count against the cap and keep their order.
  CHECK(f.offline_store->size(alice) == 2);
  CHECK(f.offline_store->enqueue(alice, {delivery_kind::PUSH, "news", "a3", 0})
        == offline::enqueue_result::queued);
  CHECK(f.offline_store->enqueue(alice, {delivery_kind::PUSH, "news", "a4", 0})
        == offline::enqueue_result::full);
  CHECK(payloads(f, alice) == std::vector<std::string>{"a1", "a2", "a3"});

  // Done once: a store left behind after the import (a crash before its
  // removal) is removed, not imported again.
  write_legacy(legacy, {{alice, "a1", alice_created + 1}});
  REQUIRE(offline::import_legacy_offline(*f.accounts, legacy, error));
  CHECK_FALSE(std::filesystem::exists(legacy));
  CHECK(payloads(f, alice) == std::vector<std::string>{"a1", "a2", "a3"});
  // And nothing to do is fine.
  CHECK(offline::import_legacy_offline(*f.accounts, legacy, error));
}

TEST_CASE("a node started on a data dir of an earlier version keeps its queued messages") {
  temp_dir dir;
  auto data = dir / "data";
  std::string tv;
  std::int64_t created = 0;
  {
    account::store_options o;
    o.path = data + "/accounts";
    o.scram_iterations = 16;
    std::string error;
    auto accounts = account::account_store::open(o, error);
    REQUIRE(accounts);
    account::register_request r;
    r.name = "tv1";
    r.kind = account::account_kind::DEVICE;
    r.password = "long enough";
    r.device = {"M", "Acme", "1"};
    tv = accounts->register_account(r).address;
    created = accounts->find(tv)->created_ms;
  }
  write_legacy(data + "/offline", {{tv, "one", created + 1}, {tv, "two", created + 2}});
  {
    irsp::node_options o;
    o.data_dir = data;
    o.c2s_port = o.c2s_tls_port = 0;
    o.offline_max_per_account = 2;
    irsp::node node{o};
    REQUIRE(node.start());
    CHECK_FALSE(std::filesystem::exists(data + "/offline"));
    node.add_application("news", std::make_shared<app::echo_app>());
    // The two imported messages fill the queue.
    CHECK(node.push("news", tv, "three").status == "queue-full");
  }
  account::store_options o;
  o.path = data + "/accounts";
  std::string error;
  std::shared_ptr<account::account_store> accounts = account::account_store::open(o, error);
  REQUIRE(accounts);
  offline::offline_store queue{accounts, {}};
  auto stored = queue.peek(tv).messages;
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].payload == "one");
  CHECK(stored[1].payload == "two");
}
