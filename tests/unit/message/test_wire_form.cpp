// Issue 14: what crosses a node is the exchange's Cap'n Proto struct
// (schema/wire_form.hpp): CAF's serializer (what BASP uses between nodes)
// writes exactly the schema bytes, the deserializer reads them back, and a
// reader that knows fewer fields of a struct reads the ones it knows.
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "actors/account/exchanges.hpp"
#include "actors/message/exchanges.hpp"
#include "caf_round_trip.hpp"
#include "schema/flat_message.hpp"

using namespace irsp;
using namespace irsp::message;
using irsp::test::round_trip;

namespace {

// The schema bytes CAF put on the wire: one string, the struct's bytes.
template <class T>
std::string wire_bytes(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(x));
  std::string bytes;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(bytes));
  return bytes;
}

} // namespace

TEST_CASE("the exchanges cross nodes as their schema structs") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};

  upload_request up{"alice@localhost", "echo", std::string("\0binary\xff", 8)};
  auto up2 = round_trip(sys, up);
  CHECK(up2.from == up.from);
  CHECK(up2.application == up.application);
  CHECK(up2.payload == up.payload);
  // The bytes on the wire are a schema Upload.
  bool read = schema::read_flat<schema::Upload>(wire_bytes(sys, up), [&](auto m) {
    CHECK(std::string{m.getFrom().cStr()} == "alice@localhost");
    CHECK(m.getPayload().size() == 8);
  });
  CHECK(read);

  presence_event ev;
  ev.address = "tv1@localhost";
  ev.state = lifecycle_state::SUSPECT;
  ev.epoch = 7;
  ev.sequence = 9;
  ev.at_ms = -5;
  ev.bound = {"a@localhost", "b@localhost"};
  ev.cursor = 42;
  auto ev2 = round_trip(sys, ev);
  CHECK(ev2.address == ev.address);
  CHECK(ev2.state == ev.state);
  CHECK(std::tie(ev2.epoch, ev2.sequence, ev2.at_ms, ev2.cursor) == std::tie(ev.epoch, ev.sequence, ev.at_ms, ev.cursor));
  CHECK(ev2.bound == ev.bound);

  direct_request dr{"a@localhost", "tv1@localhost", "hi", "cam", absent_resource::REFUSE};
  auto dr2 = round_trip(sys, dr);
  CHECK(std::tie(dr2.from, dr2.to, dr2.payload, dr2.resource)
        == std::tie(dr.from, dr.to, dr.payload, dr.resource));
  CHECK(dr2.if_absent == absent_resource::REFUSE);

  auto pr = round_trip(sys, push_response{push_status::QUEUED, 3});
  CHECK(pr.status == push_status::QUEUED);
  CHECK(pr.sessions == 3);
  auto ar = round_trip(sys, app_message_response{app_message_status::REJECTED, "no"});
  CHECK(ar.status == app_message_status::REJECTED);
  CHECK(ar.reply == "no");
  auto dl = round_trip(sys, delivery{delivery_kind::DIRECT, "a@localhost", "x", 12});
  CHECK(dl.kind == delivery_kind::DIRECT);
  CHECK(dl.stored_ms == 12);

  account::register_request rr;
  rr.name = "cam";
  rr.kind = account::account_kind::DEVICE;
  rr.password = "secret pass";
  rr.device = {"M", "Acme", "SN1"};
  auto rr2 = round_trip(sys, rr);
  CHECK(rr2.kind == account::account_kind::DEVICE);
  CHECK(rr2.device.serial == "SN1");
  CHECK(rr2.password == rr.password);
  account::modify_request mr{"cam@localhost", {{"name", "Cam"}, {"model", "M2"}}, 4, "x"};
  auto mr2 = round_trip(sys, mr);
  CHECK(mr2.changes == mr.changes);
  CHECK(mr2.expected_version == 4);
  auto del = round_trip(sys, account::delete_response{account::delete_status::OK,
                                                      {"p@localhost", "q@localhost"}});
  CHECK(del.unbound == std::vector<std::string>{"p@localhost", "q@localhost"});
  auto b = round_trip(sys, account::bind_request{"u@localhost", "d@localhost", "C0DE"});
  CHECK(std::tie(b.user, b.device, b.code)
        == std::tie("u@localhost", "d@localhost", "C0DE"));
}

TEST_CASE("bytes that are not the struct are refused, not half read") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  std::string garbage = "not a capnp message";
  REQUIRE(!sink(garbage));
  upload_request out;
  caf::binary_deserializer source{sys, buf};
  CHECK(source(out)); // an error
}

TEST_CASE("a reader that knows fewer fields reads the ones it knows") {
  // A direct message (five fields) read as an upload (three, of the same
  // types and places): as an older build reads a struct a newer one grew.
  direct_request dr{"a@localhost", "tv1@localhost", "payload", "cam", absent_resource::REFUSE};
  upload_request older;
  REQUIRE(from_wire(to_wire(dr), older));
  CHECK(older.from == "a@localhost");
  CHECK(older.application == "tv1@localhost");
  CHECK(older.payload == "payload");
  // And a newer reader of an older struct gets defaults for what it lacks.
  direct_request newer;
  REQUIRE(from_wire(to_wire(upload_request{"a@localhost", "echo", "p"}), newer));
  CHECK(newer.resource.empty());
  CHECK(newer.if_absent == absent_resource::TO_ACCOUNT);
}
