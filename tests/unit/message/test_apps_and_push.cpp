// IRSP §8.3.1 upload, §8.3.3 push, §8.4 application to application: every
// status, through real actors in one actor system.
#include <future>

#include "message_fixture.hpp"
#include "actors/app/notify_app.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

/// An application whose answer the test sets.
struct scripted_app : application {
  app_reply answer = app_reply::accept();
  bool throw_instead = false;
  app_reply on_upload(app_context&, const upload&) override {
    if (throw_instead)
      throw std::runtime_error("scripted failure");
    return answer;
  }
  app_reply on_app_message(app_context&, const app_message&) override {
    if (throw_instead)
      throw std::runtime_error("scripted failure");
    return answer;
  }
};

} // namespace

TEST_CASE("upload to echo is accepted and pushed back to the sender") {
  message_fixture f;
  f.start();
  f.add_app("echo", std::make_shared<app::echo_app>());
  auto alice = f.user("alice");
  caf::scoped_actor session{*f.sys};
  REQUIRE(f.open(session, alice).principal);
  auto r = ask<upload_response>(session, f.router, upload_request{alice, "echo@apps.localhost", "hello"});
  CHECK(r.status == upload_status::ACCEPTED);
  expect(session, [](delivery& d) {
    CHECK(d.kind == delivery_kind::PUSH);
    CHECK(d.from == "echo");
    CHECK(d.payload == "hello");
    CHECK(d.stored_ms == 0);
  });
}

TEST_CASE("upload: every status") {
  message_fixture f;
  f.start();
  auto scripted = std::make_shared<scripted_app>();
  f.add_app("scripted", scripted);
  auto alice = f.user("alice");
  caf::scoped_actor self{*f.sys};
  auto up = [&](std::string from, std::string app, std::string payload = "x") {
    return ask<upload_response>(self, f.router, upload_request{from, app, payload}).status;
  };
  CHECK(up(alice, "scripted@apps.localhost") == upload_status::ACCEPTED);
  CHECK(up(alice, "scripted") == upload_status::ACCEPTED);
  CHECK(up(alice, "nope@apps.localhost") == upload_status::NO_SUCH_APPLICATION);
  CHECK(up(alice, "scripted@localhost") == upload_status::NO_SUCH_APPLICATION);
  CHECK(up(alice, "scripted", std::string(1025, 'x')) == upload_status::PAYLOAD_TOO_LARGE);
  CHECK(up("", "scripted") == upload_status::NOT_ALLOWED);
  CHECK(up("echo@apps.localhost", "scripted") == upload_status::NOT_ALLOWED);
  scripted->answer = app_reply::reject("no thanks");
  auto rejected = ask<upload_response>(self, f.router, upload_request{alice, "scripted", "x"});
  CHECK(rejected.status == upload_status::REJECTED);
  CHECK(rejected.reply == "no thanks");
  scripted->answer = app_reply::busy();
  CHECK(up(alice, "scripted") == upload_status::APPLICATION_BUSY);
  scripted->throw_instead = true;
  CHECK(up(alice, "scripted") == upload_status::APPLICATION_FAILURE);
}

TEST_CASE("an application whose backlog is over its bound answers busy") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  // The first upload holds the application until 49 more are waiting.
  struct gated : application {
    std::promise<void> entered;
    std::shared_future<void> gate;
    bool first = true;
    app_reply on_upload(app_context&, const upload&) override {
      if (std::exchange(first, false)) {
        entered.set_value();
        gate.wait();
      }
      return app_reply::accept();
    }
  };
  std::promise<void> open_gate;
  auto handler = std::make_shared<gated>();
  handler->gate = open_gate.get_future().share();
  auto entered = handler->entered.get_future();
  auto host = app::spawn_app_host(*f.sys, "slow", handler, f.router, 10);
  caf::scoped_actor self{*f.sys};
  self->send(host, upload_request{alice, "slow", "x"});
  entered.wait();
  for (int i = 0; i < 49; ++i)
    self->send(host, upload_request{alice, "slow", "x"});
  open_gate.set_value();
  int busy = 0, accepted = 0, got = 0;
  self->receive_for(got, 50)([&](upload_response& r) {
    (r.status == upload_status::APPLICATION_BUSY ? busy : accepted)++;
  });
  // Upload k (2..50) finds 50-k behind it: more than ten for k = 2..39.
  CHECK(busy == 38);
  CHECK(accepted == 12);
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
}

TEST_CASE("push: delivered to every live session, with the count") {
  message_fixture f;
  f.start();
  f.add_app("pusher", std::make_shared<scripted_app>());
  auto alice = f.user("alice");
  caf::scoped_actor phone{*f.sys}, laptop{*f.sys}, app{*f.sys};
  f.open(phone, alice, "phone");
  f.open(laptop, alice, "laptop");
  auto r = ask<push_response>(app, f.router, push_request{"pusher", "Alice@localhost", "ding"});
  CHECK(r.status == push_status::DELIVERED);
  CHECK(r.sessions == 2);
  for (auto* s : {&phone, &laptop})
    expect(*s, [](delivery& d) { CHECK(d.payload == "ding"); });
}

