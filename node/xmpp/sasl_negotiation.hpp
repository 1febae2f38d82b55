// RFC 6120 §6.4: the SASL exchange of one stream, between the wire's
// <auth/>/<response/>/<abort/> elements and irsp::xmpp::sasl_server.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "actors/account/credentials.hpp"
#include "node/xmpp/auth_throttle.hpp"
#include "node/xmpp/sasl/sasl_server.hpp"
#include "node/xmpp/xml/stanza.hpp"

namespace irsp::xmpp {

/// Namespace of the SASL stream elements (RFC 6120 §6.4).
inline constexpr std::string_view ns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";

/// XEP-0440 SASL Channel-Binding Type Capability.
inline constexpr std::string_view ns_sasl_cb = "urn:xmpp:sasl-cb:0";

/// What the stream does after one SASL element or credential answer.
struct sasl_outcome {
  /// `<challenge/>`, `<success/>` or `<failure/>` to send; none while the
  /// credentials are being looked up.
  std::optional<element> reply;
  /// Set when the account server must be asked for this account's secrets
  /// (`localpart@domain`); answer with sasl_negotiation::provide_credentials.
  std::optional<std::string> lookup_address;
  /// Which secrets to look up.
  account::scram_hash lookup_hash = account::scram_hash::sha256;
  /// provide_credentials() will derive a key from the password (PLAIN):
  /// the caller should not run it where it blocks others. With an empty
  /// `lookup_address` there is nothing to look up (no such account can
  /// exist); the answer is nullopt, and costs the same.
  bool lookup_derives_key = false;
  /// Authentication succeeded: the stream restarts (RFC 6120 §6.4.6).
  bool succeeded = false;
  /// On success: the mechanism, with the channel binding type after a
  /// space when one was used ("SCRAM-SHA-256-PLUS tls-exporter").
  std::string how;
  /// The attempt failed (a `<failure/>` is in `reply`).
  bool failed = false;
};

/// One stream's SASL negotiation: any number of attempts, each a fresh
/// sasl_server, with failed attempts counted in the node's auth_throttle.
///
/// An attempt is refused with `temporary-auth-failure`, before any password
/// is checked, when the remote address has used up its failures, or has for
/// the named account (auth_throttle); only wrong passwords count there.
/// Usernames are the account's localpart; the account is `localpart@domain`
/// after preparation (RFC 7622).
class sasl_negotiation {
public:
  /// Clock of the throttle.
  using clock = auth_throttle::clock;

  /// `config` describes the connection (TLS, channel bindings); `throttle`
  /// may be null (no limit); `remote` is the peer's address as the throttle
  /// keys it.
  sasl_negotiation(sasl_server_config config, std::string domain,
                   std::shared_ptr<auth_throttle> throttle, std::string remote);

  ~sasl_negotiation();

  sasl_negotiation(const sasl_negotiation&) = delete;
  sasl_negotiation& operator=(const sasl_negotiation&) = delete;

  /// The `<mechanisms/>` feature for this connection.
  element mechanisms_feature() const;

  /// XEP-0440 `<sasl-channel-binding/>`: the binding types this connection
  /// verifies; none when it has none.
  std::optional<element> channel_binding_feature() const;

  /// Handles `<auth/>`, `<response/>` or `<abort/>` (namespace ns_sasl).
  sasl_outcome handle(const element& e, clock::time_point now);

  /// Answers a lookup: the secrets, or nullopt for no such account.
  sasl_outcome provide_credentials(std::optional<account::scram_secret> secret,
                                   clock::time_point now);

  /// The lookup failed (the account server did not answer):
  /// `temporary-auth-failure`, not counted against anyone.
  sasl_outcome credentials_unavailable(clock::time_point now);

  /// True while a credential lookup is outstanding.
  bool waiting_for_credentials() const noexcept {
    return waiting_;
  }

  /// After success: the authenticated account's prepared localpart.
  const std::string& localpart() const noexcept {
    return localpart_;
  }

  /// Failed attempts on this stream so far.
  std::size_t failures() const noexcept {
    return failures_;
  }

private:
  sasl_outcome apply(sasl_step_result step, clock::time_point now);
  sasl_outcome fail(const sasl_failure& f, clock::time_point now);

  sasl_server_config config_;
  std::string domain_;
  std::shared_ptr<auth_throttle> throttle_;
  std::string remote_;
  std::unique_ptr<sasl_server> attempt_; // released as soon as an attempt ends
  std::string attempt_localpart_;        // the name the current attempt claims
  std::string localpart_;
  std::size_t failures_ = 0;
  bool waiting_ = false;
};

/// Standard base64 (RFC 4648 §4) with padding.
std::string base64_encode(std::string_view data);

/// Strict base64: padding required, no whitespace, no stray characters, no
/// non-zero trailing bits (RFC 6120 §6.4.2 makes lenient decoding a fault).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace irsp::xmpp
