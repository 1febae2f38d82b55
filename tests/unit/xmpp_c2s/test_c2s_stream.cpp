// RFC 6120 §4-§8, XEP-0077, XEP-0030, XEP-0199: one client stream, transcript by transcript.
#include "c2s_harness.hpp"

#include "../sasl/gsasl_client.hpp"

using namespace c2s_test;
using irsp::test::client_identity;
using irsp::test::gsasl_client;

namespace {

const element* feature(const element& features, std::string_view name) {
  for (const auto* c : children(features))
    if (c->name() == name)
      return c;
  return nullptr;
}

std::vector<std::string> mechanisms(const element& features) {
  std::vector<std::string> out;
  if (const auto* m = feature(features, "mechanisms"))
    for (const auto* c : children(*m))
      out.push_back(c->text());
  return out;
}

bool has(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

} // namespace

TEST_CASE("before TLS the server offers only STARTTLS, and requires it") {
  harness h;
  h.send(header);
  REQUIRE(h.headers.size() == 1);
  CHECK(h.headers[0].from == "localhost");
  auto features = h.one();
  CHECK(features.name() == "features");
  const auto* starttls = feature(features, "starttls");
  REQUIRE(starttls);
  CHECK(starttls->child("required"));
  CHECK(mechanisms(features).empty());
  CHECK_FALSE(feature(features, "register"));
}

TEST_CASE("SASL before STARTTLS is refused with encryption-required, PLAIN included") {
  harness h;
  h.send(header);
  h.take();
  h.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
         "AGFsaWNlAHBhc3N3b3JkMQ==</auth>");
  auto failure = h.one();
  CHECK(failure.name() == "failure");
  CHECK(failure.child("encryption-required"));
  CHECK(h.lookups.empty()); // no password was checked
  CHECK_FALSE(h.closed);
  REQUIRE(h.logs.size() == 1);
  CHECK(h.logs[0].condition == "encryption-required");
}

TEST_CASE("after STARTTLS the stream restarts and offers SCRAM, PLAIN and registration") {
  harness h;
  auto features = h.start_tls();
  auto mechs = mechanisms(features);
  CHECK(mechs.front() == "SCRAM-SHA-256");
  CHECK(has(mechs, "SCRAM-SHA-1"));
  CHECK(has(mechs, "PLAIN"));
  CHECK_FALSE(has(mechs, "SCRAM-SHA-256-PLUS"));
  CHECK(feature(features, "register"));
  CHECK_FALSE(feature(features, "starttls"));
  CHECK(h.headers.size() == 2);
  CHECK(h.headers[0].id != h.headers[1].id); // RFC 6120 §4.7.3: a new id per stream
}

TEST_CASE("with channel binding the -PLUS mechanisms are offered first, the types by XEP-0440") {
  harness h;
  auto features = h.start_tls({channel_binding{"tls-exporter", std::string(32, 'x')},
                               channel_binding{"tls-server-end-point", std::string(32, 'y')}});
  auto mechs = mechanisms(features);
  CHECK(mechs.front() == "SCRAM-SHA-256-PLUS");
  CHECK(has(mechs, "SCRAM-SHA-1-PLUS"));
  const auto* cb = feature(features, "sasl-channel-binding");
  REQUIRE(cb);
  CHECK(cb->xmlns() == "urn:xmpp:sasl-cb:0");
  std::vector<std::string> types;
  for (const auto* c : children(*cb))
    if (c->name() == "channel-binding")
      types.emplace_back(c->attr("type"));
  CHECK(types == std::vector<std::string>{"tls-exporter", "tls-server-end-point"});
}

TEST_CASE("without binding data no XEP-0440 feature is sent") {
  harness h;
  CHECK_FALSE(feature(h.start_tls(), "sasl-channel-binding"));
}

