// Routers of one AS tell each other their applications. A router that sees a
// peer come back must learn that peer's applications even when the peer
// never saw it leave (a one-sided loss, as a late heartbeat under load
// gives): CI once found an upload refused with no-such-application so.
#include "message_fixture.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

caf::behavior accepting_app(caf::event_based_actor*) {
  return {
    [](const upload_request& r) { return upload_response{upload_status::ACCEPTED, r.payload}; },
  };
}

void tell_owners(const caf::actor& router, const std::string& me,
                 std::vector<std::string> names, std::vector<caf::actor> routers) {
  caf::anon_send(router, owners_atom::value, me, std::move(names), std::move(routers));
}

/// The status of an upload to `app` through `router`, once it is not
/// no-such-application or 10 s have passed (messages between routers take
/// their time; only the final answer counts).
upload_status upload_via(caf::scoped_actor& self, const caf::actor& router,
                         const std::string& from, const std::string& app) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto r = ask<upload_response>(self, router, upload_request{from, app, "x"});
    if (r.status != upload_status::NO_SUCH_APPLICATION
        || std::chrono::steady_clock::now() > deadline)
      return r.status;
    std::this_thread::sleep_for(20ms);
  }
}

} // namespace

TEST_CASE("a router learns a peer's applications after a one-sided loss of it") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  router_config rc;
  rc.domain = "localhost";
  rc.accounts = f.account_server;
  rc.modules = {offline::make_offline_module(f.offline_queue)};
  rc.lifecycle = f.lifecycle_writer;
  auto b = spawn_router(*f.sys, rc);
  auto& a = f.router;
  caf::scoped_actor self{*f.sys};
  auto app = f.sys->spawn(accepting_app);
  REQUIRE(ask<bool>(self, a, app_atom::value, std::string{"echo"}, app, subscription{}));

  tell_owners(a, "a", {"a", "b"}, {a, b});
  tell_owners(b, "b", {"a", "b"}, {a, b});
  REQUIRE(upload_via(self, b, alice, "echo@apps.localhost") == upload_status::ACCEPTED);

  // b alone loses a, forgets its applications, and sees it return; a saw
  // nothing, so only b's asking can bring the applications back.
  tell_owners(b, "b", {"b"}, {b});
  CHECK(upload_via(self, b, alice, "echo@apps.localhost") == upload_status::NO_SUCH_APPLICATION);
  tell_owners(b, "b", {"a", "b"}, {a, b});
  CHECK(upload_via(self, b, alice, "echo@apps.localhost") == upload_status::ACCEPTED);

  for (auto& x : {b, app})
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
}
