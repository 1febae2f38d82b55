// RFC 6120 §8.2.3, XEP-0077, IRSP §8.2-8.3: client IQs -> requests
#include "mapping_test_support.hpp"

using namespace irsp;
using namespace irsp::xmpp;
using mapping_test::parse;

namespace {

const std::string domain = "localhost";
const std::string alice = "alice@localhost";

std::string describe(const stanza_error& e) {
  return e.type + "/" + e.condition + " (" + e.text + ")";
}

template <class T, class Variant>
T expect(const Variant& v) {
  if (auto* e = std::get_if<stanza_error>(&v))
    FAIL("got error " << describe(*e));
  REQUIRE(std::holds_alternative<T>(v));
  return std::get<T>(v);
}

template <class Variant>
void expect_error(const Variant& v, std::string_view type, std::string_view condition) {
  auto* e = std::get_if<stanza_error>(&v);
  REQUIRE(e != nullptr);
  INFO(describe(*e));
  CHECK(e->type == type);
  CHECK(e->condition == condition);
  CHECK(e->status.empty()); // parse errors come before any exchange
}

client_iq as_alice(std::string_view xml) {
  return parse_client_iq(parse(xml), alice, domain);
}

client_iq unauthenticated(std::string_view xml) {
  return parse_client_iq(parse(xml), "", domain);
}

} // namespace

TEST_CASE("XEP-0077 registration before authentication", "[xmpp_mapping][iq]") {
  SECTION("get asks for the empty form") {
    auto r = expect<registration_form_request>(
      unauthenticated("<iq type='get' id='g1'><query xmlns='jabber:iq:register'/></iq>"));
    CHECK(r.registered.empty());
  }
  SECTION("set registers a device with IRSP's extension fields") {
    auto r = expect<account::register_request>(unauthenticated(
      "<iq type='set' id='r1' to='localhost'><query xmlns='jabber:iq:register'>"
      "<username>tv1</username><password>correct horse</password><name>Living room</name>"
      "<kind xmlns='urn:irsp:0'>device</kind>"
      "<device xmlns='urn:irsp:0' model='TV-55' manufacturer='Acme' serial='SN1'/>"
      "</query></iq>"));
    CHECK(r.name == "tv1");
    CHECK(r.password == "correct horse");
    CHECK(r.display_name == "Living room");
    CHECK(r.kind == account::account_kind::DEVICE);
    CHECK(r.device.model == "TV-55");
    CHECK(r.device.manufacturer == "Acme");
    CHECK(r.device.serial == "SN1");
    // Non-empty: a client registers, so closed registration applies.
    CHECK(r.requester == "tv1@localhost");
  }
  SECTION("kind defaults to user") {
    auto r = expect<account::register_request>(unauthenticated(
      "<iq type='set' id='r2'><query xmlns='jabber:iq:register'>"
      "<username>bob</username><password>secret123</password></query></iq>"));
    CHECK(r.kind == account::account_kind::USER);
    CHECK(r.name == "bob");
    CHECK(r.display_name.empty());
    CHECK(r.device.model.empty());
  }
  SECTION("an unknown kind is a bad request") {
    expect_error(unauthenticated("<iq type='set' id='r3'><query xmlns='jabber:iq:register'>"
                                 "<username>x</username><password>secret123</password>"
                                 "<kind xmlns='urn:irsp:0'>robot</kind></query></iq>"),
                 "modify", "bad-request");
  }
  SECTION("a kind outside the IRSP namespace is not IRSP's") {
    auto r = expect<account::register_request>(unauthenticated(
      "<iq type='set' id='r4'><query xmlns='jabber:iq:register'><username>x</username>"
      "<kind>device</kind></query></iq>"));
    CHECK(r.kind == account::account_kind::USER);
  }
  SECTION("remove needs an account") {
    expect_error(unauthenticated(
                   "<iq type='set' id='r5'><query xmlns='jabber:iq:register'><remove/></query></iq>"),
                 "auth", "not-authorized");
  }
  SECTION("nothing else is served before authentication") {
    expect_error(unauthenticated("<iq type='set' id='x'><reset-code xmlns='urn:irsp:0'/></iq>"),
                 "auth", "not-authorized");
    expect_error(unauthenticated("<iq type='set' id='x' to='echo@apps.localhost'>"
                                 "<upload xmlns='urn:irsp:0'>hi</upload></iq>"),
                 "auth", "not-authorized");
    expect_error(unauthenticated("<iq type='get' id='x' to='bob@localhost'>"
                                 "<query xmlns='jabber:iq:register'/></iq>"),
                 "auth", "not-authorized");
  }
}

