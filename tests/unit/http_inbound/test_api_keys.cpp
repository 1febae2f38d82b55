// IRSP §8.8.3 API keys: sealed at rest in the account store, revocable.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <sys/stat.h>

#include <filesystem>

#include "actors/account/account_store.hpp"
#include "node/http/api_keys.hpp"
#include "node/http/secret_box.hpp"
#include "temp_dir.hpp"

using namespace irsp;

TEST_CASE("a sealed secret opens only with its key and its key id") {
  irsp::test::temp_dir dir;
  std::string error;
  auto file = (dir.path() / "k").string();
  auto box = http::secret_box::open(file, true, error);
  REQUIRE(box);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto sealed = box->seal("the secret", "id1");
  CHECK(sealed.find("the secret") == std::string::npos);
  CHECK(box->unseal(sealed, "id1") == std::optional<std::string>{"the secret"});
  CHECK_FALSE(box->unseal(sealed, "id2"));
  auto tampered = sealed;
  tampered[14] ^= 1;
  CHECK_FALSE(box->unseal(tampered, "id1"));
  auto again = http::secret_box::open(file, false, error); // the same key, read back
  REQUIRE(again);
  CHECK(again->unseal(sealed, "id1") == std::optional<std::string>{"the secret"});
  std::filesystem::remove(file);
  auto other = http::secret_box::open(file, true, error);
  REQUIRE(other);
  CHECK_FALSE(other->unseal(sealed, "id1"));
}

TEST_CASE("keys are made, loaded with their secret, revoked; the store holds no secret") {
  irsp::test::temp_dir dir;
  account::store_options o;
  o.path = (dir.path() / "accounts").string();
  std::string error;
  auto store = account::account_store::open(o, error);
  REQUIRE(store);
  std::shared_ptr<http::secret_box> box =
    http::secret_box::open((dir.path() / "key").string(), true, error);
  REQUIRE(box);
  http::api_keys keys{*store, box};
  auto a = keys.create("acme cloud", "echo", error);
  auto b = keys.create("monitoring", "", error);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->first.id.size() == 16);
  CHECK(a->second.size() == 64);
  CHECK(a->first.id != b->first.id);

  auto active = keys.load_active(error);
  REQUIRE(active);
  REQUIRE(active->size() == 2);
  CHECK(active->at(a->first.id).secret == a->second);
  CHECK(active->at(a->first.id).application == "echo");
  CHECK(active->at(b->first.id).application.empty());

  { // Nothing in the database holds a secret in the clear.
    auto db = store->access();
    std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{})};
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      CHECK(it->value().ToString().find(a->second) == std::string::npos);
      CHECK(it->value().ToString().find(b->second) == std::string::npos);
    }
  }

  CHECK(keys.revoke(a->first.id) == http::api_keys::revoke_result::revoked);
  CHECK(keys.revoke(a->first.id) == http::api_keys::revoke_result::already_revoked);
  CHECK(keys.revoke("ffffffffffffffff") == http::api_keys::revoke_result::no_such_key);
  active = keys.load_active(error);
  REQUIRE(active);
  CHECK(active->size() == 1);
  CHECK(active->count(b->first.id) == 1);
  auto listed = keys.list(error);
  REQUIRE(listed.size() == 2);
  for (auto& k : listed)
    CHECK((k.revoked_ms != 0) == (k.id == a->first.id));

  // Another node's key file cannot open the secrets: loading says so.
  std::shared_ptr<http::secret_box> wrong =
    http::secret_box::open((dir.path() / "other-key").string(), true, error);
  http::api_keys elsewhere{*store, wrong};
  CHECK_FALSE(elsewhere.load_active(error));
  CHECK(error.find(b->first.id) != std::string::npos);
}
