// IRSP §8.3.2 notifications, bindings (ISO/IEC 14543-5-8) and authorisation
// of user<->device messages, through real actors in one actor system.
#include "message_fixture.hpp"

#include <random>
#include <thread>

using namespace irsp;
using namespace irsp::test;

namespace {

/// Forwards every notification to an observer; an upload sends the observer
/// the string "marker" (it travels behind every notification routed before it).
struct recorder_app : application {
  caf::actor observer;
  app_reply on_upload(app_context&, const upload&) override {
    caf::anon_send(observer, std::string{"marker"});
    return app_reply::accept();
  }
  void on_device_status(app_context&, const device_status& s) override {
    caf::anon_send(observer, s.device, s.online, s.epoch, s.sequence);
  }
};

struct transition {
  bool online;
  std::uint64_t epoch;
  std::uint64_t sequence;
};

std::vector<transition> app_transitions_until_marker(caf::scoped_actor& self) {
  std::vector<transition> out;
  for (bool done = false; !done;)
    expect(self,
           [&](const std::string&, bool online, std::uint64_t epoch, std::uint64_t seq) {
             out.push_back({online, epoch, seq});
           },
           [&](const std::string& marker) { done = marker == "marker"; });
  return out;
}

std::vector<transition> session_transitions_until_push(caf::scoped_actor& self) {
  std::vector<transition> out;
  for (bool done = false; !done;)
    expect(self, [&](presence_event& ev) { out.push_back({ev.present(), ev.epoch, ev.sequence}); },
           [&](delivery&) { done = true; });
  return out;
}

void check_alternating(const std::vector<transition>& ts) {
  for (std::size_t i = 0; i < ts.size(); ++i) {
    INFO("transition " << i);
    CHECK(ts[i].online == (i % 2 == 0)); // online first, never the same twice
    if (i > 0) {
      CHECK(ts[i].epoch == ts[0].epoch);
      CHECK(ts[i].sequence == ts[i - 1].sequence + 1);
    }
  }
}

} // namespace

TEST_CASE("device transitions reach applications and bound users once each, in order") {
  message_fixture f;
  f.start();
  caf::scoped_actor observer{*f.sys};
  auto rec = std::make_shared<recorder_app>();
  rec->observer = caf::actor_cast<caf::actor>(observer);
  f.add_app("recorder", rec, subscription{false, {"TV1@localhost"}});
  auto [tv, code] = f.device("tv1");
  auto alice = f.user("alice");
  caf::scoped_actor alice_session{*f.sys};
  f.open(alice_session, alice);
  REQUIRE(f.bind(alice_session, alice, tv, code) == bind_status::OK);
  expect(alice_session, [](bound_atom, const std::string& peer) { CHECK(peer == "tv1@localhost"); });

  // Three sessions of one device opened and closed in a random interleaving:
  // the device is online while any of them is open.
  std::mt19937 rng{std::random_device{}()};
  std::vector<std::unique_ptr<caf::scoped_actor>> sessions;
  for (int i = 0; i < 3; ++i)
    sessions.push_back(std::make_unique<caf::scoped_actor>(*f.sys));
  caf::actor device_actor;
  std::vector<bool> open(3, false);
  int expected = 0;
  int live = 0;
  auto toggle = [&](std::size_t i) {
    auto& s = *sessions[i];
    auto resource = "res" + std::to_string(i);
    if (!open[i]) {
      device_actor = f.open(s, tv, resource).principal;
      REQUIRE(device_actor);
      if (live++ == 0)
        ++expected;
    } else {
      // Straight to the device actor, as a real session does.
      f.close(s, device_actor, resource);
      if (--live == 0)
        ++expected;
    }
    open[i] = !open[i];
  };
  for (int step = 0; step < 300; ++step)
    toggle(rng() % 3);
  for (std::size_t i = 0; i < 3; ++i)
    if (open[i])
      toggle(i);

  // Sync point: this push is handled by the device actor after every close
  // above, so every transition is on its way to the router before we go on.
  CHECK(ask<push_response>(observer, f.router, push_request{"recorder", tv, "sync"}).status
        == push_status::QUEUED);
  ask<upload_response>(observer, f.router, upload_request{tv, "recorder", "x"});
  auto seen_by_app = app_transitions_until_marker(observer);
  CHECK(static_cast<int>(seen_by_app.size()) == expected);
  check_alternating(seen_by_app);

  ask<push_response>(observer, f.router, push_request{"recorder", alice, "marker"});
  auto seen_by_user = session_transitions_until_push(alice_session);
  CHECK(static_cast<int>(seen_by_user.size()) == expected);
  check_alternating(seen_by_user);
}

