// IRSP §8.8.2: the outbox and the endpoint registry in RocksDB.
#include <catch2/catch.hpp>

#include "actors/account/account_store.hpp"
#include "actors/outbox/endpoint_rules.hpp"
#include "actors/outbox/outbox_store.hpp"
#include "temp_dir.hpp"

using namespace irsp::outbox;

namespace {

struct outbox_fixture {
  irsp::test::temp_dir dir;
  std::shared_ptr<irsp::account::account_store> accounts;

  outbox_fixture() { reopen(); }

  void reopen() {
    accounts.reset();
    irsp::account::store_options o;
    o.path = dir / "accounts";
    std::string error;
    accounts = irsp::account::account_store::open(o, error);
    REQUIRE(accounts);
  }

  static external_endpoint endpoint(const std::string& name, std::uint32_t concurrency = 1) {
    return {name, "https://127.0.0.1:1/" + name, "", concurrency, 3};
  }
};

} // namespace

TEST_CASE_METHOD(outbox_fixture, "endpoints are added once, listed and removed") {
  outbox_store s{accounts};
  CHECK(s.add_endpoint(endpoint("b")) == endpoint_change::ok);
  CHECK(s.add_endpoint(endpoint("a")) == endpoint_change::ok);
  CHECK(s.add_endpoint(endpoint("a")) == endpoint_change::exists);
  auto all = s.endpoints();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].name == "a");
  CHECK((*all)[0].url == "https://127.0.0.1:1/a");
  CHECK(s.remove_endpoint("a") == endpoint_change::ok);
  CHECK(s.remove_endpoint("a") == endpoint_change::no_such_endpoint);
  CHECK(!s.find_endpoint("a"));
  CHECK(s.find_endpoint("b"));
}

TEST_CASE_METHOD(outbox_fixture, "an accepted message survives a reopen, in order, with its state") {
  {
    outbox_store s{accounts};
    REQUIRE(s.add_endpoint(endpoint("hook")) == endpoint_change::ok);
    CHECK(s.enqueue("app", "nope", "k0", "x", 1) == SendExternalStatus::NO_SUCH_ENDPOINT);
    CHECK(s.enqueue("app", "hook", "k1", "one", 1) == SendExternalStatus::QUEUED);
    CHECK(s.enqueue("app", "hook", "k2", "two", 2) == SendExternalStatus::QUEUED);
    CHECK(s.enqueue("app", "hook", "k3", "three", 3) == SendExternalStatus::QUEUED);
    CHECK(s.enqueue("app", "hook", "k2", "again", 4) == SendExternalStatus::DUPLICATE);
    // Keys are per application.
    CHECK(s.enqueue("other", "hook", "k2", "two'", 5) == SendExternalStatus::QUEUED);
    CHECK(s.depth() == 4);
  }
  reopen();
  outbox_store s{accounts};
  CHECK(s.depth() == 4); // counted again from the store
  auto first = s.pending("hook", 0, 2);
  REQUIRE(first.size() == 2);
  CHECK(first[0].key == "k1");
  CHECK(first[0].payload == "one");
  CHECK(first[1].key == "k2");
  auto rest = s.pending("hook", first[1].seq, 10);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].key == "k3");
  CHECK(rest[1].application == "other");
  auto k1 = s.find("app", "k1");
  REQUIRE(k1);
  CHECK(k1->state == ExternalState::QUEUED);
  CHECK(s.find("app", "missing")->state == ExternalState::UNKNOWN);
}

TEST_CASE_METHOD(outbox_fixture, "failures are recorded; delivered and dead-lettered messages leave the order") {
  outbox_store s{accounts};
  REQUIRE(s.add_endpoint(endpoint("hook")) == endpoint_change::ok);
  REQUIRE(s.enqueue("app", "hook", "k1", "one", 1) == SendExternalStatus::QUEUED);
  REQUIRE(s.enqueue("app", "hook", "k2", "two", 2) == SendExternalStatus::QUEUED);
  auto p = s.pending("hook", 0, 10);
  REQUIRE(p.size() == 2);
  REQUIRE(s.record_failure(p[0], 1, "HTTP 503"));
  auto k1 = s.find("app", "k1");
  CHECK(k1->state == ExternalState::DELIVERING);
  CHECK(k1->attempts == 1);
  CHECK(k1->last_error == "HTTP 503");
  REQUIRE(s.finish(*k1, ExternalState::DELIVERED, 2, "", 10));
  REQUIRE(s.finish(p[1], ExternalState::DEAD_LETTER, 1, "HTTP 400", 11));
  CHECK(s.pending("hook", 0, 10).empty());
  CHECK(s.depth() == 0);
  k1 = s.find("app", "k1");
  CHECK(k1->state == ExternalState::DELIVERED);
  CHECK(k1->attempts == 2);
  CHECK(k1->payload.empty()); // delivered: only the status is kept
  auto k2 = s.find("app", "k2");
  CHECK(k2->state == ExternalState::DEAD_LETTER);
  CHECK(k2->payload == "two"); // dead letter: kept for the operator
  CHECK(k2->last_error == "HTTP 400");
  // A finished key is still taken.
  CHECK(s.enqueue("app", "hook", "k1", "x", 12) == SendExternalStatus::DUPLICATE);
}

TEST_CASE_METHOD(outbox_fixture, "messages of a removed endpoint are dead-lettered") {
  outbox_store s{accounts};
  REQUIRE(s.add_endpoint(endpoint("gone")) == endpoint_change::ok);
  REQUIRE(s.add_endpoint(endpoint("kept")) == endpoint_change::ok);
  REQUIRE(s.enqueue("app", "gone", "g", "x", 1) == SendExternalStatus::QUEUED);
  REQUIRE(s.enqueue("app", "kept", "k", "y", 1) == SendExternalStatus::QUEUED);
  REQUIRE(s.remove_endpoint("gone") == endpoint_change::ok);
  CHECK(s.dead_letter_orphans(5) == 1);
  CHECK(s.find("app", "g")->state == ExternalState::DEAD_LETTER);
  CHECK(s.find("app", "g")->last_error == "no-such-endpoint");
  CHECK(s.find("app", "k")->state == ExternalState::QUEUED);
  CHECK(s.depth() == 1);
}

TEST_CASE("endpoint and key rules") {
  external_endpoint e{"hook", "https://example.net/in", "", 1, 5};
  CHECK(check_endpoint(e).empty());
  e.url = "http://example.net/in";
  CHECK(check_endpoint(e).find("https") != std::string::npos);
  e.url = "not a url";
  CHECK(!check_endpoint(e).empty());
  e.url = "https://example.net/in";
  e.name = "Bad Name";
  CHECK(!check_endpoint(e).empty());
  e.name = "hook";
  e.concurrency = 0;
  CHECK(!check_endpoint(e).empty());
  e.concurrency = 1;
  e.max_attempts = 0;
  CHECK(!check_endpoint(e).empty());
  CHECK(valid_key("order-17"));
  CHECK(!valid_key(""));
  CHECK(!valid_key("has space"));
  CHECK(!valid_key("line\nbreak"));
  CHECK(!valid_key(std::string(201, 'k')));
  CHECK(valid_key(std::string(200, 'k')));
}
