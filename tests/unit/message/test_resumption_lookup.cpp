// XEP-0198 across nodes: a client may resume on any node, so the account's
// actor knows which of its sessions each resumption id resumes, and the
// router finds it there — for that account only.
#include "message_fixture.hpp"

#include "actors/message/resumption_atoms.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

session_ref find(caf::scoped_actor& self, const caf::actor& router, const std::string& address,
                 const std::string& id) {
  return ask<session_ref>(self, router, sm_find_atom::value, address, id, false);
}

} // namespace

TEST_CASE("the router finds a session by its resumption id through the account's actor") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto bob = f.user("bob");
  caf::scoped_actor session{*f.sys}, other{*f.sys}, self{*f.sys};
  auto opened = f.open(session, alice, "phone");
  REQUIRE(opened.principal);
  auto ref = f.session_of(session);
  CHECK_FALSE(find(self, f.router, alice, "id-1")); // not filed yet

  // Filed only by the session that holds the resource.
  self->send(opened.principal, sm_id_atom::value, std::string{"phone"}, std::string{"forged"},
             f.session_of(other));
  self->send(opened.principal, sm_id_atom::value, std::string{"phone"}, std::string{"id-1"}, ref);
  CHECK(find(self, f.router, alice, "id-1") == ref);
  CHECK_FALSE(find(self, f.router, alice, "forged"));
  // Another account's actor knows nothing of it (and none is activated).
  f.open(other, bob, "tablet");
  CHECK_FALSE(find(self, f.router, bob, "id-1"));
  CHECK_FALSE(find(self, f.router, "nobody@localhost", "id-1"));

  // The session ends: its id resumes nothing any more.
  f.close(session, opened.principal, "phone");
  CHECK_FALSE(find(self, f.router, alice, "id-1"));
}