TEST_CASE("XEP-0077 after authentication: form, password change, removal",
          "[xmpp_mapping][iq]") {
  SECTION("get shows the account as registered") {
    auto r = expect<registration_form_request>(
      as_alice("<iq type='get' id='g2'><query xmlns='jabber:iq:register'/></iq>"));
    CHECK(r.registered == "alice");
  }
  SECTION("username and password change the password") {
    auto r = expect<account::modify_request>(
      as_alice("<iq type='set' id='p1'><query xmlns='jabber:iq:register'>"
               "<username>alice</username><password>new secret</password></query></iq>"));
    CHECK(r.address == alice);
    CHECK(r.requester == alice);
    CHECK(r.expected_version == 0);
    REQUIRE(r.changes.size() == 1);
    CHECK(r.changes[0] == std::pair<std::string, std::string>{"password", "new secret"});
  }
  SECTION("the username is prepared before comparing") {
    auto r = expect<account::modify_request>(
      as_alice("<iq type='set' id='p2'><query xmlns='jabber:iq:register'>"
               "<username>ALICE</username><password>new secret</password></query></iq>"));
    CHECK(r.address == alice);
  }
  SECTION("another account's username goes to the account server, which refuses it") {
    auto r = expect<account::modify_request>(
      as_alice("<iq type='set' id='p3'><query xmlns='jabber:iq:register'>"
               "<username>bob</username><password>new secret</password></query></iq>"));
    CHECK(r.address == "bob@localhost");
    CHECK(r.requester == alice);
  }
  SECTION("remove deletes the session's own account") {
    auto r = expect<account::delete_request>(
      as_alice("<iq type='set' id='d1'><query xmlns='jabber:iq:register'><remove/></query></iq>"));
    CHECK(r.address == alice);
    CHECK(r.requester == alice);
  }
  SECTION("remove beside other fields is refused rather than guessed at") {
    expect_error(as_alice("<iq type='set' id='d2'><query xmlns='jabber:iq:register'>"
                          "<remove/><password>x</password></query></iq>"),
                 "modify", "bad-request");
  }
}

