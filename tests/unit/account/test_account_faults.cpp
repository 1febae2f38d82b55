// IRSP §8.2 under storage faults and races: a failed write does not leave the
// store read-only, a failed read is never "no such account", and a binding
// never outlives either of its accounts.
#include <catch2/catch.hpp>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/binding_store.hpp"
#include "failing_fs.hpp"
#include "temp_dir.hpp"

using namespace irsp::account;

namespace {

struct faulty_store {
  irsp::test::temp_dir dir;
  irsp::test::failing_env faults;
  store_options options;
  std::unique_ptr<account_store> store;

  faulty_store() {
    options.path = dir / "accounts";
    options.scram_iterations = 16;
    options.env = faults.env.get();
    options.recovery_interval = std::chrono::milliseconds(0);
    open();
  }

  void open() {
    std::string error;
    store = account_store::open(options, error);
    REQUIRE(store);
  }

  register_response user(const std::string& name) {
    register_request r;
    r.name = name;
    r.password = "long enough";
    r.display_name = "User " + name;
    return store->register_account(r);
  }

  register_response device(const std::string& name) {
    register_request r;
    r.name = name;
    r.kind = account_kind::DEVICE;
    r.password = "long enough";
    r.device = {"M", "Acme", "1"};
    return store->register_account(r);
  }

  // Moves everything written so far into a table file and out of memory, so
  // that the next read of it goes to the disk.
  void flush() {
    auto db = store->access();
    REQUIRE(db);
    REQUIRE(db->Flush(rocksdb::FlushOptions{}).ok());
  }
};

// Every binding key in the store whose account on either side is missing.
std::vector<std::string> orphan_bindings(account_store& store) {
  std::vector<std::string> out;
  auto db = store.access();
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{})};
  for (it->Seek("b/"); it->Valid() && it->key().starts_with("b/"); it->Next()) {
    auto key = it->key().ToString();
    auto zero = key.find('\0');
    auto a = key.substr(2, zero - 2);
    auto b = key.substr(zero + 1);
    if (store.exists(db, a) != lookup_status::found || store.exists(db, b) != lookup_status::found)
      out.push_back(a + " <-> " + b);
  }
  return out;
}

} // namespace

TEST_CASE("after a failed write the store takes writes again once the disk does") {
  // EIO makes RocksDB stop for good (a torn WAL record); ENOSPC is its
  // recoverable "hard" error. Neither may need a restart of the node.
  bool eio = GENERATE(true, false);
  INFO((eio ? "EIO" : "ENOSPC"));
  faulty_store f;
  REQUIRE(f.user("before").status == register_status::OK);
  auto& flag = eio ? f.faults.fs->fail : f.faults.fs->no_space;

  flag = true;
  CHECK(f.user("during").status == register_status::STORAGE_FAILURE);
  CHECK(f.store->modify({"before@localhost", {{"name", "x"}}, 0, ""}).status
        == modify_status::STORAGE_FAILURE);
  CHECK(f.user("during").status == register_status::STORAGE_FAILURE);
  // Reads go on meanwhile: the account is there, and nothing is "missing".
  REQUIRE(f.store->find("before@localhost"));
  CHECK(f.store->find("before@localhost")->display_name == "User before");
  CHECK_FALSE(f.store->find("during@localhost"));

  flag = false;
  CHECK(f.user("after").status == register_status::OK);
  CHECK(f.store->modify({"before@localhost", {{"name", "changed"}}, 0, ""}).status
        == modify_status::OK);
  CHECK(f.user("during").status == register_status::OK);

  // What was acknowledged is durable; what failed was never half-written.
  f.store.reset();
  f.open();
  CHECK(f.store->find("before@localhost")->display_name == "changed");
  CHECK(f.store->find("after@localhost"));
  CHECK(f.store->find("during@localhost")->version == 1);
}

TEST_CASE("a change whose account cannot be read is a storage failure, not a missing account") {
  faulty_store f;
  REQUIRE(f.user("alice").status == register_status::OK);
  REQUIRE(f.device("tv1").status == register_status::OK);
  f.flush();
  binding_store bindings{*f.store};
  f.faults.fs->fail_reads = true;
  CHECK(f.store->modify({"alice@localhost", {{"name", "x"}}, 0, ""}).status
        == modify_status::STORAGE_FAILURE);
  CHECK(f.store->remove({"alice@localhost", ""}).status == delete_status::STORAGE_FAILURE);
  CHECK(f.store->reset_code({"tv1@localhost", ""}).status == reset_code_status::STORAGE_FAILURE);
  CHECK(f.user("alice").status == register_status::STORAGE_FAILURE);
  CHECK(bindings.bind("alice@localhost", "tv1@localhost", "AAAA-BBBB-CCCC")
        == bind_status::STORAGE_FAILURE);
  account_record r;
  CHECK(f.store->lookup("alice@localhost", r) == lookup_status::failed);
  CHECK(f.store->lookup("nobody@localhost", r) != lookup_status::found);
  f.faults.fs->fail_reads = false;
  CHECK(f.store->lookup("alice@localhost", r) == lookup_status::found);
  CHECK(f.store->lookup("nobody@localhost", r) == lookup_status::missing);
  CHECK(f.store->modify({"alice@localhost", {{"name", "x"}}, 0, ""}).status == modify_status::OK);
}

