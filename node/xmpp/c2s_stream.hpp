// RFC 6120 §4-§8, RFC 6121 §2, XEP-0077, XEP-0030, XEP-0199: one client stream's
// state machine, between the transport (bytes, TLS) below and the message-server
// actors above. No sockets and no actors here: input comes in by method calls,
// and what the stream needs done comes out as actions the transport carries out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/account/exchanges.hpp"
#include "actors/message/exchanges.hpp"
#include "node/xmpp/auth_throttle.hpp"
#include "node/xmpp/registration_limit.hpp"
#include "node/xmpp/sasl/sasl_server.hpp"
#include "node/xmpp/sasl_negotiation.hpp"
#include "node/xmpp/xml/stanza.hpp"
#include "node/xmpp/xml/xml_stream.hpp"

namespace irsp::xmpp {

/// What every client stream of a node shares.
struct c2s_settings {
  /// The AS's domain: the stream's `from`, the accounts' domain.
  std::string domain;
  /// Bounds on what one client may make the parser hold.
  limits xml_limits;
  /// Failed-authentication counts shared by all streams; null: no limit.
  std::shared_ptr<auth_throttle> throttle;
  /// In-band registration counts shared by all streams; null: no limit.
  std::shared_ptr<registration_limit> registrations;
  /// Log one line per successful authentication, with the mechanism and
  /// channel binding used (an operator's audit of what clients do).
  bool log_logins = false;
  /// Key for fake SCRAM salts of unknown users (see sasl_server_config).
  std::string fake_salt_key;
  /// Iterations shown for unknown users; match what real accounts use.
  std::uint32_t fake_iterations = account::default_scram_iterations;
  /// Requests outstanding at once before the stream stops reading input.
  std::size_t max_pending = 16;
  /// SASL failures on one stream before it is closed (RFC 6120 §6.4.5).
  std::size_t max_auth_failures = 5;
};

/// What the stream asks of the logic layer. A direct_request goes to the
/// session's own user/device actor as (send_atom, request); a
/// register_request to the account server; the rest to the router.
using c2s_request =
  std::variant<account::register_request, account::modify_request, account::delete_request,
               account::reset_code_request, account::bind_request, account::unbind_request,
               message::upload_request, message::direct_request>;

/// The request could not be answered (timeout, actor down).
struct c2s_request_failed {};

/// The answer to a c2s_request.
using c2s_response =
  std::variant<account::register_response, account::modify_response, account::delete_response,
               account::reset_code_response, message::bind_status, message::unbind_status,
               message::upload_response, message::direct_response, c2s_request_failed>;

/// Send these bytes to the client (through TLS once it is on).
struct c2s_write {
  /// Bytes of XML.
  std::string bytes;
};

/// Start TLS now: everything written so far goes out in the clear, every
/// byte read or written from here on is TLS (RFC 6120 §5.4.3.3).
struct c2s_start_tls {};

/// Send what is written, then close the connection.
struct c2s_close {};

/// Log one line about this connection (the transport logs one per connection).
struct c2s_log {
  /// A stream error or SASL condition, e.g. `not-well-formed`.
  std::string condition;
  /// Why, for the operator.
  std::string text;
  /// An event of a connection that is not failing (a login): always
  /// logged, and not the connection's one line about what went wrong.
  bool event = false;
};

/// Ask the account server for SCRAM secrets: (scram_atom, address, sha256);
/// answer with c2s_stream::credentials().
struct c2s_lookup {
  /// `localpart@domain`; empty: no account can have the name, answer nullopt
  /// without asking.
  std::string address;
  /// Which secrets.
  account::scram_hash hash = account::scram_hash::sha256;
  /// credentials() will derive a key from the password (PLAIN, PBKDF2):
  /// milliseconds that must not hold up other connections.
  bool derives_key = false;
};

/// Open the session: (open_atom, address, resource, self) to the router;
/// answer with c2s_stream::opened().
struct c2s_open {
  /// The account's bare JID.
  std::string address;
  /// The bound resource.
  std::string resource;
};

/// Carry out a request; answer with c2s_stream::reply() and the same id.
struct c2s_call {
  /// Correlates the answer.
  std::uint64_t id = 0;
  /// What to ask.
  c2s_request request;
};

/// One thing the transport must do, in the order the stream asked.
using c2s_action =
  std::variant<c2s_write, c2s_start_tls, c2s_close, c2s_log, c2s_lookup, c2s_open, c2s_call>;

class c2s_stream;

/// A feature module hooked into a stream (XEP-0198 stream management is
/// one): it sees stream-level elements the core does not know, and every
/// stanza in and out, without the core naming it.
class c2s_module {
public:
  virtual ~c2s_module();

