// RFC 6120 §8, XEP-0077, IRSP §8.2-8.3: libFuzzer target for the stanza mapping
// (node/xmpp/stanza_mapping.hpp). Fuzzer-made stanzas go through the XML codec into
// parse_client_iq / parse_client_message, as a client's would; every request is answered
// with every status of its exchange, and every stanza the server would send must parse back
// unchanged, answer the request's id, and carry a well-formed error where it is one. A
// session's requests must speak only for the session's own account, and before
// authentication nothing but registration may come out.
//
// Input: byte 0 flags (bit 0: the session is authenticated as alice@localhost), bytes 1-8 a
// number used for timestamps and counters, then the stanzas as a client sends them after
// its stream header.
#include "fuzz_check.hpp"

#include "node/xmpp/stanza_mapping.hpp"
#include "node/xmpp/xml/xml_stream.hpp"
#include "schema/enum_names.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

using namespace irsp;
using namespace irsp::xmpp;
using irsp::fuzz::check;

namespace {

const std::string domain = "localhost";
const std::string alice = "alice@localhost";

constexpr std::string_view client_header
  = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams'>";

std::vector<xml_event> parse(std::string_view doc) {
  // One parser, restarted for each document: a new one per built stanza
  // would cost more than the mapping under test.
  static xml_stream s;
  s.restart();
  s.feed(doc);
  std::vector<xml_event> out;
  while (auto ev = s.next())
    out.push_back(std::move(*ev));
  return out;
}

bool is_error_type(std::string_view t) {
  return t == "auth" || t == "cancel" || t == "continue" || t == "modify" || t == "wait";
}

// What the server sends must be XML its peer can read back exactly, and an
// answer must match the question.
void check_sent(const element& sent, const element* request) {
  std::string doc{client_header};
  append_xml(doc, sent);
  const auto events = parse(doc);
  check(events.size() == 2, "a built stanza parses as one element");
  const auto* back = std::get_if<element>(&events[1]);
  check(back != nullptr && *back == sent, "a built stanza parses back unchanged");
  if (request == nullptr)
    return;
  check(sent.name() == request->name(), "an answer has the request's name");
  check(sent.attr("id") == request->attr("id"), "an answer carries the request's id");
  const auto type = sent.attr("type");
  check(type == "result" || type == "error", "an answer is a result or an error");
  if (type != "error")
    return;
  const auto* error = sent.child("error");
  check(error != nullptr, "an error answer has <error/>");
  check(is_error_type(error->attr("type")), "<error/> has a defined type");
  const element* condition = nullptr;
  for (const auto& node : error->children())
    if (const auto* e = std::get_if<element>(&node)) {
      condition = e;
      break;
    }
  check(condition != nullptr && condition->xmlns() == ns_stanzas,
        "<error/> starts with a defined condition");
}

// Every status of the schema's enum, and one it does not know (a newer
// peer's).
template <class Status>
std::vector<Status> statuses() {
  std::vector<Status> out;
  for (const auto& [s, name] : schema::all_enumerants<Status>())
    out.push_back(s);
  out.push_back(static_cast<Status>(999));
  return out;
}

struct context {
  const element& stanza;
  const std::string& self;
  std::int64_t number;
};

void answer(const context& c, const stanza_error& e) {
  check(!e.type.empty() && !e.condition.empty(), "a parse error names its condition");
  check_sent(build_error(c.stanza, e), &c.stanza);
}

void answer(const context&, const ignored_stanza&) {
}

void answer(const context& c, const registration_form_request& r) {
  check_sent(build_registration_form(c.stanza, r), &c.stanza);
}

void answer(const context& c, const account::register_request& r) {
  check(c.self.empty(), "registration only before authentication");
  check(!r.requester.empty(), "a client's registration names a requester");
  for (auto s : statuses<account::register_status>())
    check_sent(build_reply(c.stanza, account::register_response{s, r.requester, r.password}),
               &c.stanza);
}

void answer(const context& c, const account::modify_request& r) {
  check(r.requester == c.self, "a modification is requested by the session's account");
  for (auto s : statuses<account::modify_status>())
    check_sent(build_reply(c.stanza, account::modify_response{s, r.expected_version}),
               &c.stanza);
}

void answer(const context& c, const account::delete_request& r) {
  check(r.address == c.self && r.requester == c.self, "an account deletes only itself");
  for (auto s : statuses<account::delete_status>())
    check_sent(build_reply(c.stanza, account::delete_response{s, {r.address}}), &c.stanza);
}

void answer(const context& c, const account::reset_code_request& r) {
  check(r.address == c.self && r.requester == c.self, "an account resets only its own code");
  for (auto s : statuses<account::reset_code_status>())
    check_sent(build_reply(c.stanza, account::reset_code_response{s, "ABCD-EFGH-JKMN", {}}),
               &c.stanza);
}

void answer(const context& c, const account::bind_request& r) {
  check(r.user == c.self, "a user binds only for itself");
  check(r.device.find('@') != std::string::npos, "a device to bind is an account address");
  for (auto s : statuses<message::bind_status>())
    check_sent(build_reply(c.stanza, s), &c.stanza);
}

void answer(const context& c, const account::unbind_request& r) {
  check(r.account == c.self, "an account unbinds only its own bindings");
  for (auto s : statuses<message::unbind_status>())
    check_sent(build_reply(c.stanza, s), &c.stanza);
}

void answer(const context& c, const bindings_request& r) {
  check(r.account == c.self, "an account lists only its own bindings");
  check_sent(build_bindings(c.stanza, {}), &c.stanza);
  check_sent(build_bindings(c.stanza, {r.account, "tv@localhost"}), &c.stanza);
}

void answer(const context& c, const ping_request&) {
  check_sent(build_empty_result(c.stanza), &c.stanza);
}

// Uploads by IQ and by message, and user<->device messages.
void answer(const context& c, const message::upload_request& r) {
  check(r.from == c.self, "an upload comes from the session's account");
  for (auto s : statuses<message::upload_status>()) {
    message::upload_response response{s, r.payload};
    if (c.stanza.name() == "iq") {
      check_sent(build_reply(c.stanza, response), &c.stanza);
    } else if (auto reply = build_message_reply(c.stanza, response)) {
      check(reply->attr("type") == "error", "a message is answered only with an error");
      check_sent(*reply, nullptr);
    }
  }
  // The application's push back, live and from the offline queue.
  message::delivery push{message::delivery_kind::PUSH, r.application, r.payload, 0};
  check_sent(build_delivery(push, c.self, domain, c.stanza.attr("id")), nullptr);
  push.stored_ms = c.number;
  check_sent(build_delivery(push, c.self, domain), nullptr);
}

void answer(const context& c, const message::direct_request& r) {
  check(r.from == c.self, "a message comes from the session's account");
  for (auto s : statuses<message::direct_status>())
    if (auto reply = build_message_reply(c.stanza, message::direct_response{s, 0})) {
      check(reply->attr("type") == "error", "a message is answered only with an error");
      check_sent(*reply, nullptr);
    }
  message::delivery chat{message::delivery_kind::DIRECT, r.from, r.payload, c.number};
  check_sent(build_delivery(chat, r.to, domain, c.stanza.attr("id")), nullptr);
}

void handle(const element& stanza, const std::string& self, std::int64_t number) {
  const context c{stanza, self, number};
  if (stanza.name() == "iq") {
    auto request = parse_client_iq(stanza, self, domain);
    if (self.empty())
      check(std::holds_alternative<stanza_error>(request)
              || std::holds_alternative<ignored_stanza>(request)
              || std::holds_alternative<registration_form_request>(request)
              || std::holds_alternative<account::register_request>(request),
            "nothing but registration before authentication");
    std::visit([&](const auto& r) { answer(c, r); }, request);
    // The server's own ping (issue 15), with whatever id and address.
    check_sent(build_server_ping(stanza.attr("id"), domain, stanza.attr("to")), nullptr);
  } else if (stanza.name() == "message") {
    auto request = parse_client_message(stanza, self, domain);
    std::visit([&](const auto& r) { answer(c, r); }, request);
  } else if (stanza.name() == "presence") {
    message::presence_event event;
    event.address = std::string{stanza.attr("to")};
    // Any state, also one this build does not name (a newer node's).
    event.state = stanza.attr("type") == "unavailable"
                    ? message::lifecycle_state::OFFLINE
                    : static_cast<message::lifecycle_state>(1 + (number & 3));
    event.epoch = static_cast<std::uint64_t>(number);
    event.sequence = static_cast<std::uint64_t>(number) >> 7;
    event.at_ms = number;
    const auto sent = build_presence(event, self);
    check_sent(sent, nullptr);
    const auto* state = sent.child("state", ns_irsp);
    check(state != nullptr, "presence names its state");
    check((sent.attr("type") == "unavailable") == (state->text() == "offline"),
          "offline, and only offline, is unavailable");
    check((sent.child("show") != nullptr) == (state->text() == "suspect"),
          "suspect, and only suspect, shows as away");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9)
    return 0;
  const std::string self = (data[0] & 1) != 0 ? alice : std::string{};
  std::int64_t number;
  std::memcpy(&number, data + 1, sizeof number);
  std::string doc{client_header};
  doc.append(reinterpret_cast<const char*>(data) + 9, size - 9);
  for (const auto& ev : parse(doc))
    if (const auto* stanza = std::get_if<element>(&ev))
      handle(*stanza, self, number);
  return 0;
}
