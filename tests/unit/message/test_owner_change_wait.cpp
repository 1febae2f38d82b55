// While the owners of a cluster change (a node was lost, and the others have
// not yet agreed on who takes its accounts), a request for one of its
// accounts waits at the router for the owners to settle instead of failing
// at once; if they do not settle in time, it is refused as before.
#include "message_fixture.hpp"

#include "cluster/placement.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

void tell_owners(const caf::actor& router, const std::string& me,
                 std::vector<std::string> names, std::vector<caf::actor> routers) {
  caf::anon_send(router, owners_atom::value, me, std::move(names), std::move(routers));
}

/// A node name that, beside "a", is home to `address`.
std::string other_home_of(const std::string& address) {
  for (int i = 0;; ++i) {
    auto name = "n" + std::to_string(i);
    if (*cluster::home_of(address, {"a", name}) == name)
      return name;
  }
}

router_config config_of(message_fixture& f, std::chrono::milliseconds hold_for) {
  router_config rc;
  rc.domain = "localhost";
  rc.accounts = f.account_server;
  rc.modules = {offline::make_offline_module(f.offline_queue)};
  rc.lifecycle = f.lifecycle_writer;
  rc.hold_for = hold_for;
  return rc;
}

/// Asks router `a` with `request` from `session`, then makes "a" the only
/// owner, and returns the answer: one mailbox, in order, so the request met
/// the old owners and was held until the change.
session_opened open_across_owner_change(message_fixture& f, caf::scoped_actor& session,
                                        const caf::actor& a, caf::message request) {
  auto pending = session->request(a, 10s, std::move(request));
  tell_owners(a, "a", {"a"}, {a});
  session_opened opened;
  pending.receive([&](session_opened& o) { opened = std::move(o); },
                  [&](caf::error& e) { FAIL(f.sys->render(e)); });
  return opened;
}

} // namespace

TEST_CASE("an open for an account whose home is lost waits for the new owners") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto a = spawn_router(*f.sys, config_of(f, 10s));
  // Alice's home is a node that cannot be reached (its router is null).
  tell_owners(a, "a", {"a", other_home_of(alice)}, {a, caf::actor{}});
  caf::scoped_actor session{*f.sys};
  auto ref = f.session_of(session);
  // It finds the home lost and is held; the change lets it through to a's
  // own actor.
  auto opened = open_across_owner_change(
    f, session, a, caf::make_message(open_atom::value, alice, std::string{"r1"}, ref));
  REQUIRE(opened.principal);
  CHECK(opened.principal.node() == a.node());
  f.close(session, opened.principal);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("a held request is refused once the owners take too long") {
  message_fixture f;
  f.start();
  auto bob = f.user("bob");
  auto a = spawn_router(*f.sys, config_of(f, 300ms));
  tell_owners(a, "a", {"a", other_home_of(bob)}, {a, caf::actor{}});
  caf::scoped_actor self{*f.sys};
  caf::error refused;
  self->request(a, 10s, direct_request{"carol@localhost", bob, "hi", {}, absent_resource::TO_ACCOUNT})
    .receive([](direct_response&) { FAIL("answered although its home is unreachable"); },
             [&](caf::error& e) { refused = e; });
  // Refused by the router (the owner is unreachable), not left to time out.
  CHECK(refused == caf::sec::request_receiver_down);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("a request sent to a node that is no longer its home waits there, never passed on") {
  message_fixture f;
  f.start();
  auto dave = f.user("dave");
  auto a = spawn_router(*f.sys, config_of(f, 10s));
  auto other = other_home_of(dave);
  // a still thinks dave lives on `other`; a router whose view made a home
  // sends it there: a waits until its own view agrees.
  tell_owners(a, "a", {"a", other}, {a, caf::actor{}});
  caf::scoped_actor session{*f.sys};
  auto ref = f.session_of(session);
  auto opened = open_across_owner_change(
    f, session, a,
    caf::make_message(home_atom::value,
                      caf::make_message(open_atom::value, dave, std::string{"r1"}, ref)));
  REQUIRE(opened.principal);
  f.close(session, opened.principal);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("a peer router that dies makes its accounts wait, not vanish") {
  message_fixture f;
  f.start();
  auto erin = f.user("erin");
  auto a = spawn_router(*f.sys, config_of(f, 10s));
  auto other = other_home_of(erin);
  // The peer's router, as a proxy of a lost node would be: dead. (A request
  // sent to a real proxy then would vanish unanswered.)
  auto peer = f.sys->spawn([](caf::event_based_actor* x) -> caf::behavior {
    x->set_default_handler(caf::drop);
    return {[](int) {}};
  });
  caf::scoped_actor self{*f.sys};
  // Watched by us before a watches it: a dying actor tells its newest
  // watcher first, so once we hear of its death, a's news is in a's mailbox.
  self->monitor(peer);
  tell_owners(a, "a", {"a", other}, {a, peer});
  REQUIRE(ask<bool>(self, a, caf::get_atom::value)); // the owners are taken in
  caf::anon_send_exit(peer, caf::exit_reason::kill);
  self->receive([](caf::down_msg&) {});
  // a heard of its death: erin's open waits for the owners to change,
  // and then opens here (not an error from the dead router).
  auto opened = open_across_owner_change(
    f, self, a, caf::make_message(open_atom::value, erin, std::string{"r1"}, f.session_of(self)));
  REQUIRE(opened.principal);
  f.close(self, opened.principal);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
