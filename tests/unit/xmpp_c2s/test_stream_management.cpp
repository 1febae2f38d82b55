// XEP-0198 stream management on a c2s_stream: enable, acks, and resumption handed
// from one stream to the next, with the transport played by the test.
#include "c2s_harness.hpp"

#include "node/xmpp/stream_management.hpp"

using namespace c2s_test;

namespace {

constexpr std::string_view sm_ns = "urn:xmpp:sm:3";

// A stream with stream management whose transport requests are recorded.
struct sm_harness : harness {
  stream_management* sm = nullptr;
  std::vector<std::pair<std::string, std::uint32_t>> resumes;
  int resumables = 0;

  explicit sm_harness(sm_limits limits = {}) {
    sm_transport t;
    t.make_resumable = [this] { return "id-" + std::to_string(++resumables); };
    t.resume = [this](const std::string& previd, std::uint32_t h) {
      resumes.emplace_back(previd, h);
    };
    auto module = std::make_unique<stream_management>(std::move(t), limits);
    sm = module.get();
    stream->add_module(std::move(module));
  }

  void push(const std::string& payload) {
    stream->deliver({message::delivery_kind::PUSH, "echo", payload, 0});
    run();
  }
};

std::vector<std::string> names(const std::vector<element>& got) {
  std::vector<std::string> out;
  for (const auto& e : got)
    out.push_back(e.name());
  return out;
}

} // namespace

TEST_CASE("stream management is offered after authentication and enabled after binding") {
  sm_harness h;
  h.start_tls();
  h.plain_login("alice", "password1", "password1");
  h.send(header);
  auto features = h.one();
  CHECK(features.child("sm", std::string{sm_ns}));
  h.send("<enable xmlns='urn:xmpp:sm:3'/>"); // before binding: refused
  auto failed = h.one();
  CHECK(failed.name() == "failed");
  CHECK(failed.child("unexpected-request", "urn:ietf:params:xml:ns:xmpp-stanzas"));
  h.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  h.stream->opened(true, account::account_kind::DEVICE, {});
  h.run();
  h.take();
  h.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  auto enabled = h.one();
  CHECK(enabled.name() == "enabled");
  CHECK(enabled.attr("id") == "id-1");
  CHECK(enabled.attr("resume") == "true");
  CHECK(enabled.attr("max") == "300");
  CHECK(h.sm->resumable());
}

TEST_CASE("the server counts what it handled and answers <r/> with <a h/>") {
  sm_harness h;
  h.bind("alice");
  h.send("<enable xmlns='urn:xmpp:sm:3'/>");
  CHECK(h.one().name() == "enabled");
  CHECK_FALSE(h.sm->resumable());
  h.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq><presence/>"
         "<r xmlns='urn:xmpp:sm:3'/>");
  auto got = h.take();
  REQUIRE(got.size() == 2);
  CHECK(got[1].name() == "a");
  CHECK(got[1].attr("h") == "2");
}

TEST_CASE("sent stanzas stay queued until acknowledged, and acks are asked for") {
  sm_harness h;
  h.bind("alice");
  h.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  h.take();
  for (int i = 0; i < 5; ++i)
    h.push("p" + std::to_string(i));
  auto got = h.take();
  REQUIRE(got.size() == 6);
  CHECK(got[5].name() == "r"); // after every fifth stanza
  CHECK(h.sm->unacked() == 5);
  h.send("<a xmlns='urn:xmpp:sm:3' h='3'/>");
  CHECK(h.sm->unacked() == 2);
  h.send("<a xmlns='urn:xmpp:sm:3' h='9'/>"); // more than was sent
  CHECK(h.stream_error_condition() == "undefined-condition");
}

TEST_CASE("a client that also counted stanzas sent before its <enable/> is not cut off") {
  // aioxmpp 0.13 reads the peer presence that follows the bind result only
  // after sending <enable/>, and counts it.
  sm_harness h;
  h.bind("alice");
  h.push("before enable");
  h.send("<enable xmlns='urn:xmpp:sm:3'/>");
  h.take();
  h.push("after enable");
  h.take();
  h.send("<a xmlns='urn:xmpp:sm:3' h='2'/>"); // both, in the client's numbering
  CHECK(h.sm->unacked() == 0);
  CHECK_FALSE(h.closed);
  h.push("later");
  h.take();
  h.send("<a xmlns='urn:xmpp:sm:3' h='3'/>");
  CHECK(h.sm->unacked() == 0);
  h.send("<a xmlns='urn:xmpp:sm:3' h='5'/>"); // more than was ever sent
  CHECK(h.stream_error_condition() == "undefined-condition");
}

