// What a node tells the others about itself (member_info) crosses as the
// schema's ClusterMember with its actor handles beside it, so that a node of
// a newer build, with a role more, is still understood by an older one.
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "caf_round_trip.hpp"
#include "cluster/member_info.hpp"

using namespace irsp::cluster;
using irsp::test::round_trip;

namespace {

caf::behavior idle() {
  return {[](int) {}};
}

} // namespace

TEST_CASE("a member's fields and every handle come through CAF's serializers") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  member_info m;
  m.name = "n1";
  m.address = endpoint{"127.0.0.1", 7301};
  m.incarnation = 42;
  m.member = sys.spawn(idle);
  m.router = sys.spawn(idle);
  m.auth = sys.spawn(idle);
  m.accounts = {sys.spawn(idle), sys.spawn(idle)};
  m.offline = {sys.spawn(idle), sys.spawn(idle)};
  m.replicas = {sys.spawn(idle), sys.spawn(idle)};
  // lifecycle left out: none travels as none
  auto out = round_trip(sys, m);
  CHECK(out.name == "n1");
  CHECK(out.address == m.address);
  CHECK(out.incarnation == 42);
  CHECK(out.member == m.member);
  CHECK(out.router == m.router);
  CHECK(out.auth == m.auth);
  CHECK_FALSE(out.lifecycle);
  CHECK(out.accounts == m.accounts);
  CHECK(out.offline == m.offline);
  CHECK(out.replicas == m.replicas);
  // Only the name, address and incarnation when printed.
  CHECK(caf::deep_to_string(m).find("n1") != std::string::npos);

  member_status s{"n1", "127.0.0.1:7301", "alive", 42, 1500};
  auto s2 = round_trip(sys, s);
  CHECK(s2.name == "n1");
  CHECK(s2.state == "alive");
  CHECK(s2.since_ms == 1500);
  for (auto& a : {m.member, m.router, m.auth, m.accounts[0], m.accounts[1], m.offline[0],
                  m.offline[1], m.replicas[0], m.replicas[1]})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("a member of a newer build, with handles this build has no role for, is understood") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  member_info m;
  m.name = "n2";
  m.router = sys.spawn(idle);
  std::vector<caf::actor> handles;
  auto bytes = member_to_wire(m, handles);
  // A newer build adds a role: one more handle (and a field we skip).
  handles.push_back(sys.spawn(idle));
  member_info out;
  REQUIRE(member_from_wire(bytes, handles, out));
  CHECK(out.name == "n2");
  CHECK(out.router == m.router);
  CHECK_FALSE(out.member);

  // A struct naming a handle that is not there, or bytes that are no
  // struct, are refused rather than read half.
  std::vector<caf::actor> none;
  CHECK_FALSE(member_from_wire(bytes, none, out));
  CHECK_FALSE(member_from_wire("not a member", handles, out));
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(std::string{"garbage"}, handles));
  caf::binary_deserializer source{sys, buf};
  member_info bad;
  CHECK(source(bad));
  caf::anon_send_exit(m.router, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(handles.back(), caf::exit_reason::user_shutdown);
}