TEST_CASE("concurrent sessions from many threads: transitions still alternate") {
  message_fixture f;
  f.start();
  caf::scoped_actor observer{*f.sys};
  auto rec = std::make_shared<recorder_app>();
  rec->observer = caf::actor_cast<caf::actor>(observer);
  f.add_app("recorder", rec, subscription{true, {}});
  auto tv = f.device("tv1").first;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      caf::scoped_actor s{*f.sys};
      for (int i = 0; i < 50; ++i) {
        auto resource = "t" + std::to_string(t);
        auto p = f.open(s, tv, resource).principal;
        f.close(s, p, resource);
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(ask<push_response>(observer, f.router, push_request{"recorder", tv, "sync"}).status
        == push_status::QUEUED);
  ask<upload_response>(observer, f.router, upload_request{tv, "recorder", "x"});
  auto ts = app_transitions_until_marker(observer);
  REQUIRE(!ts.empty());
  CHECK(ts.size() % 2 == 0); // ends offline
  check_alternating(ts);
}

TEST_CASE("binding: right, wrong and reset codes") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto bob = f.user("bob");
  auto [tv, code] = f.device("tv1");
  auto cam = f.device("cam").first;
  caf::scoped_actor self{*f.sys};
  CHECK(f.bind(self, alice, tv, "AAAA-BBBB-CCCC") == bind_status::WRONG_CODE);
  CHECK(f.bind(self, alice, tv, code) == bind_status::OK);
  CHECK(f.bind(self, alice, tv, code) == bind_status::ALREADY_BOUND);
  CHECK(f.bind(self, alice, "nothing@localhost", code) == bind_status::NO_SUCH_DEVICE);
  CHECK(f.bind(self, alice, bob, code) == bind_status::NO_SUCH_DEVICE);
  CHECK(f.bind(self, cam, tv, code) == bind_status::NOT_A_USER);

  auto reset = ask<account::reset_code_response>(self, f.router,
                                                 account::reset_code_request{tv, ""});
  REQUIRE(reset.status == account::reset_code_status::OK);
  CHECK(reset.unbound.empty()); // by default bindings survive a reset
  CHECK(f.bind(self, bob, tv, code) == bind_status::WRONG_CODE);
  CHECK(f.bind(self, bob, tv, reset.verification_code) == bind_status::OK);

  CHECK(ask<unbind_status>(self, f.router, account::unbind_request{tv, bob}) == unbind_status::OK);
  CHECK(ask<unbind_status>(self, f.router, account::unbind_request{bob, tv})
        == unbind_status::NOT_BOUND);
}

TEST_CASE("binding: too many wrong codes lock the device for a while") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto mallory = f.user("mallory");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor self{*f.sys};
  for (int i = 0; i < account::max_failed_bind_attempts; ++i)
    CHECK(f.bind(self, mallory, tv, "0000-0000-0000") == bind_status::WRONG_CODE);
  CHECK(f.bind(self, mallory, tv, code) == bind_status::TOO_MANY_ATTEMPTS);
  CHECK(f.bind(self, alice, tv, code) == bind_status::TOO_MANY_ATTEMPTS);
}

TEST_CASE("binding: with reset_unbinds, a code reset removes existing bindings") {
  message_fixture f;
  f.account_options.reset_unbinds = true;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor alice_session{*f.sys};
  f.open(alice_session, alice);
  REQUIRE(f.bind(alice_session, alice, tv, code) == bind_status::OK);
  expect(alice_session, [](bound_atom, const std::string&) {});
  auto reset = ask<account::reset_code_response>(alice_session, f.router,
                                                 account::reset_code_request{tv, ""});
  CHECK(reset.unbound == std::vector<std::string>{alice});
  expect(alice_session, [&](unbound_atom, const std::string& peer) { CHECK(peer == tv); });
}

TEST_CASE("user<->device messages need a binding, both ways") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor user_session{*f.sys}, device_session{*f.sys};
  auto user_actor = f.open(user_session, alice).principal;
  auto device_actor = f.open(device_session, tv).principal;
  auto send = [&](caf::scoped_actor& s, const caf::actor& from_actor, std::string to) {
    return ask<direct_response>(s, from_actor, send_atom::value, direct_request{"", to, "hi"});
  };
  CHECK(send(user_session, user_actor, tv).status == direct_status::NOT_ALLOWED);
  CHECK(send(device_session, device_actor, alice).status == direct_status::NOT_ALLOWED);

  REQUIRE(f.bind(user_session, alice, tv, code) == bind_status::OK);
  expect(user_session, [](bound_atom, const std::string&) {});
  expect(device_session, [](bound_atom, const std::string&) {});
  auto r = send(user_session, user_actor, tv);
  CHECK(r.status == direct_status::DELIVERED);
  CHECK(r.sessions == 1);
  expect(device_session, [&](delivery& d) {
    CHECK(d.kind == delivery_kind::DIRECT);
    CHECK(d.from == alice);
    CHECK(d.payload == "hi");
  });
  CHECK(send(device_session, device_actor, alice).status == direct_status::DELIVERED);
  expect(user_session, [&](delivery& d) { CHECK(d.from == tv); });

  CHECK(ask<unbind_status>(device_session, f.router, account::unbind_request{tv, alice})
        == unbind_status::OK);
  expect(user_session, [](unbound_atom, const std::string&) {});
  expect(device_session, [](unbound_atom, const std::string&) {});
  CHECK(send(user_session, user_actor, tv).status == direct_status::NOT_ALLOWED);
}