TEST_CASE("with --log-logins a login is logged with its mechanism, apart from the failure line") {
  auto settings = test_settings();
  settings.log_logins = true;
  harness h{settings};
  h.start_tls({channel_binding{"tls-exporter", std::string(32, 'x')}});
  CHECK(h.plain_login("alice", "wrong-password", "password1").child("not-authorized"));
  CHECK(h.plain_login("alice", "password1", "password1").name() == "success");
  REQUIRE(h.logs.size() == 2);
  CHECK(h.logs[0].condition == "not-authorized");
  CHECK_FALSE(h.logs[0].event);
  CHECK(h.logs[1].condition == "login");
  CHECK(h.logs[1].text == "alice@localhost PLAIN");
  CHECK(h.logs[1].event);
}

TEST_CASE("bytes sent after <starttls/> in the clear are dropped, not parsed into the TLS stream") {
  harness h;
  h.send(header);
  h.take();
  // RFC 6120 §5.4.3.3: a plaintext injection riding behind the request.
  h.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message to='x@localhost'>"
         "<body>injected</body></message>");
  CHECK(h.one().name() == "proceed");
  h.stream->tls_established({});
  h.send(header);
  CHECK(h.one().name() == "features");
  CHECK_FALSE(h.closed);
}

TEST_CASE("a SCRAM-SHA-256 login, bind and session open, as a real SASL client does it") {
  harness h;
  h.start_tls();
  gsasl_client client{"SCRAM-SHA-256", client_identity{"alice", "password1"}};
  auto first = client.step("");
  h.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>"
         + base64_encode(first) + "</auth>");
  CHECK(h.received.empty()); // holding back until the account server answers
  REQUIRE(h.lookups.size() == 1);
  CHECK(h.lookups[0].address == "alice@localhost");
  CHECK(h.lookups[0].hash == account::scram_hash::sha256);
  CHECK(h.stream->waiting());
  h.stream->credentials(
    account::derive_scram_secret(account::scram_hash::sha256, "password1", "s4lt", 4096));
  h.run();
  auto challenge = h.one();
  REQUIRE(challenge.name() == "challenge");
  auto final_msg = client.step(*base64_decode(challenge.text()));
  h.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64_encode(final_msg)
         + "</response>");
  auto success = h.one();
  REQUIRE(success.name() == "success");
  client.step(*base64_decode(success.text()));
  CHECK(client.rc() == GSASL_OK); // the server proved it knows the password too
  CHECK(h.stream->address() == "alice@localhost");

  h.send(header);
  auto features = h.one();
  CHECK(feature(features, "bind"));
  CHECK(feature(features, "session"));
  CHECK(mechanisms(features).empty());

  h.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
         "<resource>balcony</resource></bind></iq>");
  REQUIRE(h.opens.size() == 1);
  CHECK(h.opens[0].address == "alice@localhost");
  CHECK(h.opens[0].resource == "balcony");
  CHECK(h.stream->waiting());
  h.stream->opened(true, account::account_kind::USER, {});
  h.run();
  auto bound = h.one();
  CHECK(bound.attr("type") == "result");
  CHECK(bound.attr("id") == "b1");
  CHECK(bound.child("bind", "urn:ietf:params:xml:ns:xmpp-bind")->child("jid")->text()
        == "alice@localhost/balcony");
  CHECK(h.stream->bound());
  CHECK(h.logs.empty());
}

TEST_CASE("the user name is the localpart, case-folded as the account server stores it") {
  harness h;
  h.start_tls();
  h.plain_login("Alice", "password1", "password1");
  REQUIRE(h.stream->address() == "alice@localhost");
}

TEST_CASE("a wrong password is not-authorized and is logged once as the connection's line") {
  harness h;
  h.start_tls();
  auto failure = h.plain_login("alice", "wrong-password", "password1");
  CHECK(failure.name() == "failure");
  CHECK(failure.child("not-authorized"));
  CHECK_FALSE(h.closed);
  REQUIRE(h.logs.size() == 1);
  CHECK(h.logs[0].condition == "not-authorized");
  // The client may try again on the same stream (RFC 6120 §6.4.5).
  CHECK(h.plain_login("alice", "password1", "password1").name() == "success");
}

