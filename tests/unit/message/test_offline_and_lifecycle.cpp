// Offline delivery (XEP-0160 style) across restarts, expiry, and the life of
// user/device actors: passivation and reactivation.
#include <thread>
#include "message_fixture.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

struct silent_app : application {
  app_reply on_upload(app_context&, const upload&) override { return app_reply::accept(); }
};

} // namespace

TEST_CASE("an offline queue survives a node restart and drains in order") {
  message_fixture f;
  f.offline_opts.max_per_account = 100;
  f.start();
  f.add_app("news", std::make_shared<silent_app>());
  auto tv = f.device("tv1").first;
  {
    caf::scoped_actor app{*f.sys};
    for (int i = 0; i < 20; ++i)
      REQUIRE(ask<push_response>(app, f.router, push_request{"news", tv, "item " + std::to_string(i)})
                .status
              == push_status::QUEUED);
  }
  f.stop();
  f.start();
  caf::scoped_actor session{*f.sys};
  f.open(session, tv);
  for (int i = 0; i < 20; ++i)
    expect(session, [&](delivery& d) {
      CHECK(d.payload == "item " + std::to_string(i));
      CHECK(d.from == "news");
      CHECK(d.stored_ms > 0);
    });
  // Live traffic comes after the backlog, and the backlog is gone once handed on.
  f.add_app("news", std::make_shared<silent_app>());
  CHECK(ask<push_response>(session, f.router, push_request{"news", tv, "live"}).status
        == push_status::DELIVERED);
  expect(session, [](delivery& d) {
    CHECK(d.payload == "live");
    CHECK(d.stored_ms == 0);
  });
  // The ack is written after the hand-over; a request to the same queue
  // after it sees the queue empty.
  int remaining = -1;
  caf::scoped_actor probe{*f.sys};
  probe->request(f.offline_queue, std::chrono::seconds(10), drain_atom::value, tv)
    .receive([&](std::vector<delivery>& left, std::string&) { remaining = static_cast<int>(left.size()); },
             [](caf::error&) { FAIL("drain failed"); });
  CHECK(remaining == 0);
}

TEST_CASE("expired offline messages are not delivered") {
  message_fixture f;
  f.offline_opts.ttl_ms = 0; // expires the moment it is stored
  f.start();
  f.add_app("news", std::make_shared<silent_app>());
  auto tv = f.device("tv1").first;
  caf::scoped_actor self{*f.sys};
  CHECK(ask<push_response>(self, f.router, push_request{"news", tv, "stale"}).status
        == push_status::QUEUED);
  caf::scoped_actor session{*f.sys};
  f.open(session, tv);
  // A live push reaches the session first: the stale one was dropped.
  CHECK(ask<push_response>(self, f.router, push_request{"news", tv, "fresh"}).status
        == push_status::DELIVERED);
  expect(session, [](delivery& d) { CHECK(d.payload == "fresh"); });
}

TEST_CASE("offline store: cap, order and ack") {
  message_fixture f;
  f.offline_opts.max_per_account = 3;
  f.start();
  auto a = f.user("a");
  auto ab = f.user("ab");
  auto& store = *f.offline_store;
  for (int i = 0; i < 3; ++i)
    CHECK(store.enqueue(a, {delivery_kind::PUSH, "app", std::to_string(i), 0})
          == offline::enqueue_result::queued);
  CHECK(store.enqueue(a, {delivery_kind::PUSH, "app", "3", 0}) == offline::enqueue_result::full);
  CHECK(store.enqueue(ab, {delivery_kind::DIRECT, "u@x", "other", 0})
        == offline::enqueue_result::queued);
  // Nobody's queue can be filled for an account that does not exist.
  CHECK(store.enqueue("nobody@localhost", {delivery_kind::PUSH, "app", "x", 0})
        == offline::enqueue_result::no_account);
  auto first = store.peek(a);
  REQUIRE(first.messages.size() == 3);
  CHECK(first.messages[0].payload == "0");
  CHECK(first.messages[2].payload == "2");
  // Acknowledging up to the last key peeked empties this account's queue only.
  REQUIRE(store.ack(a, first.last_key));
  CHECK(store.size(a) == 0);
  CHECK(store.size(ab) == 1);
  CHECK_FALSE(store.ack(a, "q/other"));
  // A message stored after a peek is not removed by the ack of that peek.
  CHECK(store.enqueue(ab, {delivery_kind::PUSH, "app", "later", 0})
        == offline::enqueue_result::queued);
  auto second = store.peek(ab);
  REQUIRE(second.messages.size() == 2);
  REQUIRE(store.ack(ab, second.last_key));
  CHECK(store.enqueue(ab, {delivery_kind::PUSH, "app", "after", 0})
        == offline::enqueue_result::queued);
  REQUIRE(store.ack(ab, second.last_key));
  auto third = store.peek(ab);
  REQUIRE(third.messages.size() == 1);
  CHECK(third.messages[0].payload == "after");
}

