// IRSP §8.2.1–8.2.4: every status code of the four account exchanges.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "actors/account/account_store.hpp"
#include "failing_fs.hpp"
#include "temp_dir.hpp"

using namespace irsp::account;

namespace {

struct store_fixture {
  irsp::test::temp_dir dir;
  irsp::test::failing_env faults;
  std::unique_ptr<account_store> store;

  explicit store_fixture(bool open_registration = true) {
    store_options o;
    o.path = dir / "accounts";
    o.scram_iterations = 16; // keeps the suite fast; the bench uses the default
    o.open_registration = open_registration;
    o.env = faults.env.get();
    std::string error;
    store = account_store::open(o, error);
    REQUIRE(store);
  }

  register_response user(const std::string& name, const std::string& pw = "correct horse") {
    register_request r;
    r.name = name;
    r.password = pw;
    r.display_name = "User " + name;
    return store->register_account(r);
  }

  register_response device(const std::string& name) {
    register_request r;
    r.name = name;
    r.kind = account_kind::DEVICE;
    r.password = "device-secret";
    r.device = {"TV-55", "Acme", "SN0001"};
    return store->register_account(r);
  }
};

register_request request_with(std::string name, std::string password) {
  register_request r;
  r.name = std::move(name);
  r.password = std::move(password);
  return r;
}

modify_request change(std::string address, std::string key, std::string value) {
  modify_request m;
  m.address = std::move(address);
  m.changes.emplace_back(std::move(key), std::move(value));
  return m;
}

} // namespace

TEST_CASE("register: every status") {
  store_fixture f;
  auto ok = f.user("Alice");
  CHECK(ok.status == register_status::OK);
  CHECK(ok.address == "alice@localhost");
  CHECK(ok.verification_code.empty());

  auto dev = f.device("tv1");
  CHECK(dev.status == register_status::OK);
  CHECK(dev.verification_code.size() == 14);

  CHECK(f.user("alice").status == register_status::EXISTS);
  CHECK(f.user("ALICE").status == register_status::EXISTS);
  CHECK(f.user("a@b").status == register_status::BAD_NAME);
  CHECK(f.user("").status == register_status::BAD_NAME);
  CHECK(f.user("bob", "").status == register_status::MISSING_PASSWORD);
  CHECK(f.user("bob", "short").status == register_status::WEAK_PASSWORD);
  CHECK(f.user("bob", std::string(2000, 'x')).status == register_status::WEAK_PASSWORD);

  auto long_name = request_with("bob", "long enough");
  long_name.display_name = std::string(300, 'n');
  CHECK(f.store->register_account(long_name).status == register_status::BAD_VALUE);
  auto control = request_with("bob", "long enough");
  control.display_name = "bell\x07";
  CHECK(f.store->register_account(control).status == register_status::BAD_VALUE);

  auto bare = request_with("cam", "long enough");
  bare.kind = account_kind::DEVICE;
  bare.device = {"", "Acme", "1"};
  CHECK(f.store->register_account(bare).status == register_status::MISSING_DEVICE_INFO);

  f.faults.fs->fail = true;
  CHECK(f.user("carol").status == register_status::STORAGE_FAILURE);
}

TEST_CASE("register: closed registration refuses clients, not the operator") {
  store_fixture f{false};
  auto r = request_with("dave", "long enough");
  r.requester = "c2s:127.0.0.1";
  CHECK(f.store->register_account(r).status == register_status::NOT_ALLOWED);
  r.requester.clear();
  CHECK(f.store->register_account(r).status == register_status::OK);
}