TEST_CASE("five wrong passwords hold back that address for the account, not its owner") {
  auto settings = test_settings();
  for (int i = 0; i < 5; ++i) {
    harness h{settings, false, "10.0.0.66"};
    h.start_tls();
    CHECK(h.plain_login("alice", "guess" + std::to_string(i) + "xx", "password1")
            .child("not-authorized"));
  }
  harness h{settings, false, "10.0.0.66"};
  h.start_tls();
  auto failure = h.plain_login("alice", "password1", "password1");
  CHECK(failure.child("temporary-auth-failure"));
  CHECK(h.lookups.empty());
  // Another account from the same address is not held back...
  harness other{settings, false, "10.0.0.66"};
  other.start_tls();
  CHECK(other.plain_login("bob", "password1", "password1").name() == "success");
  // ...nor the owner, from another address.
  harness owner{settings, false, "10.0.0.7"};
  owner.start_tls();
  CHECK(owner.plain_login("alice", "password1", "password1").name() == "success");
}

TEST_CASE("a stream that keeps failing SASL is closed with policy-violation") {
  auto settings = test_settings();
  settings.throttle.reset();
  harness h{settings};
  h.start_tls();
  for (int i = 0; i < 4; ++i)
    h.plain_login("user" + std::to_string(i), "wrong-password", "password1");
  CHECK_FALSE(h.closed);
  h.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
         + base64_encode(std::string{"\0user\0wrong", 11}) + "</auth>");
  h.stream->credentials(std::nullopt);
  h.run();
  CHECK(h.received.at(0).child("not-authorized"));
  CHECK(h.stream_error_condition() == "policy-violation");
  CHECK(h.closed);
}

TEST_CASE("SASL data that is not base64 is incorrect-encoding") {
  harness h;
  h.start_tls();
  h.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!!</auth>");
  CHECK(h.one().child("incorrect-encoding"));
}

TEST_CASE("an unknown mechanism is invalid-mechanism") {
  harness h;
  h.start_tls();
  h.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5'/>");
  CHECK(h.one().child("invalid-mechanism"));
}

TEST_CASE("a stanza before authentication is a not-authorized stream error") {
  harness h;
  h.start_tls();
  h.send("<message to='bob@localhost'><body>hi</body></message>");
  CHECK(h.stream_error_condition() == "not-authorized");
  CHECK(h.server_closed);
  CHECK(h.closed);
  REQUIRE(h.logs.size() == 1);
  CHECK(h.logs[0].condition == "not-authorized");
}

TEST_CASE("a stanza before STARTTLS is a not-authorized stream error, registration too") {
  harness h;
  h.send(header);
  h.send("<iq type='get' id='r1'><query xmlns='jabber:iq:register'/></iq>");
  CHECK(h.stream_error_condition() == "not-authorized");
}

TEST_CASE("in-band registration after TLS becomes a register request with the device fields") {
  harness h;
  h.start_tls();
  h.send("<iq type='get' id='f1'><query xmlns='jabber:iq:register'/></iq>");
  auto form = h.one();
  CHECK(form.attr("type") == "result");
  CHECK(form.child("query", "jabber:iq:register")->child("username"));
  h.send("<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>tv1</username>"
         "<password>password1</password><kind xmlns='urn:irsp:0'>device</kind>"
         "<device xmlns='urn:irsp:0' model='M' manufacturer='A' serial='S'/></query></iq>");
  REQUIRE(h.calls.size() == 1);
  auto& req = std::get<account::register_request>(h.calls[0].request);
  CHECK(req.name == "tv1");
  CHECK(req.kind == account::account_kind::DEVICE);
  CHECK(req.device.serial == "S");
  h.stream->reply(h.calls[0].id,
                  account::register_response{account::register_status::OK, "tv1@localhost",
                                             "ABCD-EFGH-JKMN"});
  h.run();
  auto result = h.one();
  CHECK(result.attr("type") == "result");
  CHECK(result.attr("id") == "r1");
  auto* status = result.child("status", "urn:irsp:0");
  REQUIRE(status);
  CHECK(status->attr("code") == "ok");
  CHECK(status->child("code")->text() == "ABCD-EFGH-JKMN");
}

