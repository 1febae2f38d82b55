// Issue 14: an account shard's changes are on its backup before they are
// acknowledged; without a live backup they are refused (storage-unavailable).
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <caf/all.hpp>

#include <map>
#include <string>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/binding_store.hpp"
#include "actors/account/replica_applier.hpp"
#include "actors/account/replica_atoms.hpp"
#include "actors/account/replication.hpp"
#include "actors/offline/offline_store.hpp"
#include "temp_dir.hpp"

using namespace irsp;
using namespace irsp::account;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<account_store> open_store(const std::string& path, bool partial = false) {
  store_options o;
  o.path = path;
  o.scram_iterations = 16;
  o.accept_partial_replica = partial;
  std::string error;
  std::shared_ptr<account_store> store = account_store::open(o, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

// Every key and value of a store.
std::map<std::string, std::string> contents(const account_store& store) {
  std::map<std::string, std::string> out;
  auto db = store.access();
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{})};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    out.emplace(it->key().ToString(), it->value().ToString());
  REQUIRE(it->status().ok());
  return out;
}

register_request user(const std::string& name) {
  register_request r;
  r.name = name;
  r.kind = account_kind::USER;
  r.password = "long enough";
  return r;
}

register_request device(const std::string& name) {
  auto r = user(name);
  r.kind = account_kind::DEVICE;
  r.device = {"M", "Acme", "1"};
  return r;
}

struct fixture {
  test::temp_dir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<account_store> primary = open_store(dir / "primary");
  std::shared_ptr<account_store> backup = open_store(dir / "backup");
  std::shared_ptr<replication_source> source;
  caf::actor applier;

  fixture() {
    replication_options o;
    o.timeout = 2s; // only bounds a hang: every answer here is local
    source = replication_source::make(sys, *primary, o);
  }
  ~fixture() {
    primary->set_replicator(nullptr);
    if (applier)
      caf::anon_send_exit(applier, caf::exit_reason::kill);
  }

  void attach(std::uint64_t epoch = 1) {
    applier = spawn_replica_applier(sys, backup, epoch);
    REQUIRE(source->attach_backup(applier, epoch));
  }

