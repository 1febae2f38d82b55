// RFC 6120 §8, RFC 6121 §4-5, XEP-0077, XEP-0203, IRSP §8.2-8.3: stanzas <-> exchanges
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/account/exchanges.hpp"
#include "actors/message/exchanges.hpp"
#include "node/xmpp/xml/stanza.hpp"

namespace irsp::xmpp {

/// IRSP's own namespace: payload elements, `<status/>`, extension fields.
inline constexpr std::string_view ns_irsp = "urn:irsp:0";

/// XEP-0077 in-band registration.
inline constexpr std::string_view ns_register = "jabber:iq:register";

/// RFC 6120 §8.3.3 defined stanza error conditions and `<text/>`.
inline constexpr std::string_view ns_stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// XEP-0203 delayed delivery.
inline constexpr std::string_view ns_delay = "urn:xmpp:delay";

/// XEP-0199 application-level ping.
inline constexpr std::string_view ns_ping = "urn:xmpp:ping";

/// An RFC 6120 §8.3.3 defined condition with its error type: how one IRSP
/// status reads to an XMPP client that knows nothing of IRSP.
struct stanza_condition {
  /// `auth`, `cancel`, `continue`, `modify` or `wait` (RFC 6120 §8.3.2).
  std::string_view type;

  /// The defined condition's element name, e.g. `item-not-found`.
  std::string_view condition;

  /// Memberwise equality.
  friend bool operator==(const stanza_condition& x, const stanza_condition& y) {
    return x.type == y.type && x.condition == y.condition;
  }
};

/// The stanza condition a failure status is reported with; nullopt for the
/// success statuses (`ok`, `accepted`, `delivered`, `queued`), which are
/// answered with a result rather than an error. One overload per status enum
/// of the schema; docs/protocol.md has the same table.
std::optional<stanza_condition> error_condition(account::register_status s);
std::optional<stanza_condition> error_condition(account::modify_status s);
std::optional<stanza_condition> error_condition(account::delete_status s);
std::optional<stanza_condition> error_condition(account::reset_code_status s);
std::optional<stanza_condition> error_condition(message::upload_status s);
std::optional<stanza_condition> error_condition(message::push_status s);
std::optional<stanza_condition> error_condition(message::app_message_status s);
std::optional<stanza_condition> error_condition(message::direct_status s);
std::optional<stanza_condition> error_condition(message::bind_status s);
std::optional<stanza_condition> error_condition(message::unbind_status s);

/// A stanza that cannot become a request, or a request that failed: the
/// content of an RFC 6120 §8.3 error stanza.
struct stanza_error {
  /// `auth`, `cancel`, `continue`, `modify` or `wait`.
  std::string type;

  /// An RFC 6120 §8.3.3 defined condition.
  std::string condition;

  /// Human-readable detail for `<text/>`; empty: no `<text/>`.
  std::string text;