TEST_CASE("a bind stopped between its checks and its write cannot outlive a delete") {
  // The interleaving that leaves an orphan, made to happen: the bind has
  // seen both accounts and is about to write when the device is deleted.
  faulty_store f;
  {
    // A table file whose key range covers the binding's key, so that the
    // bind reads the disk (and can be held there) when it looks for it.
    auto db = f.store->access();
    REQUIRE(db->Put({}, "a0", "").ok());
    REQUIRE(db->Put({}, "c", "").ok());
  }
  f.flush();
  REQUIRE(f.user("alice").status == register_status::OK);
  auto code = f.device("tv").verification_code;
  {
    // The accounts are in memory; the table's blocks must be read afresh.
    auto db = f.store->access();
    auto options = db->GetOptions();
    auto* table = options.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
    REQUIRE(table);
    table->block_cache->EraseUnRefEntries();
  }
  binding_store bindings{*f.store};
  f.faults.fs->hold_next_read();
  std::atomic<int> bound{-1};
  std::thread binder{[&] {
    bound = static_cast<int>(bindings.bind("alice@localhost", "tv@localhost", code));
  }};
  REQUIRE(f.faults.fs->read_held(std::chrono::seconds(10)));
  delete_response deleted;
  std::atomic<bool> delete_done{false};
  std::thread deleter{[&] {
    deleted = f.store->remove({"tv@localhost", ""});
    delete_done = true;
  }};
  // Without the locks the delete finishes now, under the held bind; with
  // them it waits for the bind. (Only how soon the read is let go depends
  // on this wait, not what the test checks.)
  for (int i = 0; i < 100 && !delete_done; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  f.faults.fs->release_read();
  binder.join();
  deleter.join();
  CHECK(deleted.status == delete_status::OK);
  CHECK_FALSE(f.store->find("tv@localhost"));
  CHECK(orphan_bindings(*f.store).empty());
  // The bind came first, so the delete took its binding along.
  if (bound == static_cast<int>(bind_status::OK))
    CHECK(deleted.unbound == std::vector<std::string>{"alice@localhost"});
  // A new device of that name is bound to nobody.
  REQUIRE(f.device("tv").status == register_status::OK);
  std::vector<std::string> peers;
  REQUIRE(bindings.peers("tv@localhost", peers));
  CHECK(peers.empty());
}

TEST_CASE("binds racing deletes and re-registrations leave no orphan binding") {
  // A bind that checked the device before a delete and wrote after it would
  // leave a binding for a deleted account, which the next account of that
  // name would inherit without ever showing a code.
  faulty_store f;
  f.store.reset();
  f.options.sync_writes = false; // the race is the point here, not the disk
  f.open();
  bind_attempt_limits unlimited;
  unlimited.max_failures = 1 << 30; // binders use a stale code after each re-registration
  binding_store bindings{*f.store, unlimited};
  constexpr int users = 6;
  for (int u = 0; u < users; ++u)
    REQUIRE(f.user("u" + std::to_string(u)).status == register_status::OK);
  std::string code = f.device("tv").verification_code;
  std::mutex code_mutex;
  std::atomic<bool> stop{false}, paused{false};
  std::atomic<int> parked{0};
  std::atomic<long> binds{0};
  std::vector<std::thread> binders;
  for (int u = 0; u < users; ++u)
    binders.emplace_back([&, u] {
      auto user = "u" + std::to_string(u) + "@localhost";
      while (!stop) {
        if (paused) {
          ++parked;
          while (paused && !stop)
            std::this_thread::yield();
          --parked;
          continue;
        }
        std::string current;
        {
          std::lock_guard<std::mutex> guard{code_mutex};
          current = code;
        }
        if (bindings.bind(user, "tv@localhost", current) == bind_status::OK) {
          ++binds;
          bindings.unbind(user, "tv@localhost");
        }
      }
    });
  std::vector<std::string> orphans;
  for (int round = 0; round < 100 && orphans.empty(); ++round) {
    // Delete while binds are under way...
    auto before = binds.load();
    while (binds == before)
      std::this_thread::yield();
    REQUIRE(f.store->remove({"tv@localhost", ""}).status == delete_status::OK);
    // ...then let every bind in flight finish, and look.
    paused = true;
    while (parked < users)
      std::this_thread::yield();
    orphans = orphan_bindings(*f.store);
    auto fresh = f.device("tv");
    REQUIRE(fresh.status == register_status::OK);
    {
      std::lock_guard<std::mutex> guard{code_mutex};
      code = fresh.verification_code;
    }
    paused = false;
    while (parked > 0)
      std::this_thread::yield();
  }
  stop = true;
  for (auto& t : binders)
    t.join();
  INFO("binds that succeeded: " << binds);
  CHECK(orphans.empty());
  CHECK(orphan_bindings(*f.store).empty());
}

TEST_CASE("wrong-code counts expire and are bounded") {
  faulty_store f;
  bind_attempt_limits limits;
  limits.max_entries = 8;
  limits.max_failures = 1000; // the one device is guessed at by all of them
  binding_store bindings{*f.store, limits};
  REQUIRE(f.device("tv").status == register_status::OK);
  for (int u = 0; u < 20; ++u) {
    auto name = "guesser" + std::to_string(u);
    REQUIRE(f.user(name).status == register_status::OK);
    CHECK(bindings.bind(name + "@localhost", "tv@localhost", "AAAA-BBBB-CCCC")
          == bind_status::WRONG_CODE);
    CHECK(bindings.attempts().size() <= limits.max_entries);
  }

  bind_attempts table{{3, std::chrono::minutes(10), 100}};
  auto t0 = bind_attempts::clock::now();
  for (int i = 0; i < 3; ++i)
    table.failed("d:tv", t0);
  CHECK_FALSE(table.allowed("d:tv", t0 + std::chrono::minutes(9)));
  CHECK(table.allowed("d:tv", t0 + std::chrono::minutes(10)));
  CHECK(table.size() == 0); // the expired window was dropped, not kept
}