namespace {

// Sends one in-band registration for `name`; the call it made, if any.
std::optional<c2s_call> register_request(harness& h, const std::string& name) {
  h.calls.clear();
  h.send("<iq type='set' id='r-" + name + "'><query xmlns='jabber:iq:register'><username>"
         + name + "</username><password>password1</password></query></iq>");
  if (h.calls.empty())
    return std::nullopt;
  return h.calls.front();
}

} // namespace

TEST_CASE("in-band registrations per address are limited, refused names give their slot back") {
  auto settings = test_settings();
  registration_limits limits;
  limits.per_address = 2;
  settings.registrations = std::make_shared<registration_limit>(limits);
  harness h{settings, false, "192.0.2.10"};
  h.start_tls();
  // A taken name creates nothing and costs no slot.
  auto taken = register_request(h, "taken");
  REQUIRE(taken);
  h.stream->reply(taken->id, account::register_response{account::register_status::EXISTS, {}, {}});
  h.run();
  CHECK(h.one().attr("type") == "error");
  for (auto name : {"first", "second"}) {
    auto call = register_request(h, name);
    REQUIRE(call);
    h.stream->reply(call->id, account::register_response{account::register_status::OK,
                                                         std::string{name} + "@localhost", {}});
    h.run();
    CHECK(h.one().attr("type") == "result");
  }
  CHECK_FALSE(register_request(h, "third")); // never reaches the account server
  auto refused = h.one();
  CHECK(refused.attr("type") == "error");
  CHECK(refused.attr("id") == "r-third");
  const auto* error = refused.child("error");
  REQUIRE(error);
  CHECK(error->attr("type") == "wait");
  CHECK(error->child("policy-violation", "urn:ietf:params:xml:ns:xmpp-stanzas"));
  CHECK_FALSE(h.closed);
  // Another address, and the node's own host, are not affected.
  harness other{settings, false, "192.0.2.11"};
  other.start_tls();
  CHECK(register_request(other, "fourth"));
  harness local{settings, false, "127.0.0.1"};
  local.start_tls();
  for (int i = 0; i < 5; ++i)
    CHECK(register_request(local, "local" + std::to_string(i)));
}

TEST_CASE("garbage instead of a stream header is not-well-formed, inside a header of ours") {
  harness h;
  h.send("\x16\x03\x01\x02\x00 hello?");
  CHECK(h.headers.size() == 1);
  CHECK(h.stream_error_condition() == "not-well-formed");
  CHECK(h.server_closed);
  CHECK(h.closed);
  REQUIRE(h.logs.size() == 1);
}

TEST_CASE("a stream for another domain is host-unknown") {
  harness h;
  h.send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
         "to='example.org' version='1.0'>");
  CHECK(h.stream_error_condition() == "host-unknown");
}

TEST_CASE("a stream without version 1.0 is unsupported-version") {
  harness h;
  h.send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
         "to='localhost'>");
  CHECK(h.stream_error_condition() == "unsupported-version");
}

TEST_CASE("an element of an unknown namespace at stream level is unsupported-stanza-type") {
  harness h;
  h.start_tls();
  h.send("<hello xmlns='urn:example:unknown'/>");
  CHECK(h.stream_error_condition() == "unsupported-stanza-type");
}

TEST_CASE("the stream header in another namespace is invalid-namespace") {
  harness h;
  h.send("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
         "to='localhost' version='1.0'>");
  CHECK(h.stream_error_condition() == "invalid-namespace");
}

TEST_CASE("entity expansion (billion laughs) is restricted-xml at once") {
  harness h;
  h.send("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
         "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>"
         "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
         "to='localhost' version='1.0'>&lol2;");
  CHECK(h.stream_error_condition() == "restricted-xml");
}

TEST_CASE("a stanza over the size limit is policy-violation") {
  auto settings = test_settings();
  settings.xml_limits.max_stanza_bytes = 1000;
  harness h{settings};
  h.bind("alice");
  h.send("<message to='bob@localhost'><body>" + std::string(2000, 'x') + "</body></message>");
  CHECK(h.stream_error_condition() == "policy-violation");
}

TEST_CASE("the client's closing tag is answered with ours and no log line") {
  harness h;
  h.bind("alice");
  h.send("</stream:stream>");
  CHECK(h.server_closed);
  CHECK(h.closed);
  CHECK(h.logs.empty());
}