  /// Adds this module's features to `<stream:features/>` once the stream is
  /// authenticated.
  virtual void add_features(element& features);

  /// A stream-level element that is neither a stanza nor part of TLS, SASL
  /// or binding; return true if this module took it.
  virtual bool on_nonza(c2s_stream& stream, const element& e);

  /// A stanza from the client has been handled.
  virtual void on_stanza_in(c2s_stream& stream);

  /// `stanza` is about to be written to the client as `xml`.
  virtual void on_stanza_out(c2s_stream& stream, const element& stanza, const std::string& xml);

  /// The server wants a sign of life from the client (issue 15): return
  /// true if this module asked for one its own way (XEP-0198 `<r/>`).
  virtual bool ask_alive(c2s_stream& stream);

  /// SASL succeeded (RFC 6120 §6.4.6): the stream is authenticated.
  virtual void on_authenticated(c2s_stream& stream);

  /// One SASL attempt failed (RFC 6120 §6.4.5).
  virtual void on_auth_failed(c2s_stream& stream);
};

/// One client-to-server XML stream (RFC 6120), from the first byte to the
/// closing tag: stream headers and features, STARTTLS, SASL, resource
/// binding, and then stanzas to and from the session's user/device actor.
///
/// The transport calls feed() with the plaintext it reads, the methods below
/// for what the logic layer answers or sends, and after each call carries out
/// take_actions() in order. While waiting() it should stop reading: the
/// stream is holding input back until an answer arrives.
class c2s_stream {
public:
  /// A stream of a connection from `remote` (the peer's address, for the
  /// throttle); `direct_tls` when TLS started with the connection (port 5223).
  c2s_stream(const c2s_settings& settings, std::string remote, bool direct_tls);

  ~c2s_stream();

  c2s_stream(const c2s_stream&) = delete;
  c2s_stream& operator=(const c2s_stream&) = delete;

  /// Adds a feature module; the stream owns it.
  void add_module(std::unique_ptr<c2s_module> module);

  // -- from the transport ------------------------------------------------------

  /// Plaintext bytes from the client.
  void feed(const char* data, std::size_t size);

  /// Convenience overload of feed().
  void feed(std::string_view data) {
    feed(data.data(), data.size());
  }

  /// The TLS handshake completed; `bindings` are its channel bindings for
  /// SCRAM-*-PLUS (may be empty).
  void tls_established(std::vector<channel_binding> bindings);

  /// The client did not get far enough in time (RFC 6120 §4.9.3.4).
  void timeout(std::string_view text);

  /// The node is shutting down (RFC 6120 §4.9.3.18).
  void shutdown();

  /// Asks a bound client for a sign of life (issue 15): XEP-0198 `<r/>`
  /// when a module does it so, else an XEP-0199 ping from the domain to the
  /// session's full JID. Whatever the client sends next is the answer; its
  /// result (or error, from a client without XEP-0199) is ignored here.
  void check_alive();

  /// Ends the connection with a stream error (RFC 6120 §4.9) but keeps the
  /// session, for XEP-0198 resumption: `<stream:error/>` and the closing tag
  /// are written and logged, with no c2s_close; the transport then drops the
  /// connection and holds the session as if the client had gone away.
  void fail_keeping_session(std::string_view condition, std::string_view text);

  /// Ends the stream with a stream error (RFC 6120 §4.9): header if none was
  /// sent yet, `<stream:error/>`, closing tag, close. `log` false for ends
  /// that are nobody's fault (conflict, account deleted, shutdown).
  void fail(std::string_view condition, std::string_view text, bool log = true);

  // -- from the logic layer ----------------------------------------------------

  /// The answer to a c2s_lookup: the secrets, or nullopt (no account, or
  /// the account server did not answer).
  void credentials(std::optional<account::scram_secret> secret);

  /// The c2s_lookup got no answer: the client is told to try again later.
  void credentials_unavailable();

  /// The answer to a c2s_open: `exists` false when the account is gone.
  void opened(bool exists, account::account_kind kind, std::vector<std::string> peers);

  /// The answer to a c2s_call.
  void reply(std::uint64_t id, c2s_response response);

  /// Answers as failed (`wait`, internal-server-error) every call made before
  /// `made_before`: its answer was lost (a node died with it in flight), and
  /// it must neither leave the client waiting nor hold a slot of
  /// `max_pending` for ever. True while calls are still outstanding.
  bool expire_calls(std::chrono::steady_clock::time_point made_before);