TEST_CASE("IRSP account IQs to the server", "[xmpp_mapping][iq]") {
  SECTION("modify with version and fields") {
    auto r = expect<account::modify_request>(
      as_alice("<iq type='set' id='m1'><modify xmlns='urn:irsp:0' version='3'>"
               "<field key='name'>Alice</field><field key='password'>longer secret</field>"
               "</modify></iq>"));
    CHECK(r.address == alice);
    CHECK(r.requester == alice);
    CHECK(r.expected_version == 3);
    REQUIRE(r.changes.size() == 2);
    CHECK(r.changes[0] == std::pair<std::string, std::string>{"name", "Alice"});
    CHECK(r.changes[1] == std::pair<std::string, std::string>{"password", "longer secret"});
  }
  SECTION("modify without version accepts any version; an empty modify reaches the server") {
    auto r = expect<account::modify_request>(
      as_alice("<iq type='set' id='m2' to='localhost'><modify xmlns='urn:irsp:0'/></iq>"));
    CHECK(r.expected_version == 0);
    CHECK(r.changes.empty()); // the account server answers no-changes
  }
  SECTION("unknown keys are the account server's to judge") {
    auto r = expect<account::modify_request>(as_alice(
      "<iq type='set' id='m3'><modify xmlns='urn:irsp:0'><field key='colour'>red</field>"
      "</modify></iq>"));
    CHECK(r.changes.at(0).first == "colour");
  }
  SECTION("malformed modify requests") {
    for (auto xml : {"<iq type='set' id='m'><modify xmlns='urn:irsp:0' version='x'/></iq>",
                     "<iq type='set' id='m'><modify xmlns='urn:irsp:0' version='-1'/></iq>",
                     "<iq type='set' id='m'><modify xmlns='urn:irsp:0' "
                     "version='18446744073709551616'/></iq>",
                     "<iq type='set' id='m'><modify xmlns='urn:irsp:0'><field>x</field>"
                     "</modify></iq>",
                     "<iq type='set' id='m'><modify xmlns='urn:irsp:0'><name>x</name>"
                     "</modify></iq>",
                     "<iq type='get' id='m'><modify xmlns='urn:irsp:0'/></iq>"}) {
      INFO(xml);
      expect_error(as_alice(xml), "modify", "bad-request");
    }
  }
  SECTION("the largest version still parses") {
    auto r = expect<account::modify_request>(as_alice(
      "<iq type='set' id='m'><modify xmlns='urn:irsp:0' version='18446744073709551615'/></iq>"));
    CHECK(r.expected_version == UINT64_MAX);
  }
  SECTION("reset-code acts on the session's own account") {
    auto r = expect<account::reset_code_request>(
      parse_client_iq(parse("<iq type='set' id='c1'><reset-code xmlns='urn:irsp:0'/></iq>"),
                      "tv1@localhost", domain));
    CHECK(r.address == "tv1@localhost");
    CHECK(r.requester == "tv1@localhost");
  }
  SECTION("IQs to the account's own bare JID are the server's (RFC 6120 §10.3.3)") {
    auto r = expect<account::reset_code_request>(
      as_alice("<iq type='set' id='c2' to='Alice@LOCALHOST'><reset-code xmlns='urn:irsp:0'/></iq>"));
    CHECK(r.address == alice);
  }
  SECTION("an IQ to one's own full JID is for that session, which IRSP does not relay to") {
    expect_error(as_alice("<iq type='set' id='c3' to='alice@localhost/laptop'>"
                          "<reset-code xmlns='urn:irsp:0'/></iq>"),
                 "cancel", "service-unavailable");
    expect_error(as_alice("<iq type='get' id='c4' to='alice@localhost/phone'>"
                          "<ping xmlns='urn:xmpp:ping'/></iq>"),
                 "cancel", "service-unavailable");
  }
  SECTION("bind-device with a prepared device address") {
    auto r = expect<account::bind_request>(
      as_alice("<iq type='set' id='b1'><bind-device xmlns='urn:irsp:0' "
               "device='TV1@LocalHost/ignored' code='ABCD-EFGH-JKMN'/></iq>"));
    CHECK(r.user == alice);
    CHECK(r.device == "tv1@localhost");
    CHECK(r.code == "ABCD-EFGH-JKMN");
  }
  SECTION("bind-device needs a device account's JID") {
    expect_error(as_alice("<iq type='set' id='b2'><bind-device xmlns='urn:irsp:0' "
                          "code='ABCD-EFGH-JKMN'/></iq>"),
                 "modify", "bad-request");
    expect_error(as_alice("<iq type='set' id='b3'><bind-device xmlns='urn:irsp:0' "
                          "device='localhost' code='ABCD-EFGH-JKMN'/></iq>"),
                 "modify", "jid-malformed");
    expect_error(as_alice("<iq type='set' id='b4'><bind-device xmlns='urn:irsp:0' "
                          "device='a b@localhost' code='x'/></iq>"),
                 "modify", "jid-malformed");
    expect_error(as_alice("<iq type='get' id='b5'><bind-device xmlns='urn:irsp:0' "
                          "device='tv1@localhost' code='x'/></iq>"),
                 "modify", "bad-request");
  }
  SECTION("unbind") {
    auto r = expect<account::unbind_request>(
      as_alice("<iq type='set' id='u1'><unbind xmlns='urn:irsp:0' peer='tv1@localhost'/></iq>"));
    CHECK(r.account == alice);
    CHECK(r.peer == "tv1@localhost");
    expect_error(as_alice("<iq type='set' id='u2'><unbind xmlns='urn:irsp:0'/></iq>"), "modify",
                 "bad-request");
  }
  SECTION("bindings is a get") {
    auto r = expect<bindings_request>(
      as_alice("<iq type='get' id='l1'><bindings xmlns='urn:irsp:0'/></iq>"));
    CHECK(r.account == alice);
    expect_error(as_alice("<iq type='set' id='l2'><bindings xmlns='urn:irsp:0'/></iq>"), "modify",
                 "bad-request");
  }
  SECTION("an IRSP element the server does not know") {
    expect_error(as_alice("<iq type='set' id='x'><teleport xmlns='urn:irsp:0'/></iq>"), "cancel",
                 "feature-not-implemented");
  }
  SECTION("XEP-0199 ping") {
    expect<ping_request>(as_alice("<iq type='get' id='ping1' to='localhost'>"
                                  "<ping xmlns='urn:xmpp:ping'/></iq>"));
  }
}