TEST_CASE("a stanza after SASL but before binding is not-authorized") {
  harness h;
  h.start_tls();
  h.plain_login("alice", "password1", "password1");
  h.send(header);
  h.take();
  h.send("<presence/>");
  CHECK(h.stream_error_condition() == "not-authorized");
}

TEST_CASE("binding without a resource gets a generated one") {
  harness h;
  h.start_tls();
  h.plain_login("alice", "password1", "password1");
  h.send(header);
  h.take();
  h.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  REQUIRE(h.opens.size() == 1);
  CHECK(h.opens[0].resource.rfind("irsp-", 0) == 0);
}

TEST_CASE("an account that disappeared before the bind ends the stream") {
  harness h;
  h.start_tls();
  h.plain_login("alice", "password1", "password1");
  h.send(header);
  h.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  h.stream->opened(false, account::account_kind::USER, {});
  h.run();
  CHECK(h.stream_error_condition() == "not-authorized");
  CHECK(h.logs.empty());
}

TEST_CASE("stanzas pipelined behind the bind wait for the session to open") {
  harness h;
  h.start_tls();
  h.plain_login("alice", "password1", "password1");
  h.send(header);
  h.take();
  h.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
         "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>");
  CHECK(h.received.empty());
  h.stream->opened(true, account::account_kind::USER, {});
  h.run();
  auto got = h.take();
  REQUIRE(got.size() == 2);
  CHECK(got[0].attr("id") == "b");
  CHECK(got[1].attr("id") == "p");
  CHECK(got[1].attr("type") == "result");
}

