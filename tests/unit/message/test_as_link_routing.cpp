// IRSP §8.5 across ASs (docs/federation.md), the receiving AS's side: what a
// link's endpoint hands the router, already checked to come from the peer's
// domain, still meets this AS's own rules — the device's code, and a message
// only for a device bound to its sender.
#include "message_fixture.hpp"

#include "cluster/as_link_atoms.hpp"

using namespace irsp;
using namespace irsp::test;
using cluster::as_link_atom;

TEST_CASE("from another AS: the code is checked here, and only a bound sender reaches a device") {
  message_fixture f;
  f.start();
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor self{*f.sys};
  const std::string gina = "gina@as1.example";
  auto message_from = [&](const std::string& from) {
    return ask<direct_response>(self, f.router, as_link_atom::value,
                                direct_request{from, tv, "turn on", "", {}})
      .status;
  };
  auto bind_as = [&](const std::string& user, const std::string& with) {
    return ask<bind_status>(self, f.router, as_link_atom::value,
                            account::bind_request{user, tv, with});
  };
  CHECK(message_from(gina) == direct_status::NOT_ALLOWED);
  auto wrong = (code[0] == 'x' ? "y" : "x") + code.substr(1);
  CHECK(bind_as(gina, wrong) == bind_status::WRONG_CODE);
  CHECK(message_from(gina) == direct_status::NOT_ALLOWED);
  CHECK(bind_as(gina, code) == bind_status::OK);
  CHECK(bind_as(gina, code) == bind_status::ALREADY_BOUND);
  // The device is offline: its queue takes it.
  CHECK(message_from(gina) == direct_status::QUEUED);
  CHECK(message_from("hank@as1.example") == direct_status::NOT_ALLOWED);
  // A device of this AS that does not exist.
  CHECK(ask<bind_status>(self, f.router, as_link_atom::value,
                         account::bind_request{gina, "nobody@localhost", code})
        == bind_status::NO_SUCH_DEVICE);
}
