// RFC 6120 §6, RFC 5802, RFC 7677, RFC 4616, RFC 5929 / RFC 9266, XEP-0440, XEP-0474:
// SASL server side (SCRAM-SHA-1/-256 with -PLUS, PLAIN) for the XMPP front end.
#pragma once

#include "actors/account/credentials.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace irsp::xmpp {

/// The failure conditions of RFC 6120 §6.5.
enum class sasl_condition {
  aborted,
  account_disabled,
  credentials_expired,
  encryption_required,
  incorrect_encoding,
  invalid_authzid,
  invalid_mechanism,
  malformed_request,
  mechanism_too_weak,
  not_authorized,
  temporary_auth_failure,
};

/// The element name of a condition, e.g. "not-authorized".
std::string_view to_string(sasl_condition condition);

/// Channel binding data of the TLS connection (RFC 5056), for the -PLUS mechanisms.
struct channel_binding {
  /// "tls-exporter" (RFC 9266), "tls-server-end-point" or "tls-unique" (RFC 5929).
  std::string type;
  /// The raw binding bytes from the TLS layer.
  std::string data;
};

/// What the connection knows before any SASL message arrives.
struct sasl_server_config {
  /// Whether the stream is TLS-protected; PLAIN is refused otherwise.
  bool tls = false;
  /// Bindings the connection can offer; non-empty means -PLUS is advertised.
  std::vector<channel_binding> channel_bindings;
  /// Key for the fake salts shown for unknown users. It should be stable
  /// across restarts, or an attacker comparing salts over a restart could tell
  /// unknown users apart; empty means a random per-process key.
  std::string fake_salt_key;
  /// Iteration count shown for unknown users: match what real accounts use.
  std::uint32_t fake_iterations = account::default_scram_iterations;
  /// XEP-0474: send the `h` attribute in server-first-message. Only the
  /// test vectors of RFC 5802/7677, which predate it, turn it off.
  bool downgrade_protection = true;
  /// Test hook: the server's part of the SCRAM nonce; empty means random.
  std::string nonce_for_testing;
};

/// A server challenge to send as <challenge/> (raw bytes, base64 them on the wire).
struct sasl_challenge {
  /// Challenge bytes.
  std::string data;
};

/// Authentication succeeded: send <success/> with `additional_data`.
struct sasl_success {
  /// Additional data with success (SCRAM's server-final-message); may be empty.
  std::string additional_data;
  /// The authenticated, SASLprep'd username.
  std::string username;
  /// The channel binding type verified (SCRAM -PLUS); empty when none.
  std::string channel_binding;
};

/// Authentication failed: send <failure/> with the condition; the attempt is over.
struct sasl_failure {
  /// RFC 6120 §6.5 condition.
  sasl_condition condition = sasl_condition::not_authorized;
  /// Human-readable <text/>; never says whether the user exists.
  std::string text;
  /// True when the attempt tested a password (a wrong proof or PLAIN
  /// password, or an unknown user): only these are guesses worth throttling.
  bool checked_password = false;
};

/// The server needs the user's secrets; answer with provide_credentials().
struct sasl_need_credentials {
  /// The SASLprep'd username.
  std::string username;
  /// Which SCRAM secrets to look up.
  account::scram_hash hash = account::scram_hash::sha256;
  /// Checking the answer derives a key from the password (PBKDF2, PLAIN):
  /// milliseconds of CPU, for a known user or not.
  bool derives_key = false;
};

/// What the caller does next after a step.
using sasl_step_result =
  std::variant<sasl_challenge, sasl_success, sasl_failure, sasl_need_credentials>;

/// XEP-0474 (0.5.0) §4.1: base64 of the hash (SHA-1 or SHA-256, as the SCRAM
/// mechanism's) of the advertised mechanisms, sorted and joined by 0x1E, then,
/// when XEP-0440 types were advertised, 0x1F and the types sorted and joined
/// by 0x1E. Sent as the `h` attribute of server-first-message.
std::string downgrade_protection_hash(account::scram_hash hash,
                                      std::vector<std::string> mechanisms,
                                      std::vector<std::string> channel_binding_types);

/// One SASL authentication attempt on one connection (RFC 6120 §6.4).
///
/// Messages in and out are raw bytes; the caller does the base64 and the XML.
/// The caller looks up credentials either through a synchronous callback given
/// to the constructor, or, when none is given, by answering a
/// sasl_need_credentials result with provide_credentials() — the form for an
/// asynchronous request to the account server.
class sasl_server {
public:
  /// Synchronous credential lookup: nullopt when the user is unknown.
  using credential_lookup =
    std::function<std::optional<account::scram_secret>(std::string_view username,
                                                       account::scram_hash hash)>;

  /// Starts an attempt with the mechanism the client chose. An unknown or
  /// unavailable mechanism, or PLAIN without TLS, makes the first step() fail.
  sasl_server(std::string_view mechanism, sasl_server_config config,
              credential_lookup lookup = {});

  ~sasl_server();

  sasl_server(const sasl_server&) = delete;
  sasl_server& operator=(const sasl_server&) = delete;

  /// Mechanism names to advertise in <mechanisms/>, strongest first.
  static std::vector<std::string> mechanisms(const sasl_server_config& config);

  /// Channel binding types to advertise with XEP-0440, in the config's order.
  static std::vector<std::string> channel_binding_types(const sasl_server_config& config);

  /// Handles the initial response or a <response/>. An empty first message
  /// means "no initial response" and yields an empty challenge.
  sasl_step_result step(std::string_view client_message);

  /// Answers a sasl_need_credentials: the user's secrets, or nullopt for an
  /// unknown user (which then fails exactly like a wrong password). A late
  /// answer after done() only returns a failure the caller should not send.
  sasl_step_result provide_credentials(std::optional<account::scram_secret> secret);

  /// Ends the attempt with a condition the caller decided (e.g.
  /// temporary-auth-failure when the account server is unreachable).
  sasl_failure fail(sasl_condition condition, std::string text = {});

  /// The client sent <abort/>.
  sasl_failure abort();

  /// The mechanism name as the client gave it.
  const std::string& mechanism() const noexcept;

  /// Whether the attempt has ended (success or failure).
  bool done() const noexcept;

private:
  enum class kind { plain, scram, refused };
  enum class phase { start, need_credentials, awaiting_final, done };

  sasl_step_result plain_message(std::string_view message);
  sasl_step_result plain_check(std::optional<account::scram_secret> secret);
  sasl_step_result scram_first(std::string_view message);
  sasl_step_result scram_challenge(std::optional<account::scram_secret> secret);
  sasl_step_result scram_final(std::string_view message);
  sasl_step_result ask_for(std::string username);
  sasl_failure finish(sasl_condition condition, std::string text);
  sasl_failure wrong_password();

  std::string mechanism_;
  sasl_server_config config_;
  credential_lookup lookup_;
  kind kind_ = kind::refused;
  phase phase_ = phase::start;
  sasl_failure refusal_;
  account::scram_hash hash_ = account::scram_hash::sha256;
  bool plus_ = false;
  bool sent_empty_challenge_ = false;
  std::string username_;
  // PLAIN: the password between the two halves of an asynchronous lookup.
  std::string password_;
  // SCRAM state carried from client-first to client-final (RFC 5802 §3).
  std::string gs2_header_;
  std::string cbind_data_;
  std::string cbind_type_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  account::scram_secret secret_;
  // False while secret_ is the stand-in for an unknown user.
  bool known_user_ = false;
};

} // namespace irsp::xmpp