TEST_CASE("ping, disco#info, session and roster are answered by the server itself") {
  harness h;
  h.bind("alice", "phone", {"tv1@localhost"});
  h.send("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>");
  CHECK(h.one().attr("type") == "result");
  h.send("<iq type='get' id='2' to='localhost'><query "
         "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  auto info = h.one();
  REQUIRE(info.attr("type") == "result");
  bool irsp = false;
  for (const auto* f : children(*info.child("query", "http://jabber.org/protocol/disco#info")))
    irsp = irsp || f->attr("var") == "urn:irsp:0";
  CHECK(irsp);
  h.send("<iq type='set' id='3'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  CHECK(h.one().attr("type") == "result");
  h.send("<iq type='get' id='4'><query xmlns='jabber:iq:roster'/></iq>");
  auto roster = h.one();
  auto items = children(*roster.child("query", "jabber:iq:roster"));
  REQUIRE(items.size() == 1);
  CHECK(items[0]->attr("jid") == "tv1@localhost");
  CHECK(items[0]->attr("subscription") == "both");
  // A new binding is pushed to a client that asked for the roster.
  h.stream->binding_changed("cam@localhost", true);
  h.run();
  auto push = h.one();
  CHECK(push.attr("type") == "set");
  CHECK(push.child("query", "jabber:iq:roster")->child("item")->attr("jid") == "cam@localhost");
  h.send("<iq type='get' id='5'><vCard xmlns='vcard-temp'/></iq>");
  auto error = h.one();
  CHECK(error.attr("type") == "error");
  CHECK(error.child("error")->child("service-unavailable",
                                    "urn:ietf:params:xml:ns:xmpp-stanzas"));
}

TEST_CASE("an upload IQ to an application goes to the router and its status comes back") {
  harness h;
  h.bind("alice");
  h.send("<iq type='set' id='u1' to='echo@apps.localhost'><upload xmlns='urn:irsp:0'>hello"
         "</upload></iq>");
  REQUIRE(h.calls.size() == 1);
  auto& up = std::get<message::upload_request>(h.calls[0].request);
  CHECK(up.from == "alice@localhost");
  CHECK(up.application == "echo");
  CHECK(up.payload == "hello");
  h.stream->reply(h.calls[0].id,
                  message::upload_response{message::upload_status::ACCEPTED, {}});
  h.run();
  auto result = h.one();
  CHECK(result.attr("type") == "result");
  CHECK(result.attr("from") == "echo@apps.localhost");
  CHECK(result.child("status", "urn:irsp:0")->attr("code") == "accepted");
}

TEST_CASE("a request the server does not answer becomes internal-server-error") {
  harness h;
  h.bind("alice");
  h.send("<iq type='set' id='u1' to='echo@apps.localhost'><upload xmlns='urn:irsp:0'>x"
         "</upload></iq>");
  h.stream->reply(h.calls[0].id, c2s_request_failed{});
  h.run();
  auto error = h.one();
  CHECK(error.attr("type") == "error");
  CHECK(error.child("error")->attr("type") == "wait");
}

TEST_CASE("a message to a bound device becomes a direct request, pushes and messages arrive") {
  harness h;
  h.bind("alice", "phone", {"tv1@localhost"});
  h.send("<message to='tv1@localhost' type='chat' id='m1'><body>on</body></message>");
  REQUIRE(h.calls.size() == 1);
  auto& d = std::get<message::direct_request>(h.calls[0].request);
  CHECK(d.to == "tv1@localhost");
  CHECK(d.payload == "on");
  h.stream->reply(h.calls[0].id,
                  message::direct_response{message::direct_status::DELIVERED, 1});
  h.run();
  CHECK(h.take().empty()); // a delivered message has no answer

  h.stream->deliver({message::delivery_kind::DIRECT, "tv1@localhost", "is on", 0});
  h.stream->deliver({message::delivery_kind::PUSH, "echo", "pushed", 0});
  h.run();
  auto got = h.take();
  REQUIRE(got.size() == 2);
  CHECK(got[0].attr("from") == "tv1@localhost");
  CHECK(got[0].attr("to") == "alice@localhost/phone");
  CHECK(got[0].child("body")->text() == "is on");
  CHECK(got[1].attr("from") == "echo@apps.localhost");
  CHECK(got[1].child("push", "urn:irsp:0")->text() == "pushed");
}

TEST_CASE("a bound peer's presence arrives as presence from its bare JID") {
  harness h;
  h.bind("alice");
  message::presence_event ev;
  ev.address = "tv1@localhost";
  ev.kind = account::account_kind::DEVICE;
  ev.state = message::lifecycle_state::ONLINE;
  ev.epoch = 7;
  ev.sequence = 1;
  h.stream->presence(ev);
  ev.state = message::lifecycle_state::SUSPECT;
  ev.sequence = 2;
  h.stream->presence(ev);
  ev.state = message::lifecycle_state::OFFLINE;
  ev.sequence = 3;
  h.stream->presence(ev);
  h.run();
  auto got = h.take();
  REQUIRE(got.size() == 3);
  CHECK(got[0].attr("from") == "tv1@localhost");
  CHECK_FALSE(got[0].has_attr("type"));
  CHECK(got[0].child("state", "urn:irsp:0")->text() == "online");
  CHECK_FALSE(got[1].has_attr("type"));
  CHECK(got[1].child("show")->text() == "xa");
  CHECK(got[1].child("state", "urn:irsp:0")->text() == "suspect");
  CHECK(got[2].attr("type") == "unavailable");
  CHECK(got[2].child("state", "urn:irsp:0")->text() == "offline");
}

TEST_CASE("requests beyond the limit stop the reading until answers come") {
  auto settings = test_settings();
  settings.max_pending = 2;
  harness h{settings};
  h.bind("alice");
  std::string three;
  for (int i = 0; i < 3; ++i)
    three += "<iq type='set' id='u" + std::to_string(i)
             + "' to='echo@apps.localhost'><upload xmlns='urn:irsp:0'>x</upload></iq>";
  h.send(three);
  CHECK(h.calls.size() == 2);
  CHECK(h.stream->waiting());
  h.stream->reply(h.calls[0].id, message::upload_response{message::upload_status::ACCEPTED, {}});
  h.run();
  CHECK(h.calls.size() == 3);
}

TEST_CASE("removing one's own account answers the IQ, then ends the stream") {
  harness h;
  h.bind("alice");
  h.send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>");
  REQUIRE(h.calls.size() == 1);
  CHECK(std::holds_alternative<account::delete_request>(h.calls[0].request));
  h.stream->gone(); // the user actor's notice may come first
  h.run();
  CHECK_FALSE(h.closed);
  h.stream->reply(h.calls[0].id, account::delete_response{account::delete_status::OK, {}});
  h.run();
  auto got = h.take();
  REQUIRE(got.size() == 2);
  CHECK(got[0].attr("type") == "result");
  CHECK(h.stream_error_condition().empty()); // taken already
  CHECK(got[1].name() == "error");
  CHECK(got[1].child("not-authorized", "urn:ietf:params:xml:ns:xmpp-streams"));
  CHECK(h.closed);
}

TEST_CASE("a newer session of the same resource ends this one with conflict") {
  harness h;
  h.bind("alice");
  h.stream->replaced();
  h.run();
  CHECK(h.stream_error_condition() == "conflict");
  CHECK(h.logs.empty());
}

TEST_CASE("the same session fed one byte at a time reads the same") {
  auto run_session = [](bool bytewise) {
    harness h;
    auto feed = [&](const std::string& s) {
      if (!bytewise)
        return h.send(s);
      for (char c : s)
        h.send(std::string_view{&c, 1});
    };
    feed(header);
    feed("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    h.stream->tls_established({});
    feed(header);
    feed("<iq type='get' id='f1'><query xmlns='jabber:iq:register'/></iq>");
    feed("<hello xmlns='urn:example'/>");
    std::vector<std::string> names;
    for (const auto& e : h.received)
      names.push_back(e.name() + "/" + std::string{e.attr("id")});
    return names;
  };
  CHECK(run_session(false) == run_session(true));
}

TEST_CASE("an idle bound stream drops its parser and picks up where it was") {
  harness h;
  h.bind("alice");
  // Stanzas split anywhere, with idle moments between and inside them.
  const std::string ping = "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>";
  for (std::size_t cut = 1; cut < ping.size(); cut += 7) {
    h.send(ping.substr(0, cut));
    h.send(ping.substr(cut) + " \n");
    auto pong = h.one();
    CHECK(pong.attr("type") == "result");
  }
  h.send("<message to='x@localhost'><body>" + std::string(300 * 1024, 'x'));
  CHECK(h.stream_error_condition() == "policy-violation"); // limits hold after waking
}

TEST_CASE("the codec says when it holds nothing of a stanza still arriving") {
  xml_stream p;
  CHECK_FALSE(p.between_stanzas()); // no stream yet
  p.feed(header);
  CHECK(p.between_stanzas());
  p.feed("<presence");
  CHECK_FALSE(p.between_stanzas());
  p.feed("/>");
  CHECK(p.between_stanzas());
  p.feed(" \n");
  CHECK(p.between_stanzas());
  p.feed("<");
  CHECK_FALSE(p.between_stanzas());
  p.feed("/stream:stream>");
  CHECK_FALSE(p.between_stanzas()); // closed
}

TEST_CASE("calls whose answer was lost are answered as failed, newer ones wait") {
  harness h;
  h.bind("alice");
  h.send("<iq type='set' id='lost' to='echo@apps.localhost'><upload xmlns='urn:irsp:0'>x"
         "</upload></iq>");
  auto between = std::chrono::steady_clock::now();
  // A message whose answer is lost too: its slot must come back as well.
  h.send("<message to='cam@localhost' type='chat'><body>hi</body></message>");
  REQUIRE(h.calls.size() == 2);
  // Only what was made before `between` is given up on.
  CHECK(h.stream->expire_calls(between));
  h.run();
  auto error = h.one();
  CHECK(error.attr("id") == "lost");
  CHECK(error.attr("type") == "error");
  CHECK(error.child("error")->attr("type") == "wait");
  CHECK_FALSE(h.stream->expire_calls(std::chrono::steady_clock::now() + std::chrono::seconds(1)));
  h.run();
  auto bounced = h.one();
  CHECK(bounced.name() == "message");
  CHECK(bounced.attr("type") == "error");
  // A late answer to an expired call changes nothing.
  h.stream->reply(h.calls[0].id, message::upload_response{message::upload_status::ACCEPTED, {}});
  h.run();
  CHECK(h.take().empty());
}