TEST_CASE("§8.3.1 upload by IQ to an application", "[xmpp_mapping][iq]") {
  SECTION("the payload and the application's name") {
    auto r = expect<message::upload_request>(
      as_alice("<iq type='set' to='echo@apps.localhost' id='u1'>"
               "<upload xmlns='urn:irsp:0'>PAYLOAD TEXT &amp; more</upload></iq>"));
    CHECK(r.from == alice);
    CHECK(r.application == "echo");
    CHECK(r.payload == "PAYLOAD TEXT & more");
  }
  SECTION("application names compare as prepared localparts, resources are ignored") {
    auto r = expect<message::upload_request>(
      as_alice("<iq type='set' to='Echo@APPS.localhost/x' id='u2'>"
               "<upload xmlns='urn:irsp:0'>p</upload></iq>"));
    CHECK(r.application == "echo");
  }
  SECTION("another domain's application keeps its full address, for the router's AS link") {
    auto r = expect<message::upload_request>(
      as_alice("<iq type='set' to='Echo@Apps.Example.org' id='u4'>"
               "<upload xmlns='urn:irsp:0'>p</upload></iq>"));
    CHECK(r.application == "echo@apps.example.org");
  }
  SECTION("an empty payload is an upload too") {
    auto r = expect<message::upload_request>(as_alice(
      "<iq type='set' to='echo@apps.localhost' id='u3'><upload xmlns='urn:irsp:0'/></iq>"));
    CHECK(r.payload.empty());
  }
  SECTION("refusals") {
    expect_error(as_alice("<iq type='get' to='echo@apps.localhost' id='u'>"
                          "<upload xmlns='urn:irsp:0'>p</upload></iq>"),
                 "modify", "bad-request");
    expect_error(as_alice("<iq type='set' to='echo@apps.localhost' id='u'>"
                          "<upload xmlns='urn:irsp:0'><b>p</b></upload></iq>"),
                 "modify", "bad-request");
    expect_error(as_alice("<iq type='set' to='echo@apps.localhost' id='u'>"
                          "<modify xmlns='urn:irsp:0'/></iq>"),
                 "cancel", "service-unavailable");
    expect_error(as_alice("<iq type='get' to='echo@apps.localhost' id='u'>"
                          "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>"),
                 "cancel", "service-unavailable");
    expect_error(as_alice("<iq type='set' id='u'><upload xmlns='urn:irsp:0'>p</upload></iq>"),
                 "modify", "bad-request");
  }
}

TEST_CASE("RFC 6120 §8.2.3 IQ semantics", "[xmpp_mapping][iq]") {
  SECTION("results and errors are never answered") {
    expect<ignored_stanza>(as_alice("<iq type='result' id='s1'/>"));
    expect<ignored_stanza>(as_alice("<iq type='error' id='s2'><error type='cancel'>"
                                    "<service-unavailable "
                                    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                                    "</error></iq>"));
  }
  SECTION("a type other than get, set, result, error") {
    expect_error(as_alice("<iq type='put' id='x'><bindings xmlns='urn:irsp:0'/></iq>"), "modify",
                 "bad-request");
    expect_error(as_alice("<iq id='x'><bindings xmlns='urn:irsp:0'/></iq>"), "modify",
                 "bad-request");
  }
  SECTION("an id is required") {
    expect_error(as_alice("<iq type='get'><bindings xmlns='urn:irsp:0'/></iq>"), "modify",
                 "bad-request");
    expect_error(as_alice("<iq type='get' id=''><bindings xmlns='urn:irsp:0'/></iq>"), "modify",
                 "bad-request");
  }
  SECTION("exactly one child element") {
    expect_error(as_alice("<iq type='get' id='x'/>"), "modify", "bad-request");
    expect_error(as_alice("<iq type='get' id='x'><bindings xmlns='urn:irsp:0'/>"
                          "<bindings xmlns='urn:irsp:0'/></iq>"),
                 "modify", "bad-request");
  }
  SECTION("whitespace around the child is not a child") {
    expect<bindings_request>(as_alice("<iq type='get' id='x'>\n  <bindings xmlns='urn:irsp:0'/>\n"
                                      "</iq>"));
  }
  SECTION("an unknown namespace is service-unavailable") {
    expect_error(as_alice("<iq type='get' id='x'><query xmlns='jabber:iq:roster'/></iq>"),
                 "cancel", "service-unavailable");
  }
  SECTION("IQs to other accounts are not relayed") {
    expect_error(as_alice("<iq type='get' id='x' to='tv1@localhost'>"
                          "<bindings xmlns='urn:irsp:0'/></iq>"),
                 "cancel", "service-unavailable");
    expect_error(as_alice("<iq type='get' id='x' to='tv1@localhost/res'>"
                          "<ping xmlns='urn:xmpp:ping'/></iq>"),
                 "cancel", "service-unavailable");
    expect_error(as_alice("<iq type='get' id='x' to='example.org'>"
                          "<ping xmlns='urn:xmpp:ping'/></iq>"),
                 "cancel", "service-unavailable");
  }
  SECTION("a malformed 'to'") {
    for (auto to : {"@localhost", "alice@", "alice@localhost/", "a@b@localhost"}) {
      INFO(to);
      expect_error(as_alice(std::string{"<iq type='get' id='x' to='"} + to
                            + "'><bindings xmlns='urn:irsp:0'/></iq>"),
                   "modify", "jid-malformed");
    }
  }
  SECTION("the IQ's own from is not trusted") {
    auto r = expect<account::delete_request>(
      as_alice("<iq type='set' id='d' from='bob@localhost/x'>"
               "<query xmlns='jabber:iq:register'><remove/></query></iq>"));
    CHECK(r.address == alice);
  }
}
