// RFC 6121 §5, IRSP §8.3.1: client messages -> uploads and user<->device messages
#include "mapping_test_support.hpp"

using namespace irsp;
using namespace irsp::xmpp;
using mapping_test::parse;

namespace {

const std::string domain = "localhost";
const std::string alice = "alice@localhost";

client_message from_alice(std::string_view xml) {
  return parse_client_message(parse(xml), alice, domain);
}

void expect_error(const client_message& v, std::string_view type, std::string_view condition) {
  auto* e = std::get_if<stanza_error>(&v);
  REQUIRE(e != nullptr);
  INFO(e->text);
  CHECK(e->type == type);
  CHECK(e->condition == condition);
}

} // namespace

TEST_CASE("a message to an application is an upload without reply", "[xmpp_mapping][message]") {
  auto v = from_alice("<message to='echo@apps.localhost' id='m1'><body>hello</body></message>");
  REQUIRE(std::holds_alternative<message::upload_request>(v));
  auto r = std::get<message::upload_request>(v);
  CHECK(r.from == alice);
  CHECK(r.application == "echo");
  CHECK(r.payload == "hello");
  // Another domain's: the full address, for the router's AS link (or unknown-domain).
  auto w = from_alice("<message to='echo@apps.example.org'><body>x</body></message>");
  REQUIRE(std::holds_alternative<message::upload_request>(w));
  CHECK(std::get<message::upload_request>(w).application == "echo@apps.example.org");
}

TEST_CASE("a chat message to an account is a user<->device message", "[xmpp_mapping][message]") {
  SECTION("to the bare JID") {
    auto v = from_alice("<message type='chat' to='tv1@localhost'><body>power on</body></message>");
    REQUIRE(std::holds_alternative<message::direct_request>(v));
    auto r = std::get<message::direct_request>(v);
    CHECK(r.from == alice);
    CHECK(r.to == "tv1@localhost");
    CHECK(r.payload == "power on");
  }
  SECTION("to the bare JID: the account, whatever the type") {
    for (auto type : {"chat", "normal", "headline", "groupchat"}) {
      auto v = from_alice(std::string{"<message type='"} + type
                          + "' to='tv1@localhost'><body>x</body></message>");
      REQUIRE(std::holds_alternative<message::direct_request>(v));
      CHECK(std::get<message::direct_request>(v).resource.empty());
    }
  }
  SECTION("a full JID addresses that session; its resource is kept as sent") {
    auto v = from_alice("<message type='chat' to='TV1@localhost/Living Room'><body>x</body>"
                        "<body xml:lang='de'>y</body></message>");
    REQUIRE(std::holds_alternative<message::direct_request>(v));
    auto r = std::get<message::direct_request>(v);
    CHECK(r.to == "tv1@localhost");
    CHECK(r.resource == "Living Room");
    CHECK(r.payload == "x");
  }
  SECTION("another domain's account is the router's to reach or refuse") {
    auto v = from_alice("<message type='chat' to='cam@example.org'><body>x</body></message>");
    REQUIRE(std::holds_alternative<message::direct_request>(v));
    CHECK(std::get<message::direct_request>(v).to == "cam@example.org");
  }
}

TEST_CASE("the type of a message to a full JID says where it goes if that session is not "
          "there (RFC 6121 §8.5.3.2.1)",
          "[xmpp_mapping][message]") {
  auto if_absent = [](std::string_view type_attr) {
    auto v = from_alice("<message " + std::string{type_attr}
                        + " to='tv1@localhost/living'><body>x</body></message>");
    REQUIRE(std::holds_alternative<message::direct_request>(v));
    return std::get<message::direct_request>(v).if_absent;
  };
  CHECK(if_absent("type='chat'") == message::absent_resource::TO_ACCOUNT);
  CHECK(if_absent("type='normal'") == message::absent_resource::REFUSE);
  CHECK(if_absent("") == message::absent_resource::REFUSE); // RFC 6121 §5.2.2: normal
  CHECK(if_absent("type='groupchat'") == message::absent_resource::REFUSE);
  CHECK(if_absent("type='headline'") == message::absent_resource::REFUSE);
  CHECK(if_absent("type='nonsense'") == message::absent_resource::REFUSE);
}

TEST_CASE("messages that carry nothing are dropped silently", "[xmpp_mapping][message]") {
  CHECK(std::holds_alternative<ignored_stanza>(from_alice(
    "<message type='error' to='tv1@localhost'><body>x</body><error type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")));
  CHECK(std::holds_alternative<ignored_stanza>(
    from_alice("<message type='chat' to='tv1@localhost'>"
               "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>")));
  CHECK(std::holds_alternative<ignored_stanza>(
    from_alice("<message to='tv1@localhost'><body xmlns='urn:other'>x</body></message>")));
}

TEST_CASE("a message to one's own bare JID goes to one's own sessions", "[xmpp_mapping][message]") {
  auto v = from_alice("<message type='chat' to='Alice@localhost'><body>note</body></message>");
  REQUIRE(std::holds_alternative<message::direct_request>(v));
  auto r = std::get<message::direct_request>(v);
  CHECK(r.from == alice);
  CHECK(r.to == alice);
  CHECK(r.resource.empty());
  CHECK(r.payload == "note");
}

TEST_CASE("a message to one's own full JID is for that one session", "[xmpp_mapping][message]") {
  auto v = from_alice("<message to='alice@LOCALHOST/laptop'><body>note</body></message>");
  REQUIRE(std::holds_alternative<message::direct_request>(v));
  auto r = std::get<message::direct_request>(v);
  CHECK(r.from == alice);
  CHECK(r.to == alice);
  CHECK(r.resource == "laptop");
  CHECK(r.if_absent == message::absent_resource::REFUSE);
}

TEST_CASE("messages IRSP cannot take are refused", "[xmpp_mapping][message]") {
  expect_error(from_alice("<message><body>x</body></message>"), "cancel", "service-unavailable");
  expect_error(from_alice("<message to='localhost'><body>x</body></message>"), "cancel",
               "service-unavailable");
  expect_error(from_alice("<message to='apps.localhost'><body>x</body></message>"), "cancel",
               "service-unavailable");
  expect_error(from_alice("<message to='a@b@localhost'><body>x</body></message>"), "modify",
               "jid-malformed");
}