  // The applier's (epoch, applied seq, live).
  std::tuple<std::uint64_t, std::uint64_t, bool> state() {
    caf::scoped_actor self{sys};
    std::tuple<std::uint64_t, std::uint64_t, bool> out{};
    self->request(applier, 5s, replica_state_atom::value)
      .receive([&](std::uint64_t e, std::uint64_t s, bool l) { out = {e, s, l}; },
               [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  }

  // One raw batch to the applier: its answer, or the error's text.
  std::string apply(std::uint64_t epoch, std::uint64_t seq, const std::string& key) {
    rocksdb::WriteBatch batch;
    batch.Put(key, "v");
    caf::scoped_actor self{sys};
    std::string out;
    self->request(applier, 5s, replica_apply_atom::value, epoch, seq, std::string{batch.Data()})
      .receive([&](std::uint64_t s) { out = "ok " + std::to_string(s); },
               [&](caf::error& e) { out = sys.render(e); });
    return out;
  }
};

// A backup that takes a snapshot and then never answers a live batch.
struct mute_state {
  std::vector<caf::response_promise> held;
};
caf::behavior mute_backup(caf::stateful_actor<mute_state>* self) {
  return {
    [](replica_begin_atom, std::uint64_t epoch) { return epoch; },
    [](replica_chunk_atom, std::uint64_t, const std::string& data) {
      return static_cast<std::uint64_t>(rocksdb::WriteBatch{data}.Count());
    },
    [](replica_end_atom, std::uint64_t, std::uint64_t seq) { return seq; },
    [self](replica_apply_atom, std::uint64_t, std::uint64_t,
           const std::string&) -> caf::result<std::uint64_t> {
      self->state.held.push_back(self->make_response_promise());
      return self->state.held.back();
    },
  };
}

} // namespace

TEST_CASE("every acknowledged change of every kind is on the backup", "[replication]") {
  fixture f;
  f.attach();
  REQUIRE(f.primary->register_account(user("alice")).status == register_status::OK);
  auto tv = f.primary->register_account(device("tv"));
  REQUIRE(tv.status == register_status::OK);
  binding_store bindings{*f.primary};
  REQUIRE(bindings.bind("alice@localhost", "tv@localhost", tv.verification_code)
          == bind_status::OK);
  offline::offline_store queue{f.primary, {}};
  REQUIRE(queue.enqueue("alice@localhost", {message::delivery_kind::PUSH, "news", "hi", 0})
          == offline::enqueue_result::queued);
  REQUIRE(f.primary->modify({"alice@localhost", {{"name", "Alice"}}, 0, ""}).status
          == modify_status::OK);
  CHECK(contents(*f.backup) == contents(*f.primary));
  CHECK(contents(*f.backup).count(keys::binding("alice@localhost", "tv@localhost")) == 1);
  CHECK(f.state() == std::make_tuple(std::uint64_t{1}, f.source->sequence(), true));
  CHECK(f.source->sequence() == 5);

  REQUIRE(f.primary->remove({"alice@localhost", ""}).status == delete_status::OK);
  REQUIRE(f.primary->reset_code({"tv@localhost", ""}).status == reset_code_status::OK);
  CHECK(contents(*f.backup) == contents(*f.primary));
  CHECK(contents(*f.backup).count(keys::account("alice@localhost")) == 0);
}

TEST_CASE("without a backup every change is refused before it is made", "[replication]") {
  fixture f; // a primary that never had a backup
  auto before = contents(*f.primary);
  CHECK(f.primary->register_account(user("alice")).status
        == register_status::STORAGE_UNAVAILABLE);
  CHECK_FALSE(f.primary->find("alice@localhost"));
  CHECK(contents(*f.primary) == before);

  // With one attached and then detached: the same, for every kind of change.
  f.attach();
  auto tv = f.primary->register_account(device("tv"));
  REQUIRE(tv.status == register_status::OK);
  REQUIRE(f.primary->register_account(user("bob")).status == register_status::OK);
  f.source->detach();
  CHECK_FALSE(f.source->live());
  binding_store bindings{*f.primary};
  CHECK(bindings.bind("bob@localhost", "tv@localhost", tv.verification_code)
        == bind_status::STORAGE_UNAVAILABLE);
  offline::offline_store queue{f.primary, {}};
  CHECK(queue.enqueue("bob@localhost", {message::delivery_kind::PUSH, "news", "hi", 0})
        == offline::enqueue_result::unavailable);
  CHECK(f.primary->modify({"bob@localhost", {{"name", "B"}}, 0, ""}).status
        == modify_status::STORAGE_UNAVAILABLE);
  CHECK(f.primary->remove({"bob@localhost", ""}).status == delete_status::STORAGE_UNAVAILABLE);
  CHECK(f.primary->reset_code({"tv@localhost", ""}).status
        == reset_code_status::STORAGE_UNAVAILABLE);
  CHECK(bindings.unbind("bob@localhost", "tv@localhost") == unbind_status::NOT_BOUND);
  CHECK(f.primary->find("bob@localhost")->display_name.empty());
  // Nothing of it reached either copy.
  CHECK(contents(*f.primary) == contents(*f.backup));
}

TEST_CASE("a backup that is gone fails the write instead of acknowledging it",
          "[replication]") {
  fixture f;
  f.attach();
  REQUIRE(f.primary->register_account(user("alice")).status == register_status::OK);
  caf::scoped_actor self{f.sys};
  self->send_exit(f.applier, caf::exit_reason::kill);
  self->wait_for(f.applier);
  CHECK(f.primary->register_account(user("bob")).status
        == register_status::STORAGE_UNAVAILABLE);
  CHECK_FALSE(f.source->live());
  // Once dropped, the backup stays dropped: the next change is refused
  // before it touches the primary's disk.
  CHECK(f.primary->register_account(user("carol")).status
        == register_status::STORAGE_UNAVAILABLE);
  CHECK_FALSE(f.primary->find("carol@localhost"));
  CHECK(f.backup->find("alice@localhost"));
  CHECK_FALSE(f.backup->find("bob@localhost"));
}

TEST_CASE("a backup that does not answer fails the write after the timeout",
          "[replication]") {
  test::temp_dir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto primary = open_store(dir / "primary");
  replication_options o;
  o.timeout = 300ms;
  auto source = replication_source::make(sys, *primary, o);
  auto mute = sys.spawn(mute_backup);
  REQUIRE(source->attach_backup(mute, 1));
  CHECK(primary->register_account(user("alice")).status
        == register_status::STORAGE_UNAVAILABLE);
  CHECK_FALSE(source->live());
  primary->set_replicator(nullptr);
  caf::anon_send_exit(mute, caf::exit_reason::kill);
}

TEST_CASE("a new backup catches up by snapshot, then follows live", "[replication]") {
  fixture f;
  // Data written before the store had a backup at all.
  f.primary->set_replicator(nullptr);
  for (int i = 0; i < 300; ++i)
    REQUIRE(f.primary->register_account(user("u" + std::to_string(i))).status
            == register_status::OK);
  f.primary->set_replicator(f.source);
  // Whatever the backup held before goes.
  REQUIRE(f.backup->register_account(user("stale")).status == register_status::OK);
  replication_options small;
  small.chunk_bytes = 4096; // many chunks
  f.source = replication_source::make(f.sys, *f.primary, small);
  f.attach(7);
  CHECK(contents(*f.backup) == contents(*f.primary));
  CHECK_FALSE(f.backup->find("stale@localhost"));
  CHECK(f.state() == std::make_tuple(std::uint64_t{7}, std::uint64_t{0}, true));
  for (int i = 0; i < 20; ++i)
    REQUIRE(f.primary->modify({"u" + std::to_string(i) + "@localhost", {{"name", "N"}}, 0, ""})
              .status
            == modify_status::OK);
  CHECK(contents(*f.backup) == contents(*f.primary));
  CHECK(std::get<1>(f.state()) == 20);

  // A second, empty backup replaces the first the same way.
  test::temp_dir other;
  auto second = open_store(other / "backup2");
  auto second_applier = spawn_replica_applier(f.sys, second, 8);
  REQUIRE(f.source->attach_backup(second_applier, 8));
  REQUIRE(f.primary->remove({"u1@localhost", ""}).status == delete_status::OK);
  CHECK(contents(*second) == contents(*f.primary));
  caf::anon_send_exit(second_applier, caf::exit_reason::kill);
}

TEST_CASE("a backup serves only the primary of the newest epoch", "[replication]") {
  fixture f;
  f.applier = spawn_replica_applier(f.sys, f.backup, 2);
  CHECK_FALSE(f.source->attach_backup(f.applier, 1)); // a replaced primary
  CHECK_FALSE(f.source->live());
  REQUIRE(f.source->attach_backup(f.applier, 2));
  REQUIRE(f.primary->register_account(user("alice")).status == register_status::OK);
  // The role assigner names a new primary: the old one is fenced off.
  {
    caf::scoped_actor self{f.sys};
    self->request(f.applier, 5s, replica_epoch_atom::value, std::uint64_t{3})
      .receive([](std::uint64_t e) { CHECK(e == 3); },
               [&](caf::error& e) { FAIL(f.sys.render(e)); });
  }
  CHECK(f.primary->register_account(user("bob")).status
        == register_status::STORAGE_UNAVAILABLE);
  CHECK_FALSE(f.backup->find("bob@localhost"));
  CHECK_THAT(f.apply(2, 2, "x"), Catch::Contains("stale epoch"));
  // Live batches of the new epoch wait for its snapshot.
  CHECK_THAT(f.apply(3, 1, "x"), Catch::Contains("no complete snapshot"));
}

TEST_CASE("a backup refuses a gap and nothing after it", "[replication]") {
  fixture f;
  f.attach();
  REQUIRE(f.primary->register_account(user("alice")).status == register_status::OK);
  auto next = f.source->sequence() + 1;
  CHECK_THAT(f.apply(1, next + 1, "skipped"), Catch::Contains("gap"));
  CHECK_THAT(f.apply(1, next, "late"), Catch::Contains("no complete snapshot"));
  auto held = contents(*f.backup);
  CHECK(held.count("skipped") == 0);
  CHECK(held.count("late") == 0);
  CHECK(f.apply(1, next, "x") != "ok " + std::to_string(next));
}

TEST_CASE("a half-received snapshot is never opened as a store", "[replication]") {
  fixture f;
  REQUIRE(f.backup->register_account(user("old")).status == register_status::OK);
  f.applier = spawn_replica_applier(f.sys, f.backup, 1);
  caf::scoped_actor self{f.sys};
  self->request(f.applier, 5s, replica_begin_atom::value, std::uint64_t{1})
    .receive([](std::uint64_t) {}, [&](caf::error& e) { FAIL(f.sys.render(e)); });
  self->send_exit(f.applier, caf::exit_reason::kill);
  self->wait_for(f.applier);
  f.applier = nullptr;
  f.backup.reset();
  store_options o;
  o.path = f.dir / "backup";
  std::string error;
  CHECK_FALSE(account_store::open(o, error));
  CHECK_THAT(error, Catch::Contains("half-received replica snapshot"));
  // The applier may open it, to replace it; a whole snapshot clears the mark.
  f.backup = open_store(f.dir / "backup", true);
  CHECK_FALSE(f.backup->find("old@localhost"));
  f.attach();
  f.backup.reset();
  caf::anon_send_exit(f.applier, caf::exit_reason::kill);
  self->wait_for(f.applier);
  f.applier = nullptr;
  CHECK(static_cast<bool>(open_store(f.dir / "backup")));
}