TEST_CASE("modify: every status") {
  store_fixture f;
  f.user("alice");
  f.device("tv1");

  auto ok = f.store->modify(change("alice@localhost", "name", "Alice A."));
  CHECK(ok.status == modify_status::OK);
  CHECK(ok.version == 2);
  CHECK(f.store->find("alice@localhost")->display_name == "Alice A.");

  CHECK(f.store->modify(change("zed@localhost", "name", "x")).status == modify_status::NO_SUCH_ACCOUNT);
  CHECK(f.store->modify(change("alice@elsewhere", "name", "x")).status == modify_status::NO_SUCH_ACCOUNT);
  CHECK(f.store->modify(change("alice@localhost", "colour", "x")).status == modify_status::UNKNOWN_FIELD);
  CHECK(f.store->modify(change("alice@localhost", "name", std::string(257, 'x'))).status == modify_status::BAD_VALUE);
  CHECK(f.store->modify(change("tv1@localhost", "serial", "")).status == modify_status::BAD_VALUE);
  CHECK(f.store->modify(change("alice@localhost", "model", "X1")).status == modify_status::NOT_A_DEVICE);
  CHECK(f.store->modify(change("tv1@localhost", "model", "X1")).status == modify_status::OK);
  CHECK(f.store->modify(change("alice@localhost", "password", "")).status == modify_status::MISSING_PASSWORD);
  CHECK(f.store->modify(change("alice@localhost", "password", "short")).status == modify_status::WEAK_PASSWORD);

  auto stale = change("alice@localhost", "name", "Old");
  stale.expected_version = 1;
  auto conflict = f.store->modify(stale);
  CHECK(conflict.status == modify_status::VERSION_CONFLICT);
  CHECK(conflict.version == 2);
  stale.expected_version = 2;
  CHECK(f.store->modify(stale).status == modify_status::OK);

  auto other = change("alice@localhost", "name", "Mallory was here");
  other.requester = "tv1@localhost";
  CHECK(f.store->modify(other).status == modify_status::NOT_ALLOWED);
  other.requester = "alice@localhost";
  CHECK(f.store->modify(other).status == modify_status::OK);

  modify_request empty;
  empty.address = "alice@localhost";
  CHECK(f.store->modify(empty).status == modify_status::NO_CHANGES);

  f.faults.fs->fail = true;
  CHECK(f.store->modify(change("alice@localhost", "name", "x")).status == modify_status::STORAGE_FAILURE);
}

TEST_CASE("modify: a failed change leaves the account as it was") {
  store_fixture f;
  f.user("alice");
  modify_request m;
  m.address = "alice@localhost";
  m.changes = {{"name", "New"}, {"colour", "red"}};
  CHECK(f.store->modify(m).status == modify_status::UNKNOWN_FIELD);
  auto view = f.store->find("alice@localhost");
  CHECK(view->display_name == "User alice");
  CHECK(view->version == 1);
}

TEST_CASE("modify: a new password replaces the old one") {
  store_fixture f;
  f.user("alice", "first password");
  REQUIRE(f.store->modify(change("alice@localhost", "password", "second password")).status == modify_status::OK);
  auto r = f.store->find_record("alice@localhost");
  for (auto hash : {scram_hash::sha256, scram_hash::sha1}) {
    const auto& secret = hash == scram_hash::sha256 ? r->scram_sha256 : r->scram_sha1;
    CHECK(password_matches(secret, hash, "second password"));
    CHECK_FALSE(password_matches(secret, hash, "first password"));
  }
}

TEST_CASE("delete: every status") {
  store_fixture f;
  f.user("alice");
  f.user("bob");
  delete_request d{"alice@localhost", "bob@localhost"};
  CHECK(f.store->remove(d).status == delete_status::NOT_ALLOWED);
  d.requester = "alice@localhost";
  CHECK(f.store->remove(d).status == delete_status::OK);
  CHECK_FALSE(f.store->find("alice@localhost"));
  CHECK(f.store->remove(d).status == delete_status::NO_SUCH_ACCOUNT);
  CHECK(f.user("alice").status == register_status::OK);

  f.faults.fs->fail = true;
  CHECK(f.store->remove({"bob@localhost", ""}).status == delete_status::STORAGE_FAILURE);
}