  /// A push or user<->device message for the client (RFC 6121 §5.2).
  void deliver(const message::delivery& d);

  /// A bound peer went online or offline (§8.3.2; RFC 6121 §4.2).
  void presence(const message::presence_event& event);

  /// A binding to `peer` was made (true) or removed (false).
  void binding_changed(const std::string& peer, bool bound);

  /// Makes this authenticated, not yet bound stream the continuation of an
  /// existing session of the same account, without a bind IQ (XEP-0198
  /// resumption): `resource` and `peers` are that session's.
  void attach(std::string resource, std::vector<std::string> peers);

  /// A newer session took this resource (RFC 6120 §7.7.2.2): `conflict`.
  void replaced();

  /// The account was deleted: `not-authorized`.
  void gone();

  // -- to the transport --------------------------------------------------------

  /// Moves the actions asked for since the last call into `out` (cleared first).
  void take_actions(std::vector<c2s_action>& out);

  /// True while input should not be read: an answer is awaited that later
  /// input depends on, or too many requests are outstanding.
  bool waiting() const noexcept;

  /// True once the stream has ended (closed, failed); nothing more happens.
  bool finished() const noexcept {
    return phase_ == phase::finished;
  }

  /// True once TLS protects the stream.
  bool tls() const noexcept {
    return tls_;
  }

  /// The authenticated account's bare JID, or empty.
  const std::string& address() const noexcept {
    return address_;
  }

  /// The bound resource, or empty.
  const std::string& resource() const noexcept {
    return resource_;
  }

  /// The account's bound peers, as the session knows them.
  const std::vector<std::string>& peers() const noexcept {
    return peers_;
  }

  /// True once a resource is bound and the session open.
  bool bound() const noexcept {
    return phase_ == phase::bound;
  }

  /// The AS's domain.
  const std::string& domain() const noexcept {
    return settings_.domain;
  }

  // -- for modules ---------------------------------------------------------------

  /// Writes a stanza to the client; modules see it in on_stanza_out().
  void send_stanza(const element& stanza);

  /// Writes a stream-level element that is not a stanza (no module sees it).
  void send_nonza(const element& e);

  /// Writes a stanza exactly as given, as a resend: modules do not see it.
  void resend_stanza(const std::string& xml);

  /// Queues an action for the transport, after what was asked before.
  void act(c2s_action action);

private:
  enum class phase {
    header,   // waiting for the client's stream header
    features, // header answered; negotiating TLS, SASL or binding
    binding,  // waiting for the session to open
    bound,    // stanzas flow
    finished,
  };

  struct pending_request {
    element stanza;
    bool deletes_account = false;
    // Holds a slot of the registration limit, given back unless it succeeds.
    bool registration = false;
    std::chrono::steady_clock::time_point made;
  };

  void pump();
  void wake_parser();
  void handle_open(const stream_open& open);
  void handle_element(element& e);
  void handle_sasl(const element& e);
  void apply_sasl(sasl_outcome outcome);
  void handle_bind(const element& iq);
  void handle_stanza(element& e);
  void handle_iq(const element& iq);
  void handle_message(const element& msg);
  void register_account(const element& iq, account::register_request r);
  bool handle_server_iq(const element& iq);
  std::uint64_t call(const element& stanza, c2s_request request);
  void to_client(element stanza);
  void send_features();
  void write(std::string_view bytes);
  void restart_stream();
  std::string full_jid() const;

  c2s_settings settings_;
  std::string remote_;
  // Null while a bound, idle stream hibernates: see pump().
  std::unique_ptr<xml_stream> parser_;
  std::unique_ptr<sasl_negotiation> sasl_; // made when TLS (or direct TLS) is up
  std::vector<channel_binding> bindings_;
  std::vector<std::unique_ptr<c2s_module>> modules_;
  std::vector<c2s_action> actions_;
  std::map<std::uint64_t, pending_request> pending_;
  std::uint64_t next_id_ = 1;
  std::vector<std::string> peers_;
  std::string stream_id_;
  std::string address_;
  std::string resource_;
  std::optional<element> bind_iq_; // the bind request awaiting the open
  std::vector<element> early_;      // for the client, arrived before the open's answer
  phase phase_ = phase::header;
  bool tls_ = false;
  bool header_sent_ = false;
  bool authenticated_ = false;
  bool roster_requested_ = false; // RFC 6121 §2.1.6: pushes only to interested resources
  bool gone_ = false;             // the account was deleted while a request was out
};

} // namespace irsp::xmpp