TEST_CASE("push: every refusal") {
  message_fixture f;
  f.start();
  f.add_app("pusher", std::make_shared<scripted_app>());
  auto alice = f.user("alice");
  caf::scoped_actor self{*f.sys};
  auto push = [&](std::string app, std::string to, std::string payload = "x") {
    return ask<push_response>(self, f.router, push_request{app, to, payload}).status;
  };
  CHECK(push("pusher", "nobody@localhost") == push_status::NO_SUCH_ACCOUNT);
  // Another domain this AS has no link to (docs/federation.md).
  CHECK(push("pusher", "alice@elsewhere.example") == push_status::UNKNOWN_DOMAIN);
  CHECK(push("pusher", "echo@apps.localhost") == push_status::NOT_ALLOWED);
  CHECK(push("ghost", alice) == push_status::NO_SUCH_APPLICATION);
  CHECK(push("pusher", alice, std::string(1025, 'x')) == push_status::PAYLOAD_TOO_LARGE);
  // Offline: queued up to the cap of five, then refused, nothing dropped.
  for (int i = 0; i < 5; ++i)
    CHECK(push("pusher", alice) == push_status::QUEUED);
  CHECK(push("pusher", alice) == push_status::QUEUE_FULL);
  CHECK(f.offline_store->size(alice) == 5);
}

TEST_CASE("push: a queue that cannot be written answers storage-failure") {
  message_fixture f;
  f.start();
  f.add_app("pusher", std::make_shared<scripted_app>());
  auto alice = f.user("alice");
  caf::scoped_actor self{*f.sys};
  f.faults.fs->fail = true;
  CHECK(ask<push_response>(self, f.router, push_request{"pusher", alice, "x"}).status
        == push_status::STORAGE_FAILURE);
}

TEST_CASE("application to application: every status") {
  message_fixture f;
  f.start();
  f.add_app("echo", std::make_shared<app::echo_app>());
  auto scripted = std::make_shared<scripted_app>();
  f.add_app("scripted", scripted);
  caf::scoped_actor self{*f.sys};
  auto send = [&](std::string from, std::string to, std::string payload = "ping") {
    return ask<app_message_response>(self, f.router, app_message_request{from, to, payload});
  };
  auto echoed = send("scripted", "echo@apps.localhost");
  CHECK(echoed.status == app_message_status::DELIVERED);
  CHECK(echoed.reply == "ping");
  CHECK(send("scripted", "nope").status == app_message_status::NO_SUCH_APPLICATION);
  CHECK(send("ghost", "echo").status == app_message_status::NO_SUCH_APPLICATION);
  CHECK(send("scripted", "echo", std::string(1025, 'x')).status
        == app_message_status::PAYLOAD_TOO_LARGE);
  scripted->answer = app_reply::reject();
  CHECK(send("echo", "scripted").status == app_message_status::REJECTED);
  scripted->answer = app_reply::busy();
  CHECK(send("echo", "scripted").status == app_message_status::APPLICATION_BUSY);
  scripted->throw_instead = true;
  CHECK(send("echo", "scripted").status == app_message_status::APPLICATION_FAILURE);
}

TEST_CASE("an application pushes through its context and sees the status") {
  message_fixture f;
  f.start();
  struct relay : application {
    caf::actor observer;
    app_reply on_upload(app_context& ctx, const upload& u) override {
      auto obs = observer;
      ctx.push(u.payload, "relayed", [obs](const send_result& r) {
        caf::anon_send(obs, r.status, r.sessions);
      });
      return app_reply::accept();
    }
  };
  auto handler = std::make_shared<relay>();
  caf::scoped_actor self{*f.sys};
  handler->observer = caf::actor_cast<caf::actor>(self);
  f.add_app("relay", handler);
  auto alice = f.user("alice");
  auto bob = f.user("bob");
  caf::scoped_actor bob_session{*f.sys};
  f.open(bob_session, bob);
  ask<upload_response>(self, f.router, upload_request{alice, "relay", bob});
  expect(self, [](const std::string& status, std::uint32_t sessions) {
    CHECK(status == "delivered");
    CHECK(sessions == 1);
  });
  ask<upload_response>(self, f.router, upload_request{alice, "relay", "nobody@localhost"});
  expect(self, [](const std::string& status, std::uint32_t) { CHECK(status == "no-such-account"); });
}

TEST_CASE("§8.8.3: a message from the HTTPS gateway (external:<key>) reaches an application, "
          "and notify turns it into a push") {
  message_fixture f;
  f.start();
  f.add_app("echo", std::make_shared<app::echo_app>());
  f.add_app("notify", std::make_shared<app::notify_app>());
  auto bob = f.user("bob");
  caf::scoped_actor session{*f.sys};
  REQUIRE(f.open(session, bob).principal);
  caf::scoped_actor self{*f.sys};
  auto send = [&](std::string to, std::string payload) {
    return ask<app_message_response>(self, f.router,
                                     app_message_request{"external:00ff", to, payload});
  };
  auto echoed = send("echo", "hi");
  CHECK(echoed.status == app_message_status::DELIVERED);
  CHECK(echoed.reply == "hi");
  auto notified = send("notify", bob + "\nthe door bell rang");
  CHECK(notified.status == app_message_status::DELIVERED);
  CHECK(notified.reply == "pushing to " + bob);
  expect(session, [](delivery& d) {
    CHECK(d.kind == delivery_kind::PUSH);
    CHECK(d.from == "notify");
    CHECK(d.payload == "the door bell rang");
  });
  CHECK(send("notify", "no newline").status == app_message_status::REJECTED);
  // No application may take a name the gateway sends as.
  auto impostor = app::spawn_app_host(*f.sys, "external:00ff",
                                      std::make_shared<app::echo_app>(), f.router);
  CHECK_FALSE(ask<bool>(self, f.router, app_atom::value, std::string{"external:00ff"}, impostor,
                        subscription{}));
  caf::anon_send_exit(impostor, caf::exit_reason::user_shutdown);
}