TEST_CASE("reset code: every status") {
  store_fixture f;
  f.user("alice");
  auto first = f.device("tv1").verification_code;
  auto reset = f.store->reset_code({"tv1@localhost", ""});
  CHECK(reset.status == reset_code_status::OK);
  CHECK(reset.verification_code != first);
  auto r = f.store->find_record("tv1@localhost");
  CHECK(code_matches(r->code, reset.verification_code));
  CHECK_FALSE(code_matches(r->code, first));

  CHECK(f.store->reset_code({"nobody@localhost", ""}).status == reset_code_status::NO_SUCH_ACCOUNT);
  CHECK(f.store->reset_code({"alice@localhost", ""}).status == reset_code_status::NOT_A_DEVICE);
  CHECK(f.store->reset_code({"tv1@localhost", "alice@localhost"}).status == reset_code_status::NOT_ALLOWED);
  CHECK(f.store->reset_code({"tv1@localhost", "tv1@localhost"}).status == reset_code_status::OK);

  f.faults.fs->fail = true;
  CHECK(f.store->reset_code({"tv1@localhost", ""}).status == reset_code_status::STORAGE_FAILURE);
}

TEST_CASE("every status code of the schema has a name") {
  // A new enumerant in schema/exchanges.capnp must be named, documented and tested.
  std::set<std::string> names;
  for (auto& [s, n] : all_statuses<register_status>())
    names.insert("register/" + n);
  for (auto& [s, n] : all_statuses<modify_status>())
    names.insert("modify/" + n);
  for (auto& [s, n] : all_statuses<delete_status>())
    names.insert("delete/" + n);
  for (auto& [s, n] : all_statuses<reset_code_status>())
    names.insert("reset-code/" + n);
  CHECK(names.size() == 10 + 12 + 5 + 6);
  CHECK(names.count("register/missing-device-info"));
  CHECK(names.count("reset-code/storage-unavailable"));
  CHECK(status_name(modify_status::NO_SUCH_ACCOUNT) == "no-such-account");
}

TEST_CASE("accounts survive closing and reopening the store") {
  irsp::test::temp_dir dir;
  store_options o;
  o.path = dir / "accounts";
  o.domain = "as1.example";
  o.scram_iterations = 16;
  std::string error;
  std::string code;
  {
    auto store = account_store::open(o, error);
    REQUIRE(store);
    register_request r = request_with("cam", "long enough");
    r.kind = account_kind::DEVICE;
    r.device = {"C1", "Acme", "77"};
    code = store->register_account(r).verification_code;
  }
  o.domain.clear();
  auto store = account_store::open(o, error);
  REQUIRE(store);
  CHECK(store->options().domain == "as1.example");
  auto r = store->find_record("cam@as1.example");
  REQUIRE(r);
  CHECK(r->view.device.serial == "77");
  CHECK(code_matches(r->code, code));
}

TEST_CASE("a data dir keeps the domain it was created with") {
  irsp::test::temp_dir dir;
  store_options o;
  o.path = dir / "accounts";
  o.domain = "as1.example";
  std::string error;
  REQUIRE(account_store::open(o, error));
  o.domain = "as2.example";
  CHECK_FALSE(account_store::open(o, error));
  CHECK(error.find("belongs to domain 'as1.example'") != std::string::npos);
}

TEST_CASE("a second opener of a data dir gets a clear error") {
  store_fixture f;
  store_options o;
  o.path = f.dir / "accounts";
  std::string error;
  CHECK_FALSE(account_store::open(o, error));
  CHECK(error.find("already running") != std::string::npos);
}

TEST_CASE("concurrent registrations of one name: exactly one wins") {
  store_fixture f;
  std::atomic<int> ok{0}, exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto s = f.user("contended").status;
      (s == register_status::OK ? ok : exists)++;
    });
  for (auto& t : threads)
    t.join();
  CHECK(ok == 1);
  CHECK(exists == 7);
}

TEST_CASE("concurrent versioned modifies: one winner per version") {
  store_fixture f;
  f.user("alice");
  std::atomic<int> ok{0}, conflict{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto m = change("alice@localhost", "name", "writer " + std::to_string(i));
      m.expected_version = 1;
      auto s = f.store->modify(m).status;
      (s == modify_status::OK ? ok : conflict)++;
    });
  for (auto& t : threads)
    t.join();
  CHECK(ok == 1);
  CHECK(conflict == 7);
  CHECK(f.store->find("alice@localhost")->version == 2);
}
