// RFC 6120 §8, RFC 6121 §4-5, XEP-0077, XEP-0203, IRSP §8.2-8.3: stanzas <-> exchanges
#include "node/xmpp/stanza_mapping.hpp"

#include <cstdio>

#include "actors/account/name_rules.hpp"
#include "schema/enum_names.hpp"

namespace irsp::xmpp {

namespace {

// ---- status -> defined condition -------------------------------------------

// The conditions IRSP uses, each with the error type RFC 6120 §8.3.3 suggests
// for it (or the one that tells a client correctly whether retrying helps).
constexpr stanza_condition bad_request{"modify", "bad-request"};
constexpr stanza_condition conflict{"cancel", "conflict"};
constexpr stanza_condition forbidden{"auth", "forbidden"};
constexpr stanza_condition internal_error{"wait", "internal-server-error"};
constexpr stanza_condition item_not_found{"cancel", "item-not-found"};
constexpr stanza_condition jid_malformed{"modify", "jid-malformed"};
constexpr stanza_condition not_acceptable{"modify", "not-acceptable"};
constexpr stanza_condition not_allowed{"cancel", "not-allowed"};
constexpr stanza_condition not_authorized{"auth", "not-authorized"};
constexpr stanza_condition too_large{"modify", "policy-violation"};
constexpr stanza_condition rate_limited{"wait", "policy-violation"};
constexpr stanza_condition resource_constraint{"wait", "resource-constraint"};
constexpr stanza_condition feature_not_implemented{"cancel", "feature-not-implemented"};
constexpr stanza_condition service_unavailable{"cancel", "service-unavailable"};
constexpr stanza_condition remote_server_not_found{"cancel", "remote-server-not-found"};
constexpr stanza_condition remote_server_timeout{"wait", "remote-server-timeout"};
// No live copy of the data to make a change durable on (a node of the AS is
// down): the service is there but not now, so "wait" tells clients to retry.
constexpr stanza_condition storage_unavailable{"wait", "service-unavailable"};

// A value outside the enum (a newer peer's code) must still produce a valid
// error stanza.
constexpr stanza_condition unknown_status{"cancel", "undefined-condition"};

} // namespace

std::optional<stanza_condition> error_condition(account::register_status s) {
  using S = account::register_status;
  switch (s) {
    case S::OK: return std::nullopt;
    case S::EXISTS: return conflict;
    case S::BAD_NAME: return jid_malformed;
    // XEP-0077 §3.1: required registration data missing is not-acceptable.
    case S::MISSING_PASSWORD: return not_acceptable;
    case S::WEAK_PASSWORD: return not_acceptable;
    case S::BAD_VALUE: return not_acceptable;
    case S::MISSING_DEVICE_INFO: return not_acceptable;
    // XEP-0077 §3.1 and RFC 6120 §8.3.3.10 name not-allowed for closed
    // registration; forbidden would suggest other credentials could help.
    case S::NOT_ALLOWED: return not_allowed;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(account::modify_status s) {
  using S = account::modify_status;
  switch (s) {
    case S::OK: return std::nullopt;
    case S::NO_SUCH_ACCOUNT: return item_not_found;
    case S::UNKNOWN_FIELD: return bad_request;
    case S::BAD_VALUE: return not_acceptable;
    case S::NOT_A_DEVICE: return bad_request;
    case S::MISSING_PASSWORD: return bad_request;
    case S::WEAK_PASSWORD: return not_acceptable;
    case S::VERSION_CONFLICT: return conflict;
    case S::NOT_ALLOWED: return forbidden;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
    case S::NO_CHANGES: return bad_request;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(account::delete_status s) {
  using S = account::delete_status;
  switch (s) {
    case S::OK: return std::nullopt;
    case S::NO_SUCH_ACCOUNT: return item_not_found;
    case S::NOT_ALLOWED: return forbidden;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(account::reset_code_status s) {
  using S = account::reset_code_status;
  switch (s) {
    case S::OK: return std::nullopt;
    case S::NO_SUCH_ACCOUNT: return item_not_found;
    case S::NOT_A_DEVICE: return bad_request;
    case S::NOT_ALLOWED: return forbidden;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(message::upload_status s) {
  using S = message::upload_status;
  switch (s) {
    case S::ACCEPTED: return std::nullopt;
    case S::NO_SUCH_APPLICATION: return item_not_found;
    case S::APPLICATION_BUSY: return resource_constraint;
    case S::REJECTED: return not_acceptable;
    case S::PAYLOAD_TOO_LARGE: return too_large;
    case S::NOT_ALLOWED: return forbidden;
    case S::APPLICATION_FAILURE: return internal_error;
    case S::UNKNOWN_DOMAIN: return remote_server_not_found;
    case S::PEER_UNREACHABLE: return remote_server_timeout;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(message::push_status s) {
  using S = message::push_status;
  switch (s) {
    case S::DELIVERED: return std::nullopt;
    case S::QUEUED: return std::nullopt;
    case S::NO_SUCH_ACCOUNT: return item_not_found;
    case S::NOT_ALLOWED: return forbidden;
    case S::PAYLOAD_TOO_LARGE: return too_large;
    case S::QUEUE_FULL: return resource_constraint;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
    case S::NO_SUCH_APPLICATION: return item_not_found;
    case S::UNKNOWN_DOMAIN: return remote_server_not_found;
    case S::PEER_UNREACHABLE: return remote_server_timeout;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(message::app_message_status s) {
  using S = message::app_message_status;
  switch (s) {
    case S::DELIVERED: return std::nullopt;
    case S::NO_SUCH_APPLICATION: return item_not_found;
    case S::APPLICATION_BUSY: return resource_constraint;
    case S::REJECTED: return not_acceptable;
    case S::PAYLOAD_TOO_LARGE: return too_large;
    case S::APPLICATION_FAILURE: return internal_error;
    case S::UNKNOWN_DOMAIN: return remote_server_not_found;
    case S::PEER_UNREACHABLE: return remote_server_timeout;
    case S::NOT_ALLOWED: return forbidden;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(message::direct_status s) {
  using S = message::direct_status;
  switch (s) {
    case S::DELIVERED: return std::nullopt;
    case S::QUEUED: return std::nullopt;
    case S::NO_SUCH_ACCOUNT: return item_not_found;
    case S::NOT_ALLOWED: return forbidden;
    case S::PAYLOAD_TOO_LARGE: return too_large;
    case S::QUEUE_FULL: return resource_constraint;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
    // RFC 6121 §8.5.3.2.1: the error for a resource that is not there.
    case S::NO_SUCH_RESOURCE: return service_unavailable;
    case S::UNKNOWN_DOMAIN: return remote_server_not_found;
    case S::PEER_UNREACHABLE: return remote_server_timeout;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(message::bind_status s) {
  using S = message::bind_status;
  switch (s) {
    case S::OK: return std::nullopt;
    case S::ALREADY_BOUND: return conflict;
    case S::NO_SUCH_DEVICE: return item_not_found;
    case S::WRONG_CODE: return not_authorized;
    case S::NOT_A_USER: return bad_request;
    case S::TOO_MANY_ATTEMPTS: return rate_limited;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
    case S::UNKNOWN_DOMAIN: return remote_server_not_found;
    case S::PEER_UNREACHABLE: return remote_server_timeout;
  }
  return unknown_status;
}

std::optional<stanza_condition> error_condition(message::unbind_status s) {
  using S = message::unbind_status;
  switch (s) {
    case S::OK: return std::nullopt;
    case S::NOT_BOUND: return item_not_found;
    case S::STORAGE_FAILURE: return internal_error;
    case S::STORAGE_UNAVAILABLE: return storage_unavailable;
  }
  return unknown_status;
}

namespace {

// ---- addresses --------------------------------------------------------------

struct jid {
  std::string local;
  std::string domain; // ASCII-lower-cased: domains compare case-insensitively
  std::string resource;
};

std::string ascii_lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// RFC 7622 §3.1: the first '/' starts the resource, an '@' before it ends the
// localpart. Deep validation is the account store's; this only splits.
std::optional<jid> split_jid(std::string_view s) {
  jid out;
  auto slash = s.find('/');
  auto bare = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    out.resource = std::string{s.substr(slash + 1)};
    if (out.resource.empty())
      return std::nullopt;
  }
  auto at = bare.find('@');
  if (at != std::string_view::npos) {
    out.local = std::string{bare.substr(0, at)};
    bare = bare.substr(at + 1);
    if (out.local.empty())
      return std::nullopt;
  }
  if (bare.empty() || bare.find('@') != std::string_view::npos)
    return std::nullopt;
  out.domain = ascii_lower(bare);
  return out;
}

// The prepared `local@domain` of an account JID; nullopt if it has no
// localpart or one RFC 7622 forbids. Preparing here lets the router and the
// session directory compare addresses as plain strings.
std::optional<std::string> account_address(std::string_view s) {
  auto j = split_jid(s);
  if (!j || j->local.empty())
    return std::nullopt;
  auto local = account::prepare_localpart(j->local);
  if (!local)
    return std::nullopt;
  return *local + "@" + j->domain;
}

std::string apps_domain(std::string_view domain) {
  return "apps." + ascii_lower(domain);
}

std::string localpart_of(const std::string& address) {
  return address.substr(0, address.find('@'));
}

stanza_error make_parse_error(const stanza_condition& c, std::string text) {
  return stanza_error{std::string{c.type}, std::string{c.condition}, std::move(text), {}};
}

// Where a stanza is addressed, as far as routing a client's stanza goes.
enum class target_kind { server, application, account, malformed };

struct target {
  target_kind kind = target_kind::server;
  std::string address; // application name or prepared account address
  bool other_domain = false;
  std::string resource; // of an account's full JID, as sent (RFC 7622 §3.4)
};

target classify(const element& stanza, const std::string& self, const std::string& domain) {
  if (!stanza.has_attr("to"))
    return {};
  auto j = split_jid(stanza.attr("to"));
  if (!j)
    return {target_kind::malformed, {}, false};
  auto own = ascii_lower(domain);
  if (j->local.empty()) {
    if (j->domain == own)
      return {};
    return {target_kind::account, j->domain, true}; // another server: nothing we serve
  }
  auto local = account::prepare_localpart(j->local);
  if (!local)
    return {target_kind::malformed, {}, false};
  if (j->domain.compare(0, 5, "apps.") == 0) {
    // Another domain's application keeps its full address: the router
    // reaches it over an AS link or refuses it (unknown-domain).
    bool other = j->domain != apps_domain(own);
    return {target_kind::application, other ? *local + "@" + j->domain : *local, other};
  }
  auto address = *local + "@" + j->domain;
  // RFC 6120 §10.3.3: the server answers IQs sent to the account's bare JID;
  // a full JID, the account's own included, is a session's (RFC 6121 §8.5.3).
  if (address == self && j->resource.empty())
    return {target_kind::server, address, false};
  return {target_kind::account, std::move(address), j->domain != own, std::move(j->resource)};
}

// RFC 6121 §8.5.3.2.1: a chat for a session that is gone goes to the account;
// normal (so a message without a type, §5.2.2), groupchat and headline do not.
message::absent_resource if_absent(const element& message) {
  return message.attr("type") == "chat" ? message::absent_resource::TO_ACCOUNT
                                        : message::absent_resource::REFUSE;
}

// ---- IQ payloads --------------------------------------------------------------

// RFC 6120 §8.2.3: get and set carry exactly one child element; whitespace
// between elements is not a child.
const element* sole_payload(const element& iq, std::size_t& count) {
  const element* found = nullptr;
  count = 0;
  for (const auto& node : iq.children())
    if (const auto* e = std::get_if<element>(&node)) {
      ++count;
      found = e;
    }
  return count == 1 ? found : nullptr;
}

bool has_child_elements(const element& e) {
  for (const auto& node : e.children())
    if (std::holds_alternative<element>(node))
      return true;
  return false;
}

std::string child_text(const element& parent, std::string_view name,
                       std::string_view xmlns = {}) {
  const auto* c = parent.child(name, xmlns);
  return c ? c->text() : std::string{};
}

bool parse_version(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20)
    return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

client_iq parse_register_set(const element& query, const std::string& self,
                             const std::string& domain) {
  if (self.empty()) {
    if (query.child("remove"))
      return make_parse_error(not_authorized, "<remove/> needs an authenticated session");
    account::register_request req;
    req.name = child_text(query, "username");
    req.password = child_text(query, "password");
    req.display_name = child_text(query, "name");
    if (const auto* kind = query.child("kind", ns_irsp)) {
      if (!account::parse_kind(kind->text(), req.kind))
        return make_parse_error(bad_request, "kind is 'user' or 'device'");
    }
    if (const auto* device = query.child("device", ns_irsp)) {
      req.device.model = std::string{device->attr("model")};
      req.device.manufacturer = std::string{device->attr("manufacturer")};
      req.device.serial = std::string{device->attr("serial")};
    }
    // A non-empty requester is what tells the account server that a client,
    // not the operator, registers (closed registration refuses clients).
    req.requester = req.name + "@" + domain;
    return req;
  }
  if (query.child("remove")) {
    // XEP-0077 §3.2: cancellation is <remove/> alone; being strict here
    // keeps a malformed password change from deleting an account.
    std::size_t count = 0;
    sole_payload(query, count);
    if (count != 1)
      return make_parse_error(bad_request, "<remove/> must be the only child of <query/>");
    return account::delete_request{self, self};
  }
  // XEP-0077 §3.3 password change. A username naming another account is
  // passed on as that account, so the account server refuses it as
  // not-allowed like any other request about someone else.
  account::modify_request req;
  req.address = self;
  req.requester = self;
  if (const auto* username = query.child("username")) {
    auto local = account::prepare_localpart(username->text());
    if (!local)
      return make_parse_error(jid_malformed, "username is not a valid localpart");
    req.address = *local + "@" + ascii_lower(domain);
  }
  if (const auto* password = query.child("password"))
    req.changes.emplace_back("password", password->text());
  if (const auto* name = query.child("name"))
    req.changes.emplace_back("name", name->text());
  return req;
}

client_iq parse_modify(const element& payload, const std::string& self) {
  account::modify_request req;
  req.address = self;
  req.requester = self;
  if (payload.has_attr("version") && !parse_version(payload.attr("version"), req.expected_version))
    return make_parse_error(bad_request, "version is a decimal unsigned 64-bit integer");
  for (const auto& node : payload.children()) {
    const auto* field = std::get_if<element>(&node);
    if (!field)
      continue;
    if (field->name() != "field" || field->xmlns() != ns_irsp || !field->has_attr("key"))
      return make_parse_error(bad_request, "<modify/> holds only <field key='..'>value</field>");
    req.changes.emplace_back(std::string{field->attr("key")}, field->text());
  }
  return req;
}

// The prepared address in attribute `name` of `payload`, or the error to answer.
std::variant<std::string, stanza_error> address_attr(const element& payload,
                                                     std::string_view name) {
  if (!payload.has_attr(name))
    return make_parse_error(bad_request, "missing attribute '" + std::string{name} + "'");
  auto address = account_address(payload.attr(name));
  if (!address)
    return make_parse_error(jid_malformed, std::string{name} + " is not an account's JID");
  return std::move(*address);
}

client_iq parse_irsp_server_iq(const element& payload, std::string_view type,
                               const std::string& self) {
  const auto& name = payload.name();
  auto want = [&](std::string_view expected) -> std::optional<stanza_error> {
    if (type == expected)
      return std::nullopt;
    return make_parse_error(bad_request, "<" + name + "/> is sent in an IQ of type "
                                           + std::string{expected});
  };
  if (name == "modify") {
    if (auto e = want("set"))
      return *e;
    return parse_modify(payload, self);
  }
  if (name == "reset-code") {
    if (auto e = want("set"))
      return *e;
    return account::reset_code_request{self, self};
  }
  if (name == "bind-device") {
    if (auto e = want("set"))
      return *e;
    auto device = address_attr(payload, "device");
    if (auto* e = std::get_if<stanza_error>(&device))
      return std::move(*e);
    return account::bind_request{self, std::get<std::string>(std::move(device)),
                                 std::string{payload.attr("code")}};
  }
  if (name == "unbind") {
    if (auto e = want("set"))
      return *e;
    auto peer = address_attr(payload, "peer");
    if (auto* e = std::get_if<stanza_error>(&peer))
      return std::move(*e);
    return account::unbind_request{self, std::get<std::string>(std::move(peer))};
  }
  if (name == "bindings") {
    if (auto e = want("get"))
      return *e;
    return bindings_request{self};
  }
  if (name == "upload")
    return make_parse_error(bad_request, "uploads are addressed to NAME@apps.DOMAIN");
  return make_parse_error(feature_not_implemented, "no IRSP operation <" + name + "/>");
}

} // namespace

client_iq parse_client_iq(const element& iq, const std::string& self_address,
                          const std::string& domain) {
  auto type = iq.attr("type");
  // RFC 6120 §8.2.3: a result or error is never answered.
  if (type == "result" || type == "error")
    return ignored_stanza{};
  if (type != "get" && type != "set")
    return make_parse_error(bad_request, "IQ type is get, set, result or error");
  if (iq.attr("id").empty())
    return make_parse_error(bad_request, "IQ without id (RFC 6120 §8.1.3)");
  std::size_t count = 0;
  const auto* payload = sole_payload(iq, count);
  if (!payload)
    return make_parse_error(bad_request, "IQ get/set carries exactly one child element, not "
                                           + std::to_string(count));
  const bool authenticated = !self_address.empty();
  auto to = classify(iq, self_address, domain);
  if (to.kind == target_kind::malformed)
    return make_parse_error(jid_malformed, "the 'to' address is not a valid JID");
  const bool registration = payload->name() == "query" && payload->xmlns() == ns_register;
  if (!authenticated && !(registration && to.kind == target_kind::server))
    return make_parse_error(not_authorized, "only registration before authentication");

  if (to.kind == target_kind::application) {
    if (payload->name() != "upload" || payload->xmlns() != ns_irsp)
      return make_parse_error(service_unavailable, "applications take only <upload/>");
    if (type != "set")
      return make_parse_error(bad_request, "<upload/> is sent in an IQ of type set");
    // The payload is character data; XML inside would be lost by text().
    if (has_child_elements(*payload))
      return make_parse_error(bad_request, "the upload payload is text, not elements");
    // Another domain's application is the router's to reach over an AS link
    // or refuse (unknown-domain), so it gets the full address.
    return message::upload_request{self_address, to.address, payload->text()};
  }
  if (to.kind == target_kind::account)
    // IRSP relays no IQs between clients, nor between an account's own
    // sessions; RFC 6121 §8.5 lets the server answer for them, and
    // service-unavailable reveals nothing.
    return make_parse_error(service_unavailable, {});

  if (registration) {
    if (type == "get")
      return registration_form_request{authenticated ? localpart_of(self_address)
                                                     : std::string{}};
    return parse_register_set(*payload, self_address, domain);
  }
  if (payload->name() == "ping" && payload->xmlns() == ns_ping) {
    if (type != "get")
      return make_parse_error(bad_request, "<ping/> is sent in an IQ of type get");
    return ping_request{};
  }
  if (payload->xmlns() == ns_irsp)
    return parse_irsp_server_iq(*payload, type, self_address);
  // RFC 6120 §8.4: an unknown payload namespace.
  return make_parse_error(service_unavailable, {});
}

client_message parse_client_message(const element& message, const std::string& self_address,
                                    const std::string& domain) {
  // RFC 6120 §8.3.1: never answer an error with an error.
  if (message.attr("type") == "error")
    return ignored_stanza{};
  auto to = classify(message, self_address, domain);
  if (to.kind == target_kind::malformed)
    return make_parse_error(jid_malformed, "the 'to' address is not a valid JID");
  // Chat states and receipts have no body and carry nothing to relay.
  const auto* body = message.child("body");
  if (!body)
    return ignored_stanza{};
  switch (to.kind) {
    case target_kind::application:
      return message::upload_request{self_address, to.address, body->text()};
    case target_kind::account:
      if (to.address.find('@') == std::string::npos) // a bare domain: another server
        return make_parse_error(service_unavailable, {});
      // Other domains too: whether a peer is reachable is the router's call.
      return message::direct_request{self_address, to.address, body->text(),
                                     std::move(to.resource), if_absent(message)};
    default:
      // RFC 6121 §8.5.2: to the sender's own bare JID, for its own sessions.
      if (!to.address.empty() && to.address == self_address)
        return message::direct_request{self_address, self_address, body->text()};
      // RFC 6121 §8.5.1: the server takes no messages itself.
      return make_parse_error(service_unavailable, {});
  }
}

// ---- replies ------------------------------------------------------------------

namespace {

// RFC 6120 §8.1.2.1, §8.2.3: same id, the request's sender is the receiver.
element reply_to(const element& request, std::string_view type) {
  element out{request.name(), std::string{ns_client}};
  out.set_attr("type", type);
  if (request.has_attr("id"))
    out.set_attr("id", request.attr("id"));
  if (request.has_attr("to"))
    out.set_attr("from", request.attr("to"));
  if (request.has_attr("from"))
    out.set_attr("to", request.attr("from"));
  return out;
}

element status_element(std::string code) {
  element status{"status", std::string{ns_irsp}};
  status.set_attr("code", code);
  return status;
}

element error_reply(const element& request, std::string_view type, std::string_view condition,
                    std::string_view text, std::optional<element> status) {
  auto out = reply_to(request, "error");
  auto& error = out.add_child("error");
  error.set_attr("type", type);
  error.add_child(std::string{condition}, std::string{ns_stanzas});
  if (!text.empty())
    error.add_child("text", std::string{ns_stanzas}).add_text(text);
  // RFC 6120 §8.3.2: the application-specific condition comes last.
  if (status)
    error.add_child(std::move(*status));
  return out;
}

// RFC 6120 §8.2.3 allows a result at most one child, so the status is that
// child and an exchange's extra data lives inside it.
template <class Status>
element status_reply(const element& iq, Status s, element status) {
  if (auto c = error_condition(s))
    return error_reply(iq, c->type, c->condition, {}, std::move(status));
  auto out = reply_to(iq, "result");
  out.add_child(std::move(status));
  return out;
}

template <class Status>
std::optional<element> message_reply(const element& message, Status s) {
  auto c = error_condition(s);
  if (!c)
    return std::nullopt;
  return error_reply(message, c->type, c->condition, {}, status_element(schema::enum_name(s)));
}

void add_field(element& query, std::string name, std::string value = {}) {
  auto& field = query.add_child(std::move(name));
  if (!value.empty())
    field.add_text(value);
}

} // namespace

element build_error(const element& stanza, const stanza_error& error) {
  std::optional<element> status;
  if (!error.status.empty())
    status = status_element(error.status);
  return error_reply(stanza, error.type, error.condition, error.text, std::move(status));
}

element build_registration_form(const element& iq, const registration_form_request& request) {
  auto out = reply_to(iq, "result");
  auto& query = out.add_child("query", std::string{ns_register});
  if (!request.registered.empty()) {
    // XEP-0077 §3.2.1: an account already registered sees its username.
    query.add_child("registered");
    add_field(query, "username", request.registered);
    return out;
  }
  add_field(query, "instructions",
            "Choose a username and password. A device also gives kind 'device' and its "
            "model, manufacturer and serial; its verification code comes back once.");
  add_field(query, "username");
  add_field(query, "password");
  add_field(query, "name");
  query.add_child("kind", std::string{ns_irsp});
  auto& device = query.add_child("device", std::string{ns_irsp});
  device.set_attr("model", "");
  device.set_attr("manufacturer", "");
  device.set_attr("serial", "");
  return out;
}

element build_reply(const element& iq, const account::register_response& response) {
  auto status = status_element(schema::enum_name(response.status));
  if (!response.verification_code.empty())
    status.add_child("code").add_text(response.verification_code);
  return status_reply(iq, response.status, std::move(status));
}

element build_reply(const element& iq, const account::modify_response& response) {
  auto status = status_element(schema::enum_name(response.status));
  // On version-conflict this is the stored version, which the client needs
  // to retry.
  if (response.version != 0)
    status.set_attr("version", std::to_string(response.version));
  return status_reply(iq, response.status, std::move(status));
}

element build_reply(const element& iq, const account::delete_response& response) {
  return status_reply(iq, response.status, status_element(schema::enum_name(response.status)));
}

element build_reply(const element& iq, const account::reset_code_response& response) {
  auto status = status_element(schema::enum_name(response.status));
  if (!response.verification_code.empty())
    status.add_child("code").add_text(response.verification_code);
  return status_reply(iq, response.status, std::move(status));
}

element build_reply(const element& iq, message::bind_status status) {
  return status_reply(iq, status, status_element(schema::enum_name(status)));
}

element build_reply(const element& iq, message::unbind_status status) {
  return status_reply(iq, status, status_element(schema::enum_name(status)));
}

element build_reply(const element& iq, const message::upload_response& response) {
  auto status = status_element(schema::enum_name(response.status));
  if (!response.reply.empty())
    status.add_child("reply").add_text(response.reply);
  return status_reply(iq, response.status, std::move(status));
}

element build_bindings(const element& iq, const std::vector<std::string>& peers) {
  auto out = reply_to(iq, "result");
  auto& bindings = out.add_child("bindings", std::string{ns_irsp});
  for (const auto& peer : peers)
    bindings.add_child("peer").set_attr("jid", peer);
  return out;
}

element build_empty_result(const element& iq) {
  return reply_to(iq, "result");
}

std::optional<element> build_message_reply(const element& message,
                                           const message::upload_response& response) {
  return message_reply(message, response.status);
}

std::optional<element> build_message_reply(const element& message,
                                           const message::direct_response& response) {
  return message_reply(message, response.status);
}

// ---- server-initiated stanzas -------------------------------------------------

element build_delivery(const message::delivery& delivery, std::string_view to,
                       std::string_view domain, std::string_view id) {
  const bool push = delivery.kind == message::delivery_kind::PUSH;
  element out{"message", std::string{ns_client}};
  if (push && delivery.from.find('@') == std::string::npos)
    out.set_attr("from", application_address(delivery.from, domain));
  else
    out.set_attr("from", delivery.from);
  out.set_attr("to", to);
  out.set_attr("type", push ? "normal" : "chat");
  if (!id.empty())
    out.set_attr("id", id);
  if (push)
    out.add_child("push", std::string{ns_irsp}).add_text(delivery.payload);
  else
    out.add_child("body").add_text(delivery.payload);
  // XEP-0203: tells the client this waited in the offline queue, and since when.
  if (delivery.stored_ms != 0) {
    auto& delay = out.add_child("delay", std::string{ns_delay});
    delay.set_attr("from", domain);
    delay.set_attr("stamp", format_timestamp(delivery.stored_ms));
  }
  return out;
}

element build_presence(const message::presence_event& event, std::string_view to) {
  element out{"presence", std::string{ns_client}};
  out.set_attr("from", event.address);
  if (!to.empty())
    out.set_attr("to", to);
  // Issue 15: suspect is still available, shown as extended away (RFC 6121
  // §4.7.2.1), so that a stock client shows the peer as away, not gone.
  if (event.state == message::lifecycle_state::OFFLINE)
    out.set_attr("type", "unavailable");
  else if (event.state == message::lifecycle_state::SUSPECT)
    out.add_child("show").add_text("xa");
  auto& transition = out.add_child("transition", std::string{ns_irsp});
  transition.set_attr("epoch", std::to_string(event.epoch));
  transition.set_attr("sequence", std::to_string(event.sequence));
  transition.set_attr("at", format_timestamp(event.at_ms));
  out.add_child("state", std::string{ns_irsp}).add_text(lifecycle_name(event.state));
  return out;
}

std::string_view lifecycle_name(message::lifecycle_state state) {
  switch (state) {
    case message::lifecycle_state::OFFLINE:
      return "offline";
    case message::lifecycle_state::SUSPECT:
      return "suspect";
    default:
      // ONLINE, or a state of a newer node this one does not know: it has
      // sessions (present()), which is all an older client can be told.
      return "online";
  }
}

element build_server_ping(std::string_view id, std::string_view domain, std::string_view to) {
  element out{"iq", std::string{ns_client}};
  out.set_attr("type", "get").set_attr("id", id).set_attr("from", domain).set_attr("to", to);
  out.add_child("ping", std::string{ns_ping});
  return out;
}

std::string format_timestamp(std::int64_t ms) {
  constexpr std::int64_t ms_per_day = 86'400'000;
  auto days = ms / ms_per_day;
  auto rem = ms % ms_per_day;
  if (rem < 0) { // floor, so instants before 1970 land on the right day
    rem += ms_per_day;
    --days;
  }
  // Howard Hinnant's civil_from_days: proleptic Gregorian, no time zone
  // database and no gmtime() (not thread-safe, and time_t may be 32-bit).
  auto z = days + 719468;
  auto era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = z - era * 146097;
  auto yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  auto day = doy - (153 * mp + 2) / 5 + 1;
  auto month = mp < 10 ? mp + 3 : mp - 9;
  auto year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[96]; // room for any int64 year, so no truncation is possible
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(rem / 3'600'000),
                static_cast<long long>(rem / 60'000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

std::string application_address(std::string_view name, std::string_view domain) {
  return std::string{name} + "@" + apps_domain(domain);
}

} // namespace irsp::xmpp
