// Issue 15, suspect is a state: when a silent session is checked, becomes
// suspect and is ended (session_liveness, with times made up by the test), and
// what a check looks like on the stream (XEP-0199 ping, or XEP-0198 <r/>).
#include "c2s_harness.hpp"

#include "node/xmpp/session_liveness.hpp"
#include "node/xmpp/stream_management.hpp"

using namespace c2s_test;
using namespace std::chrono_literals;

namespace {

using step = session_liveness::step;
using clock_type = session_liveness::clock;

const clock_type::time_point t0 = clock_type::time_point{} + 1000s;

liveness_settings thirty_sixty() {
  liveness_settings s;
  s.ping_interval = 30s;
  s.suspect_grace = 60s;
  return s;
}

} // namespace

TEST_CASE("a silent session is checked after one interval and suspect after two") {
  session_liveness l{thirty_sixty(), t0};
  CHECK(l.next() == t0 + 30s);
  CHECK(l.due(t0 + 29s) == step::none); // early (timers are never early, but still)
  CHECK(l.due(t0 + 30s) == step::check);
  CHECK(l.next() == t0 + 60s);
  CHECK_FALSE(l.suspect());
  CHECK(l.due(t0 + 59s) == step::none);
  CHECK(l.due(t0 + 60s) == step::suspect);
  CHECK(l.suspect());
  CHECK(l.next() == t0 + 120s);
  CHECK(l.due(t0 + 100s) == step::none); // suspect once, not again
  CHECK(l.due(t0 + 120s) == step::end);
  CHECK(l.ended());
  CHECK(l.next() == clock_type::time_point::max());
  CHECK(l.due(t0 + 500s) == step::none);
}

TEST_CASE("a late timer still gives each step once, in order") {
  session_liveness l{thirty_sixty(), t0};
  CHECK(l.due(t0 + 31s) == step::check);
  CHECK(l.due(t0 + 62s) == step::suspect);
  CHECK(l.due(t0 + 123s) == step::end);
}

TEST_CASE("input before the check's deadline answers it: no suspect") {
  session_liveness l{thirty_sixty(), t0};
  REQUIRE(l.due(t0 + 30s) == step::check);
  CHECK_FALSE(l.heard(t0 + 31s)); // the client's result, <a/>, error, anything
  CHECK(l.due(t0 + 60s) == step::none);
  CHECK_FALSE(l.suspect());
  // Silence now counts from the answer.
  CHECK(l.next() == t0 + 61s);
  CHECK(l.due(t0 + 61s) == step::check);
}

TEST_CASE("input keeps a busy session from being checked at all") {
  session_liveness l{thirty_sixty(), t0};
  for (int s = 10; s <= 300; s += 10) {
    CHECK_FALSE(l.heard(t0 + std::chrono::seconds(s)));
    CHECK(l.due(t0 + std::chrono::seconds(s)) == step::none);
  }
  CHECK(l.next() == t0 + 330s);
}

TEST_CASE("a suspect session that speaks again is alive, once, and watched afresh") {
  session_liveness l{thirty_sixty(), t0};
  REQUIRE(l.due(t0 + 30s) == step::check);
  REQUIRE(l.due(t0 + 60s) == step::suspect);
  CHECK(l.heard(t0 + 90s)); // alive: the actor must hear it
  CHECK_FALSE(l.suspect());
  CHECK_FALSE(l.heard(t0 + 91s)); // only once
  CHECK(l.next() == t0 + 121s);   // sooner than the grace's end (t0 + 120 s)
  CHECK(l.due(t0 + 120s) == step::none);
  CHECK(l.due(t0 + 121s) == step::check);
  CHECK(l.due(t0 + 151s) == step::suspect);
}

TEST_CASE("a zero interval means no checks") {
  liveness_settings s;
  s.ping_interval = 0ms;
  session_liveness l{s, t0};
  CHECK(l.next() == clock_type::time_point::max());
  CHECK(l.due(t0 + 10000s) == step::none);
  CHECK_FALSE(l.suspect());
}

TEST_CASE("a zero grace ends a session as soon as it is suspect") {
  liveness_settings s;
  s.ping_interval = 100ms;
  s.suspect_grace = 0ms;
  session_liveness l{s, t0};
  CHECK(l.due(t0 + 100ms) == step::check);
  CHECK(l.due(t0 + 200ms) == step::suspect);
  CHECK(l.next() == t0 + 200ms);
  CHECK(l.due(t0 + 200ms) == step::end);
}

TEST_CASE("XEP-0199 §4.2: without stream management the check is a ping to the full JID") {
  harness h;
  h.bind("alice", "phone");
  h.stream->check_alive();
  h.run();
  auto ping = h.one();
  CHECK(ping.name() == "iq");
  CHECK(ping.attr("type") == "get");
  CHECK(ping.attr("from") == "localhost");
  CHECK(ping.attr("to") == "alice@localhost/phone");
  CHECK_FALSE(ping.attr("id").empty());
  CHECK(ping.child("ping", "urn:xmpp:ping"));
  // Each check has its own id.
  h.stream->check_alive();
  h.run();
  CHECK(h.one().attr("id") != ping.attr("id"));
  // The answers, a result or an error from a client without XEP-0199, get
  // no answer and do not disturb the stream.
  h.send("<iq type='result' id='" + std::string{ping.attr("id")} + "' to='localhost'/>");
  h.send("<iq type='error' id='x' to='localhost'><error type='cancel'><service-unavailable "
         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  h.run();
  CHECK(h.take().empty());
  CHECK_FALSE(h.stream->finished());
  CHECK_FALSE(h.closed);
}

TEST_CASE("no check goes to a stream that is not bound") {
  harness h;
  h.start_tls();
  h.stream->check_alive();
  h.run();
  CHECK(h.take().empty());
}

TEST_CASE("XEP-0198: with stream management enabled the check is <r/>") {
  harness h;
  sm_transport t;
  t.make_resumable = [] { return std::string{"id-1"}; };
  auto module = std::make_unique<stream_management>(std::move(t));
  auto* sm = module.get();
  h.stream->add_module(std::move(module));
  h.bind("alice");
  h.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  REQUIRE(h.one().name() == "enabled");
  h.stream->check_alive();
  h.run();
  auto r = h.one();
  CHECK(r.name() == "r");
  CHECK(r.xmlns() == "urn:xmpp:sm:3");
  CHECK(sm->unacked() == 0); // a nonza: nothing to resend
}

TEST_CASE("a session kept for resumption gets its stream error, but the session goes on") {
  harness h;
  h.bind("alice");
  h.stream->fail_keeping_session("connection-timeout", "no answer");
  h.run();
  CHECK(h.stream_error_condition() == "connection-timeout");
  CHECK(h.server_closed);
  CHECK_FALSE(h.closed); // the transport drops the socket itself and detaches
  REQUIRE(h.logs.size() == 1);
  CHECK(h.logs[0].condition == "connection-timeout");
  CHECK_FALSE(h.stream->finished());
  CHECK(h.stream->bound());
}
