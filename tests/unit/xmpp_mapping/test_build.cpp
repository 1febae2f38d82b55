// RFC 6120 §8.2-8.3, XEP-0077, XEP-0203, IRSP §8.2-8.3: responses -> stanzas
#include "mapping_test_support.hpp"

using namespace irsp;
using namespace irsp::xmpp;
using mapping_test::check_xml;
using mapping_test::parse;

namespace {

// What the c2s connection hands over: the client's IQ with `from` stamped.
element iq(std::string_view id, std::string_view to = {}) {
  std::string xml = "<iq type='set' id='" + std::string{id} + "' from='alice@localhost/phone'";
  if (!to.empty())
    xml += " to='" + std::string{to} + "'";
  return parse(xml + "><x xmlns='urn:irsp:0'/></iq>");
}

} // namespace

TEST_CASE("errors: defined condition, text, then the IRSP status", "[xmpp_mapping][build]") {
  SECTION("a parse error has no status") {
    check_xml(build_error(iq("e1", "localhost"), {"modify", "bad-request", "no id", ""}),
              "<iq type='error' id='e1' from='localhost' to='alice@localhost/phone'>"
              "<error type='modify'>"
              "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no id</text>"
              "</error></iq>");
  }
  SECTION("no to, no from: the server answers for the account") {
    auto request = parse("<iq type='get' id='e2'><x xmlns='urn:other'/></iq>");
    check_xml(build_error(request, {"cancel", "service-unavailable", "", ""}),
              "<iq type='error' id='e2'><error type='cancel'>"
              "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "</error></iq>");
  }
  SECTION("a message error stays a message") {
    auto request = parse("<message to='echo@apps.localhost' from='alice@localhost/phone' id='m'>"
                         "<body>x</body></message>");
    check_xml(build_error(request, {"cancel", "item-not-found", "", "no-such-application"}),
              "<message type='error' id='m' from='echo@apps.localhost' "
              "to='alice@localhost/phone'><error type='cancel'>"
              "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='no-such-application'/>"
              "</error></message>");
  }
}

TEST_CASE("XEP-0077 registration form", "[xmpp_mapping][build]") {
  auto get = parse("<iq type='get' id='f1' from='x'><query xmlns='jabber:iq:register'/></iq>");
  SECTION("before authentication: every field, IRSP's included") {
    auto form = build_registration_form(get, {});
    const auto* query = form.child("query", ns_register);
    REQUIRE(query);
    CHECK(form.attr("type") == "result");
    CHECK(form.attr("id") == "f1");
    CHECK(form.attr("to") == "x");
    CHECK_FALSE(query->child("instructions")->text().empty());
    CHECK(query->child("username"));
    CHECK(query->child("password"));
    CHECK(query->child("name"));
    CHECK(query->child("kind", ns_irsp));
    REQUIRE(query->child("device", ns_irsp));
    CHECK(query->child("device", ns_irsp)->has_attr("model"));
    CHECK(query->child("device", ns_irsp)->has_attr("manufacturer"));
    CHECK(query->child("device", ns_irsp)->has_attr("serial"));
    CHECK_FALSE(query->child("registered"));
  }
  SECTION("after: registered, with the username") {
    check_xml(build_registration_form(get, {"alice"}),
              "<iq type='result' id='f1' to='x'><query xmlns='jabber:iq:register'>"
              "<registered/><username>alice</username></query></iq>");
  }
}

TEST_CASE("§8.2 account replies", "[xmpp_mapping][build]") {
  SECTION("a device's registration returns its code once") {
    account::register_response r{account::register_status::OK, "tv1@localhost",
                                 "ABCD-EFGH-JKMN"};
    check_xml(build_reply(iq("r1", "localhost"), r),
              "<iq type='result' id='r1' from='localhost' to='alice@localhost/phone'>"
              "<status xmlns='urn:irsp:0' code='ok'><code>ABCD-EFGH-JKMN</code></status></iq>");
  }
  SECTION("a user's registration has no code") {
    account::register_response r{account::register_status::OK, "bob@localhost", ""};
    check_xml(build_reply(iq("r2"), r),
              "<iq type='result' id='r2' to='alice@localhost/phone'>"
              "<status xmlns='urn:irsp:0' code='ok'/></iq>");
  }
  SECTION("a taken name") {
    account::register_response r{account::register_status::EXISTS, "", ""};
    check_xml(build_reply(iq("r3"), r),
              "<iq type='error' id='r3' to='alice@localhost/phone'><error type='cancel'>"
              "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='exists'/></error></iq>");
  }
  SECTION("closed registration") {
    account::register_response r{account::register_status::NOT_ALLOWED, "", ""};
    check_xml(build_reply(iq("r4"), r),
              "<iq type='error' id='r4' to='alice@localhost/phone'><error type='cancel'>"
              "<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='not-allowed'/></error></iq>");
  }
  SECTION("modify returns the new version") {
    check_xml(build_reply(iq("m1"), account::modify_response{account::modify_status::OK, 4}),
              "<iq type='result' id='m1' to='alice@localhost/phone'>"
              "<status xmlns='urn:irsp:0' code='ok' version='4'/></iq>");
  }
  SECTION("a version conflict returns the stored version to retry from") {
    check_xml(build_reply(iq("m2"),
                          account::modify_response{account::modify_status::VERSION_CONFLICT, 7}),
              "<iq type='error' id='m2' to='alice@localhost/phone'><error type='cancel'>"
              "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='version-conflict' version='7'/></error></iq>");
  }
  SECTION("modify refused for another account") {
    check_xml(build_reply(iq("m3"), account::modify_response{account::modify_status::NOT_ALLOWED, 0}),
              "<iq type='error' id='m3' to='alice@localhost/phone'><error type='auth'>"
              "<forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='not-allowed'/></error></iq>");
  }
  SECTION("delete") {
    check_xml(build_reply(iq("d1"), account::delete_response{account::delete_status::OK, {"tv1"}}),
              "<iq type='result' id='d1' to='alice@localhost/phone'>"
              "<status xmlns='urn:irsp:0' code='ok'/></iq>");
    check_xml(build_reply(iq("d2"), account::delete_response{
                                      account::delete_status::STORAGE_FAILURE, {}}),
              "<iq type='error' id='d2' to='alice@localhost/phone'><error type='wait'>"
              "<internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='storage-failure'/></error></iq>");
  }
  SECTION("reset-code") {
    check_xml(build_reply(iq("c1"), account::reset_code_response{account::reset_code_status::OK,
                                                                 "QRST-VWXY-Z012", {}}),
              "<iq type='result' id='c1' to='alice@localhost/phone'>"
              "<status xmlns='urn:irsp:0' code='ok'><code>QRST-VWXY-Z012</code></status></iq>");
    check_xml(build_reply(iq("c2"), account::reset_code_response{
                                      account::reset_code_status::NOT_A_DEVICE, "", {}}),
              "<iq type='error' id='c2' to='alice@localhost/phone'><error type='modify'>"
              "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='not-a-device'/></error></iq>");
  }
}

TEST_CASE("binding replies", "[xmpp_mapping][build]") {
  check_xml(build_reply(iq("b1"), message::bind_status::OK),
            "<iq type='result' id='b1' to='alice@localhost/phone'>"
            "<status xmlns='urn:irsp:0' code='ok'/></iq>");
  check_xml(build_reply(iq("b2"), message::bind_status::WRONG_CODE),
            "<iq type='error' id='b2' to='alice@localhost/phone'><error type='auth'>"
            "<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<status xmlns='urn:irsp:0' code='wrong-code'/></error></iq>");
  check_xml(build_reply(iq("b3"), message::bind_status::TOO_MANY_ATTEMPTS),
            "<iq type='error' id='b3' to='alice@localhost/phone'><error type='wait'>"
            "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<status xmlns='urn:irsp:0' code='too-many-attempts'/></error></iq>");
  check_xml(build_reply(iq("u1"), message::unbind_status::NOT_BOUND),
            "<iq type='error' id='u1' to='alice@localhost/phone'><error type='cancel'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<status xmlns='urn:irsp:0' code='not-bound'/></error></iq>");
  check_xml(build_bindings(iq("l1"), {"tv1@localhost", "cam@localhost"}),
            "<iq type='result' id='l1' to='alice@localhost/phone'>"
            "<bindings xmlns='urn:irsp:0'><peer jid='tv1@localhost'/><peer jid='cam@localhost'/>"
            "</bindings></iq>");
  check_xml(build_bindings(iq("l2"), {}),
            "<iq type='result' id='l2' to='alice@localhost/phone'>"
            "<bindings xmlns='urn:irsp:0'/></iq>");
  check_xml(build_empty_result(iq("p1", "localhost")),
            "<iq type='result' id='p1' from='localhost' to='alice@localhost/phone'/>");
}

TEST_CASE("§8.3.1 upload replies", "[xmpp_mapping][build]") {
  SECTION("by IQ: accepted, with and without the application's reply") {
    check_xml(build_reply(iq("u1", "echo@apps.localhost"),
                          message::upload_response{message::upload_status::ACCEPTED, "PONG"}),
              "<iq type='result' id='u1' from='echo@apps.localhost' to='alice@localhost/phone'>"
              "<status xmlns='urn:irsp:0' code='accepted'><reply>PONG</reply></status></iq>");
    check_xml(build_reply(iq("u2", "echo@apps.localhost"),
                          message::upload_response{message::upload_status::ACCEPTED, ""}),
              "<iq type='result' id='u2' from='echo@apps.localhost' to='alice@localhost/phone'>"
              "<status xmlns='urn:irsp:0' code='accepted'/></iq>");
  }
  SECTION("by IQ: a busy application") {
    check_xml(build_reply(iq("u3", "echo@apps.localhost"),
                          message::upload_response{message::upload_status::APPLICATION_BUSY, ""}),
              "<iq type='error' id='u3' from='echo@apps.localhost' to='alice@localhost/phone'>"
              "<error type='wait'>"
              "<resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='application-busy'/></error></iq>");
  }
  SECTION("by message: silence on success, a message error on failure") {
    auto msg = parse("<message to='echo@apps.localhost' from='alice@localhost/phone' id='m1'>"
                     "<body>x</body></message>");
    CHECK_FALSE(build_message_reply(
      msg, message::upload_response{message::upload_status::ACCEPTED, "ignored reply"}));
    auto error = build_message_reply(
      msg, message::upload_response{message::upload_status::PAYLOAD_TOO_LARGE, ""});
    REQUIRE(error);
    check_xml(*error,
              "<message type='error' id='m1' from='echo@apps.localhost' "
              "to='alice@localhost/phone'><error type='modify'>"
              "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<status xmlns='urn:irsp:0' code='payload-too-large'/></error></message>");
  }
}

TEST_CASE("user<->device message replies", "[xmpp_mapping][build]") {
  auto msg = parse("<message type='chat' to='tv1@localhost' from='alice@localhost/phone'>"
                   "<body>x</body></message>");
  CHECK_FALSE(build_message_reply(msg, message::direct_response{message::direct_status::DELIVERED, 2}));
  CHECK_FALSE(build_message_reply(msg, message::direct_response{message::direct_status::QUEUED, 0}));
  auto error = build_message_reply(msg, message::direct_response{message::direct_status::NOT_ALLOWED, 0});
  REQUIRE(error);
  check_xml(*error,
            "<message type='error' from='tv1@localhost' to='alice@localhost/phone'>"
            "<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<status xmlns='urn:irsp:0' code='not-allowed'/></error></message>");
}

TEST_CASE("a message for a session that is not there comes back service-unavailable from "
          "its full JID (RFC 6121 §8.5.3.2.1)",
          "[xmpp_mapping][build]") {
  auto msg = parse("<message to='tv1@localhost/living' id='n1' from='alice@localhost/phone'>"
                   "<body>x</body></message>");
  auto error = build_message_reply(
    msg, message::direct_response{message::direct_status::NO_SUCH_RESOURCE, 0});
  REQUIRE(error);
  check_xml(*error,
            "<message type='error' id='n1' from='tv1@localhost/living' "
            "to='alice@localhost/phone'><error type='cancel'>"
            "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<status xmlns='urn:irsp:0' code='no-such-resource'/></error></message>");
}

TEST_CASE("§8.3.3 pushes and user<->device messages reach the client", "[xmpp_mapping][build]") {
  SECTION("a live push from an application named by its name") {
    message::delivery d{message::delivery_kind::PUSH, "echo", "PAYLOAD", 0};
    check_xml(build_delivery(d, "alice@localhost/res", "localhost", "p1"),
              "<message from='echo@apps.localhost' to='alice@localhost/res' type='normal' "
              "id='p1'><push xmlns='urn:irsp:0'>PAYLOAD</push></message>");
  }
  SECTION("a push from the offline queue carries XEP-0203 delay") {
    message::delivery d{message::delivery_kind::PUSH, "echo@apps.localhost", "P", 1795618800000};
    check_xml(build_delivery(d, "alice@localhost/res", "localhost"),
              "<message from='echo@apps.localhost' to='alice@localhost/res' type='normal'>"
              "<push xmlns='urn:irsp:0'>P</push>"
              "<delay xmlns='urn:xmpp:delay' from='localhost' stamp='2026-11-25T15:00:00.000Z'/>"
              "</message>");
  }
  SECTION("a user<->device message is a chat with a body") {
    message::delivery d{message::delivery_kind::DIRECT, "tv1@localhost", "on", 0};
    check_xml(build_delivery(d, "alice@localhost/res", "localhost", "d1"),
              "<message from='tv1@localhost' to='alice@localhost/res' type='chat' id='d1'>"
              "<body>on</body></message>");
    d.stored_ms = 951868799999;
    check_xml(build_delivery(d, "alice@localhost/res", "localhost", "d2"),
              "<message from='tv1@localhost' to='alice@localhost/res' type='chat' id='d2'>"
              "<body>on</body>"
              "<delay xmlns='urn:xmpp:delay' from='localhost' stamp='2000-02-29T23:59:59.999Z'/>"
              "</message>");
  }
}

TEST_CASE("§8.3.2 online, suspect and offline as presence", "[xmpp_mapping][build]") {
  message::presence_event ev;
  ev.address = "tv1@localhost";
  ev.state = message::lifecycle_state::ONLINE;
  ev.epoch = 3;
  ev.sequence = 12;
  ev.at_ms = 1735603200001;
  check_xml(build_presence(ev),
            "<presence from='tv1@localhost'><transition xmlns='urn:irsp:0' epoch='3' "
            "sequence='12' at='2024-12-31T00:00:00.001Z'/>"
            "<state xmlns='urn:irsp:0'>online</state></presence>");
  // Suspect is available (a stock client shows it as away, not gone).
  ev.state = message::lifecycle_state::SUSPECT;
  ev.sequence = 13;
  check_xml(build_presence(ev, "alice@localhost/phone"),
            "<presence from='tv1@localhost' to='alice@localhost/phone'><show>xa</show>"
            "<transition xmlns='urn:irsp:0' epoch='3' sequence='13' "
            "at='2024-12-31T00:00:00.001Z'/><state xmlns='urn:irsp:0'>suspect</state>"
            "</presence>");
  ev.state = message::lifecycle_state::OFFLINE;
  ev.sequence = 14;
  check_xml(build_presence(ev, "alice@localhost/phone"),
            "<presence from='tv1@localhost' to='alice@localhost/phone' type='unavailable'>"
            "<transition xmlns='urn:irsp:0' epoch='3' sequence='14' "
            "at='2024-12-31T00:00:00.001Z'/><state xmlns='urn:irsp:0'>offline</state>"
            "</presence>");
}

TEST_CASE("XEP-0199 §4.2 the server's ping to a session", "[xmpp_mapping][build]") {
  check_xml(build_server_ping("ping-7", "localhost", "tv1@localhost/kitchen"),
            "<iq type='get' id='ping-7' from='localhost' to='tv1@localhost/kitchen'>"
            "<ping xmlns='urn:xmpp:ping'/></iq>");
}

TEST_CASE("XEP-0082 timestamps", "[xmpp_mapping][build]") {
  CHECK(format_timestamp(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_timestamp(1795618800000) == "2026-11-25T15:00:00.000Z");
  CHECK(format_timestamp(951868799999) == "2000-02-29T23:59:59.999Z");
  CHECK(format_timestamp(951868800000) == "2000-03-01T00:00:00.000Z");
  CHECK(format_timestamp(4107542400000) == "2100-03-01T00:00:00.000Z");
  CHECK(format_timestamp(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(application_address("echo", "localhost") == "echo@apps.localhost");
}