  /// IRSP status code for `<status xmlns='urn:irsp:0'/>`; empty when the
  /// stanza failed before reaching any exchange (a parse error).
  std::string status;
};

/// The stanza needs neither an action nor an answer: an IQ result or error
/// (RFC 6120 §8.2.3 forbids answering those), a message of type error
/// (§8.3.1), a message without a body (chat states, receipts).
struct ignored_stanza {};

/// XEP-0077 §3.1/§3.2.1: the client asks for the registration form.
struct registration_form_request {
  /// Before authentication empty; after it the account's localpart, which
  /// makes the form say `<registered/>`.
  std::string registered;
};

/// IRSP: the client asks for the peers its account is bound to.
struct bindings_request {
  /// The asking account (the session's bare JID).
  std::string account;
};

/// XEP-0199: a ping addressed to the server; answered with an empty result.
struct ping_request {};

/// What a client IQ asks for: an error to send back straight away, nothing,
/// or one request of an exchange.
using client_iq = std::variant<stanza_error, ignored_stanza, registration_form_request,
                               account::register_request, account::modify_request,
                               account::delete_request, account::reset_code_request,
                               account::bind_request, account::unbind_request, bindings_request,
                               ping_request, message::upload_request>;

/// What a client message asks for: an error to send back, nothing, an upload
/// without reply (§8.3.1) or a user<->device message.
using client_message = std::variant<stanza_error, ignored_stanza, message::upload_request,
                                    message::direct_request>;

/// Translates an IQ a client sent into the request it stands for (RFC 6120
/// §8.2.3: get/set carry exactly one child, an id is required; an unknown
/// payload is `service-unavailable`).
///
/// `self_address` is the session's authenticated bare JID (`alice@localhost`,
/// prepared), or empty before authentication, when only XEP-0077
/// registration is accepted. `domain` is the AS's domain. The IQ's own
/// `from` is not trusted. In-band registration is sent with a non-empty
/// requester (the would-be address), which marks it as a client's.
client_iq parse_client_iq(const element& iq, const std::string& self_address,
                          const std::string& domain);

/// Translates a message a client sent: to `NAME@apps.DOMAIN` it is an upload
/// whose outcome is reported only on failure; to any other account, or to
/// the sender's own, it is a user<->device message. Only the first `<body/>`
/// is the payload. A full JID's resource is kept, as sent, for the session it
/// names (RFC 6121 §8.5.3); the message type says what happens if that
/// session is not there (chat: to the account; others: no-such-resource).
client_message parse_client_message(const element& message, const std::string& self_address,
                                    const std::string& domain);

/// The error answering `stanza` (an iq, message or presence): same name and
/// id, `from`/`to` swapped, `<error type=..>` holding the defined condition,
/// optional `<text/>` and the IRSP `<status/>` (RFC 6120 §8.3.2 order).
element build_error(const element& stanza, const stanza_error& error);

/// The XEP-0077 registration form answering `iq`, with IRSP's `<kind/>` and
/// `<device/>` extension fields.
element build_registration_form(const element& iq, const registration_form_request& request);

/// The reply to `iq` for each exchange: a result whose one child is
/// `<status xmlns='urn:irsp:0' code='..'/>` (holding the exchange's extra
/// data), or for a failure status an error as build_error() makes it.
element build_reply(const element& iq, const account::register_response& response);

/// §8.2.2 modify (and XEP-0077 password change): the status has `version`.
element build_reply(const element& iq, const account::modify_response& response);

/// §8.2.3 delete (XEP-0077 `<remove/>`).
element build_reply(const element& iq, const account::delete_response& response);

/// §8.2.4 reset code: `<code/>` inside the status on success.
element build_reply(const element& iq, const account::reset_code_response& response);

/// Binding a device with its verification code.
element build_reply(const element& iq, message::bind_status status);

/// Removing a binding.
element build_reply(const element& iq, message::unbind_status status);

/// §8.3.1 upload by IQ: `<reply/>` inside the status when the application
/// replied.
element build_reply(const element& iq, const message::upload_response& response);

/// The result answering a bindings_request: `<bindings xmlns='urn:irsp:0'>`
/// with one `<peer jid='..'/>` per bound peer.
element build_bindings(const element& iq, const std::vector<std::string>& peers);

/// An IQ result with no child (XEP-0199 pong).
element build_empty_result(const element& iq);

/// The answer to a message upload: nullopt on success (a message has no
/// result), else a message of type error.
std::optional<element> build_message_reply(const element& message,
                                           const message::upload_response& response);

/// The answer to a user<->device message: nullopt when delivered or queued.
std::optional<element> build_message_reply(const element& message,
                                           const message::direct_response& response);

/// A push (§8.3.3, `<push xmlns='urn:irsp:0'>`, type normal, from
/// `APP@apps.DOMAIN`) or a user<->device message (`<body/>`, type chat, from
/// the peer) for the session `to`, with XEP-0203 `<delay/>` when it was
/// stored offline. A push's `from` may be the application's name or its
/// address. An empty `id` is omitted.
element build_delivery(const message::delivery& delivery, std::string_view to,
                       std::string_view domain, std::string_view id = {});

/// A peer's transition (§8.3.2; issue 15) as presence from its bare JID,
/// carrying `<transition xmlns='urn:irsp:0' epoch= sequence= at=/>` so a
/// client can order transitions, and `<state xmlns='urn:irsp:0'>` naming the
/// state (online, suspect, offline). Offline is type `unavailable`; suspect
/// is available with `<show>xa</show>`. An empty `to` is omitted.
element build_presence(const message::presence_event& event, std::string_view to = {});

/// The name of a lifecycle state in `<state xmlns='urn:irsp:0'>`: `online`,
/// `suspect` or `offline`.
std::string_view lifecycle_name(message::lifecycle_state state);

/// XEP-0199 §4.2: the server pings a client's session `to` (a full JID), as
/// an IQ get from `domain` with id `id`.
element build_server_ping(std::string_view id, std::string_view domain, std::string_view to);

/// Milliseconds since the Unix epoch as an XEP-0082 DateTime in UTC with
/// milliseconds: `2026-11-25T15:00:00.000Z`.
std::string format_timestamp(std::int64_t ms);

/// `NAME@apps.DOMAIN`: the address of application `name`.
std::string application_address(std::string_view name, std::string_view domain);

} // namespace irsp::xmpp
