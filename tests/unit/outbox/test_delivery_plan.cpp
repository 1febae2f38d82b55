// IRSP §8.8.2 delivery decisions: windows, order, verdicts, retries.
#include <catch2/catch.hpp>

#include "actors/account/account_store.hpp"
#include "actors/outbox/delivery_plan.hpp"
#include "actors/outbox/outbox_store.hpp"
#include "temp_dir.hpp"

using namespace irsp::outbox;
using ms = std::chrono::milliseconds;

namespace {

struct plan_fixture {
  irsp::test::temp_dir dir;
  std::shared_ptr<irsp::account::account_store> accounts;
  std::unique_ptr<outbox_store> store;

  plan_fixture() {
    irsp::account::store_options o;
    o.path = dir / "accounts";
    std::string error;
    accounts = irsp::account::account_store::open(o, error);
    REQUIRE(accounts);
    store = std::make_unique<outbox_store>(accounts);
  }

  external_endpoint add(const std::string& name, std::uint32_t concurrency,
                        std::uint32_t max_attempts) {
    external_endpoint e{name, "https://127.0.0.1:1/" + name, "", concurrency, max_attempts};
    REQUIRE(store->add_endpoint(e) == endpoint_change::ok);
    return e;
  }

  void send(const std::string& endpoint, const std::string& key) {
    REQUIRE(store->enqueue("app", endpoint, key, "body of " + key, 0)
            == SendExternalStatus::QUEUED);
  }
};

std::vector<std::string> keys_of(const std::vector<delivery_job>& jobs) {
  std::vector<std::string> out;
  for (auto& j : jobs)
    out.push_back(j.message.key);
  return out;
}

} // namespace

TEST_CASE("verdicts: 2xx delivered, 408/429/5xx/transport retried, other statuses dead") {
  CHECK(judge({200, {}}) == verdict::delivered);
  CHECK(judge({204, {}}) == verdict::delivered);
  CHECK(judge({0, "connection refused"}) == verdict::retry);
  CHECK(judge({408, {}}) == verdict::retry);
  CHECK(judge({429, {}}) == verdict::retry);
  CHECK(judge({500, {}}) == verdict::retry);
  CHECK(judge({503, {}}) == verdict::retry);
  CHECK(judge({400, {}}) == verdict::dead_letter);
  CHECK(judge({404, {}}) == verdict::dead_letter);
  CHECK(judge({301, {}}) == verdict::dead_letter);
}

TEST_CASE_METHOD(plan_fixture, "at concurrency 1 a message waits for the one before it, retries included") {
  auto e = add("hook", 1, 5);
  send("hook", "k1");
  send("hook", "k2");
  delivery_plan plan{*store, {e}, backoff_policy{ms{100}, ms{1000}}, 1};
  auto jobs = plan.due(0);
  REQUIRE(keys_of(jobs) == std::vector<std::string>{"k1"});
  CHECK(plan.due(0).empty()); // k2 waits while k1 is in flight
  plan.finished(jobs[0], {503, {}}, 0, 0);
  CHECK(store->find("app", "k1")->state == ExternalState::DELIVERING);
  CHECK(plan.next_due() <= 100);
  // Still k1, not k2, once its backoff (at most 100 ms) is over.
  jobs = plan.due(100);
  REQUIRE(keys_of(jobs) == std::vector<std::string>{"k1"});
  CHECK(jobs[0].message.attempts == 1);
  plan.finished(jobs[0], {200, {}}, 100, 0);
  CHECK(store->find("app", "k1")->state == ExternalState::DELIVERED);
  CHECK(store->find("app", "k1")->attempts == 2);
  CHECK(keys_of(plan.due(100)) == std::vector<std::string>{"k2"});
}

TEST_CASE_METHOD(plan_fixture, "concurrency N keeps N in flight per endpoint, endpoints apart") {
  auto a = add("a", 2, 5);
  auto b = add("b", 1, 5);
  for (auto k : {"a1", "a2", "a3"})
    send("a", k);
  send("b", "b1");
  delivery_plan plan{*store, {a, b}, backoff_policy{ms{100}, ms{1000}}, 1};
  auto jobs = plan.due(0);
  CHECK(keys_of(jobs) == std::vector<std::string>{"a1", "a2", "b1"});
  CHECK(plan.in_flight() == 3);
  plan.finished(jobs[1], {200, {}}, 0, 0); // a2 done first: a3 may go
  CHECK(keys_of(plan.due(0)) == std::vector<std::string>{"a3"});
}

TEST_CASE_METHOD(plan_fixture, "a message is dead after max attempts, and the next one goes") {
  auto e = add("hook", 1, 3);
  send("hook", "k1");
  send("hook", "k2");
  delivery_plan plan{*store, {e}, backoff_policy{ms{10}, ms{10}}, 7};
  std::int64_t now = 0;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto jobs = plan.due(now);
    REQUIRE(keys_of(jobs) == std::vector<std::string>{"k1"});
    plan.finished(jobs[0], {0, "connection refused"}, now, 0);
    now += 10;
  }
  auto k1 = store->find("app", "k1");
  CHECK(k1->state == ExternalState::DEAD_LETTER);
  CHECK(k1->attempts == 3);
  CHECK(k1->last_error == "connection refused");
  CHECK(keys_of(plan.due(now)) == std::vector<std::string>{"k2"});
}

TEST_CASE_METHOD(plan_fixture, "a 4xx dead-letters at once; a message accepted later is picked up on poke") {
  auto e = add("hook", 1, 10);
  send("hook", "k1");
  delivery_plan plan{*store, {e}, backoff_policy{ms{10}, ms{10}}, 7};
  auto jobs = plan.due(0);
  plan.finished(jobs[0], {400, {}}, 0, 0);
  CHECK(store->find("app", "k1")->state == ExternalState::DEAD_LETTER);
  CHECK(store->find("app", "k1")->attempts == 1);
  CHECK(plan.due(0).empty());
  send("hook", "k2");
  plan.poke();
  CHECK(keys_of(plan.due(0)) == std::vector<std::string>{"k2"});
}