TEST_CASE("an account may message its own sessions") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  caf::scoped_actor phone{*f.sys}, laptop{*f.sys};
  auto actor = f.open(phone, alice, "phone").principal;
  f.open(laptop, alice, "laptop");
  auto r = ask<direct_response>(phone, actor, send_atom::value, direct_request{"", alice, "note"});
  CHECK(r.status == direct_status::DELIVERED);
  CHECK(r.sessions == 2);
  expect(laptop, [&](delivery& d) {
    CHECK(d.from == alice);
    CHECK(d.payload == "note");
  });
}

TEST_CASE("a message to a bound device that is offline is queued") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor user_session{*f.sys};
  auto user_actor = f.open(user_session, alice).principal;
  REQUIRE(f.bind(user_session, alice, tv, code) == bind_status::OK);
  auto r = ask<direct_response>(user_session, user_actor, send_atom::value,
                                direct_request{"", tv, "turn on"});
  CHECK(r.status == direct_status::QUEUED);
  CHECK(ask<direct_response>(user_session, user_actor, send_atom::value,
                             direct_request{"", tv, std::string(2000, 'x')})
          .status
        == direct_status::PAYLOAD_TOO_LARGE);
}

TEST_CASE("deleting an account ends its sessions and unbinds its peers") {
  message_fixture f;
  f.start();
  f.add_app("echo", std::make_shared<app::echo_app>());
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor user_session{*f.sys}, device_session{*f.sys};
  f.open(user_session, alice);
  f.open(device_session, tv);
  REQUIRE(f.bind(user_session, alice, tv, code) == bind_status::OK);
  expect(user_session, [](bound_atom, const std::string&) {});
  auto r = ask<account::delete_response>(user_session, f.router, account::delete_request{tv, ""});
  CHECK(r.status == account::delete_status::OK);
  CHECK(r.unbound == std::vector<std::string>{alice});
  expect(device_session, [](bound_atom, const std::string&) {});
  expect(device_session, [](gone_atom) {});
  // Alice learns that the binding went; the device's last transition (offline)
  // is no longer hers to see. This push comes after anything routed before it.
  expect(user_session, [&](unbound_atom, const std::string& p) { CHECK(p == tv); });
  CHECK(ask<push_response>(user_session, f.router, push_request{"echo", alice, "next"}).status
        == push_status::DELIVERED);
  expect(user_session, [](delivery& d) { CHECK(d.payload == "next"); });
  for (bool more = true; more;)
    user_session->receive([&](presence_event& ev) { CHECK(ev.present()); }, // the probe answer at bind
                          caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
  CHECK(ask<push_response>(user_session, f.router, push_request{"echo", tv, "x"}).status
        == push_status::NO_SUCH_ACCOUNT);
}

TEST_CASE("a session learns which of its bound peers are online when it starts") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  auto [cam, cam_code] = f.device("cam");
  {
    caf::scoped_actor self{*f.sys};
    REQUIRE(f.bind(self, alice, tv, code) == bind_status::OK);
    REQUIRE(f.bind(self, alice, cam, cam_code) == bind_status::OK);
  }
  caf::scoped_actor tv_session{*f.sys};
  f.open(tv_session, tv); // online; the camera stays offline
  caf::scoped_actor alice_session{*f.sys};
  f.open(alice_session, alice);
  expect(alice_session, [&](presence_event& ev) {
    CHECK(ev.address == tv);
    CHECK(ev.present());
    CHECK(ev.sequence == 1);
  });
  // Nothing about the offline camera: the next thing is this push.
  f.add_app("news", std::make_shared<app::echo_app>());
  ask<push_response>(alice_session, f.router, push_request{"news", alice, "after"});
  expect(alice_session, [](delivery& d) { CHECK(d.payload == "after"); });
}

TEST_CASE("binding an online device tells the user's sessions it is online") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor tv_session{*f.sys}, alice_session{*f.sys};
  f.open(tv_session, tv);
  f.open(alice_session, alice);
  REQUIRE(f.bind(alice_session, alice, tv, code) == bind_status::OK);
  bool bound = false, online = false;
  while (!(bound && online))
    expect(alice_session, [&](bound_atom, const std::string& p) { bound = p == tv; },
           [&](presence_event& ev) { online = ev.address == tv && ev.present(); });
}
