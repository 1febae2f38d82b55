// RFC 6121 §8.5.2, §8.5.3: a user<->device message to an account goes to all
// its sessions (or the offline queue); to a full JID, to that session alone.
#include "message_fixture.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

// What one session sends through its account's actor, as its stream would.
direct_response send(caf::scoped_actor& session, const caf::actor& own_actor, std::string to,
                     std::string resource, std::string payload,
                     absent_resource if_absent = absent_resource::TO_ACCOUNT) {
  return ask<direct_response>(session, own_actor, send_atom::value,
                              direct_request{"", std::move(to), std::move(payload),
                                             std::move(resource), if_absent});
}

// The next delivery `session` gets carries `payload`: whatever the session
// was not meant to get would have come before it.
void next_is(caf::scoped_actor& session, const std::string& payload) {
  expect(session, [&](delivery& d) { CHECK(d.payload == payload); });
}

} // namespace

TEST_CASE("a message to one's own full JID reaches that session only") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  caf::scoped_actor phone{*f.sys}, laptop{*f.sys}, tablet{*f.sys};
  auto actor = f.open(phone, alice, "phone").principal;
  f.open(laptop, alice, "laptop");
  f.open(tablet, alice, "tablet");
  auto r = send(phone, actor, alice, "laptop", "for the laptop");
  CHECK(r.status == direct_status::DELIVERED);
  CHECK(r.sessions == 1);
  expect(laptop, [&](delivery& d) {
    CHECK(d.kind == delivery_kind::DIRECT);
    CHECK(d.from == alice);
    CHECK(d.payload == "for the laptop");
  });
  CHECK(send(phone, actor, alice, "tablet", "for the tablet").sessions == 1);
  next_is(tablet, "for the tablet");
  // A session may address itself.
  CHECK(send(phone, actor, alice, "phone", "for me").sessions == 1);
  next_is(phone, "for me");
  // The bare JID still means every session (§8.5.2).
  CHECK(send(phone, actor, alice, "", "for all").sessions == 3);
  for (auto* s : {&phone, &laptop, &tablet})
    next_is(*s, "for all");
}

TEST_CASE("a user reaches one session of a bound device by its full JID") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor user{*f.sys}, living{*f.sys}, kitchen{*f.sys};
  auto user_actor = f.open(user, alice).principal;
  f.open(living, tv, "living");
  f.open(kitchen, tv, "kitchen");
  REQUIRE(f.bind(user, alice, tv, code) == bind_status::OK);
  for (auto* s : {&user, &living, &kitchen})
    expect(*s, [](bound_atom, const std::string&) {});
  auto r = send(user, user_actor, tv, "kitchen", "kettle on");
  CHECK(r.status == direct_status::DELIVERED);
  CHECK(r.sessions == 1);
  expect(kitchen, [&](delivery& d) {
    CHECK(d.from == alice);
    CHECK(d.payload == "kettle on");
  });
  CHECK(send(user, user_actor, tv, "living", "lights off").sessions == 1);
  next_is(living, "lights off");
  // The binding still decides who may send at all, resource or not.
  CHECK(ask<unbind_status>(user, f.router, account::unbind_request{alice, tv})
        == unbind_status::OK);
  CHECK(send(user, user_actor, tv, "kitchen", "x").status == direct_status::NOT_ALLOWED);
}

TEST_CASE("a chat for a session that is not there goes to the account") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor phone{*f.sys}, laptop{*f.sys};
  auto actor = f.open(phone, alice, "phone").principal;
  f.open(laptop, alice, "laptop");
  auto r = send(phone, actor, alice, "tablet", "to whoever is on");
  CHECK(r.status == direct_status::DELIVERED);
  CHECK(r.sessions == 2);
  next_is(phone, "to whoever is on");
  next_is(laptop, "to whoever is on");

  // No session at all: queued, as for the bare JID, and delivered later.
  REQUIRE(f.bind(phone, alice, tv, code) == bind_status::OK);
  r = send(phone, actor, tv, "living", "when you are back");
  CHECK(r.status == direct_status::QUEUED);
  CHECK(r.sessions == 0);
  caf::scoped_actor living{*f.sys};
  f.open(living, tv, "living");
  expect(living, [&](delivery& d) {
    CHECK(d.payload == "when you are back");
    CHECK(d.stored_ms != 0);
  });
}

TEST_CASE("other messages for a session that is not there are refused, not stored") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor phone{*f.sys}, laptop{*f.sys};
  auto actor = f.open(phone, alice, "phone").principal;
  f.open(laptop, alice, "laptop");
  auto r = send(phone, actor, alice, "tablet", "lost", absent_resource::REFUSE);
  CHECK(r.status == direct_status::NO_SUCH_RESOURCE);
  CHECK(r.sessions == 0);
  CHECK(send(phone, actor, alice, "", "next").sessions == 2);
  next_is(phone, "next");
  next_is(laptop, "next");
  // With the resource there, the rule does not matter.
  CHECK(send(phone, actor, alice, "laptop", "here", absent_resource::REFUSE).sessions == 1);
  next_is(laptop, "here");

  REQUIRE(f.bind(phone, alice, tv, code) == bind_status::OK);
  CHECK(send(phone, actor, tv, "living", "lost too", absent_resource::REFUSE).status
        == direct_status::NO_SUCH_RESOURCE);
  CHECK(send(phone, actor, tv, "", "stored").status == direct_status::QUEUED);
  caf::scoped_actor living{*f.sys};
  f.open(living, tv, "living");
  next_is(living, "stored");
}