TEST_CASE("too many unacknowledged stanzas end the stream with resource-constraint") {
  sm_limits limits;
  limits.max_unacked = 3;
  sm_harness h{limits};
  h.bind("alice");
  h.send("<enable xmlns='urn:xmpp:sm:3'/>");
  for (int i = 0; i < 4; ++i)
    h.push("p");
  CHECK(h.stream_error_condition() == "resource-constraint");
}

TEST_CASE("a resumed session gets what the client missed, and counting goes on") {
  sm_harness old_stream;
  old_stream.bind("alice", "phone", {"tv1@localhost"});
  old_stream.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  old_stream.take();
  old_stream.send("<presence/><presence/>"); // the server handled 2
  old_stream.push("seen");
  old_stream.push("missed 1");
  old_stream.push("missed 2");
  // The connection drops; the client comes back on a new stream.
  sm_harness h;
  h.start_tls();
  h.plain_login("alice", "password1", "password1");
  h.send(header);
  h.take();
  h.send("<resume xmlns='urn:xmpp:sm:3' previd='id-1' h='1'/>");
  REQUIRE(h.resumes.size() == 1);
  CHECK(h.resumes[0] == std::pair<std::string, std::uint32_t>{"id-1", 1});
  // The transport finds the old session and takes it over.
  sm_state state;
  REQUIRE(old_stream.sm->hand_over(1, state));
  state.resource = old_stream.stream->resource();
  state.peers = old_stream.stream->peers();
  h.sm->resumed(*h.stream, "id-1", std::move(state));
  h.run();
  auto got = h.take();
  REQUIRE(names(got) == std::vector<std::string>{"resumed", "message", "message", "r"});
  CHECK(got[0].attr("previd") == "id-1");
  CHECK(got[0].attr("h") == "2");
  CHECK(got[1].child("push", "urn:irsp:0")->text() == "missed 1");
  CHECK(got[2].child("push", "urn:irsp:0")->text() == "missed 2");
  CHECK(h.stream->bound());
  CHECK(h.stream->resource() == "phone");
  CHECK(h.stream->peers() == std::vector<std::string>{"tv1@localhost"});
  // The client's h counts on from the old stream: 3 acknowledges everything.
  h.send("<a xmlns='urn:xmpp:sm:3' h='3'/>");
  CHECK(h.sm->unacked() == 0);
  h.send("<r xmlns='urn:xmpp:sm:3'/>");
  CHECK(h.one().attr("h") == "2");
}

TEST_CASE("a resumption the server cannot honour fails and the client may bind") {
  sm_harness h;
  h.start_tls();
  h.plain_login("alice", "password1", "password1");
  h.send(header);
  h.take();
  h.send("<resume xmlns='urn:xmpp:sm:3' previd='nope' h='0'/>");
  h.sm->resume_failed(*h.stream, "item-not-found");
  h.run();
  auto failed = h.one();
  CHECK(failed.name() == "failed");
  CHECK(failed.child("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas"));
  h.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  CHECK(h.opens.size() == 1);
}

TEST_CASE("an old stream refuses to hand over more than it sent") {
  sm_harness h;
  h.bind("alice");
  h.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  h.push("one");
  sm_state state;
  CHECK_FALSE(h.sm->hand_over(2, state));
  CHECK(h.sm->hand_over(0, state));
  CHECK(state.unacked.size() == 1);
}

TEST_CASE("resuming before authentication, or while bound, is unexpected") {
  sm_harness h;
  h.start_tls();
  h.send("<resume xmlns='urn:xmpp:sm:3' previd='id-1' h='0'/>");
  CHECK(h.one().child("unexpected-request", "urn:ietf:params:xml:ns:xmpp-stanzas"));
  CHECK(h.resumes.empty());
}

TEST_CASE("what the client never acknowledged is handed back as deliveries to store") {
  sm_harness h;
  h.bind("alice");
  h.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  h.push("first");
  h.stream->deliver({message::delivery_kind::DIRECT, "tv1@localhost", "chat & more", 0});
  message::presence_event ev;
  ev.address = "tv1@localhost";
  ev.state = message::lifecycle_state::ONLINE;
  h.stream->presence(ev);
  h.run();
  h.send("<a xmlns='urn:xmpp:sm:3' h='0'/>");
  auto undelivered = h.sm->take_undelivered();
  REQUIRE(undelivered.size() == 2); // presence is not stored
  CHECK(undelivered[0].kind == message::delivery_kind::PUSH);
  CHECK(undelivered[0].from == "echo@apps.localhost");
  CHECK(undelivered[0].payload == "first");
  CHECK(undelivered[1].kind == message::delivery_kind::DIRECT);
  CHECK(undelivered[1].from == "tv1@localhost");
  CHECK(undelivered[1].payload == "chat & more");
  CHECK(h.sm->unacked() == 0);
}