TEST_CASE("an idle user/device actor passivates and comes back on demand") {
  message_fixture f;
  f.idle_timeout = std::chrono::milliseconds(20);
  f.start();
  f.add_app("news", std::make_shared<silent_app>());
  auto tv = f.device("tv1").first;
  caf::scoped_actor session{*f.sys};
  auto first = f.open(session, tv).principal;
  REQUIRE(first);
  session->monitor(first);
  f.close(session, first);
  expect(session, [&](caf::down_msg& dm) { CHECK(dm.source == first.address()); });
  // The next traffic activates a new actor, with a later epoch.
  auto second = f.open(session, tv).principal;
  REQUIRE(second);
  CHECK(second != first);
  CHECK(ask<push_response>(session, f.router, push_request{"news", tv, "hi"}).status
        == push_status::DELIVERED);
  expect(session, [](delivery& d) { CHECK(d.payload == "hi"); });
}

TEST_CASE("a passivated user/device actor leaves nothing behind") {
  // Its memory is freed once no one holds a reference, strong or weak: a
  // monitor it had on the router (which lives in the router) once kept
  // every passivated actor, about 1.4 KB each, for the node's lifetime.
  message_fixture f;
  f.idle_timeout = std::chrono::milliseconds(20);
  f.start();
  auto tv = f.device("tv1").first;
  caf::scoped_actor session{*f.sys};
  auto principal = f.open(session, tv).principal;
  REQUIRE(principal);
  session->monitor(principal);
  f.close(session, principal);
  expect(session, [&](caf::down_msg& dm) { CHECK(dm.source == principal.address()); });
  caf::actor_addr ours = principal.address();
  principal = nullptr;
  // References still in mailboxes on their way are dropped within moments;
  // the bound only tells a leak from them.
  auto* block = ours.get();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (block->weak_refs.load() > 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(block->strong_refs.load() == 0);
  CHECK(block->weak_refs.load() == 1); // ours alone
}

TEST_CASE("a session that dies is closed for it") {
  message_fixture f;
  f.start();
  caf::scoped_actor observer{*f.sys};
  auto tv = f.device("tv1").first;
  caf::actor principal;
  {
    caf::scoped_actor short_lived{*f.sys};
    principal = f.open(short_lived, tv).principal;
  } // the scoped actor terminates here
  f.add_app("news", std::make_shared<silent_app>());
  // Once the device actor saw the session die, a push is queued, not delivered.
  push_status status = push_status::DELIVERED;
  for (int i = 0; i < 1000 && status == push_status::DELIVERED; ++i)
    status = ask<push_response>(observer, f.router, push_request{"news", tv, "x"}).status;
  CHECK(status == push_status::QUEUED);
}

TEST_CASE("sessions of an account that does not exist are refused") {
  message_fixture f;
  f.start();
  caf::scoped_actor session{*f.sys};
  CHECK_FALSE(f.open(session, "ghost@localhost").principal);
  CHECK_FALSE(f.open(session, "ghost@elsewhere").principal);
}

TEST_CASE("a stray error message does not stop a service actor") {
  // An error that answers no request of theirs (a late reply, a peer's
  // complaint) once stopped the offline queue, and with it every later
  // offline delivery; CAF's default for such an error is to quit.
  message_fixture f;
  f.start();
  auto app = f.add_app("news", std::make_shared<silent_app>());
  caf::scoped_actor self{*f.sys};
  for (const auto& service : {f.router, f.offline_queue, f.account_server, app}) {
    self->monitor(service);
    caf::anon_send(service, caf::make_error(caf::sec::unexpected_message));
  }
  auto tv = f.device("tv1").first;
  CHECK(ask<push_response>(self, f.router, push_request{"news", tv, "queued"}).status
        == push_status::QUEUED);
  int queued = -1;
  self->request(f.offline_queue, std::chrono::seconds(10), drain_atom::value, tv)
    .receive([&](std::vector<delivery>& left, std::string&) { queued = static_cast<int>(left.size()); },
             [](caf::error&) { FAIL("drain failed"); });
  CHECK(queued == 1);
  CHECK(ask<upload_response>(self, f.router, upload_request{tv, "news", "x"}).status
        == upload_status::ACCEPTED);
  // None of them went down meanwhile.
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; }, caf::after(std::chrono::milliseconds(0)) >> [] {});
  CHECK_FALSE(down);
}
