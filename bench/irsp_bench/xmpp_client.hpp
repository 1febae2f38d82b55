// irsp-bench: one client connection's state machine. RFC 6120 §4 (streams),
// §5 (STARTTLS), §6 (SASL), §7 (binding); XEP-0368 (direct TLS); XEP-0077
// (in-band registration); RFC 6121 §4.2 (initial presence).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "bench/irsp_bench/bench_options.hpp"
#include "bench/irsp_bench/connection_plan.hpp"
#include "bench/irsp_bench/event_loop.hpp"
#include "bench/irsp_bench/sasl_client.hpp"
#include "node/tls/session.hpp"
#include "node/xmpp/xml/xml_stream.hpp"

namespace irsp::tls {
class client_context;
}

namespace irsp::bench {


/// The defined condition of a stanza's `<error/>` (RFC 6120 §8.3.3), e.g.
/// "service-unavailable".
std::string stanza_error_condition(const xmpp::element& stanza);

/// The clock of every timestamp in irsp-bench.
using bench_clock = std::chrono::steady_clock;

/// What all connections of one thread share.
struct client_environment {
  /// The run's options.
  const bench_options* options = nullptr;
  /// The servers' addresses (a connection uses the one its plan names).
  const std::vector<target_endpoint>* targets = nullptr;
  /// Loopback source addresses to bind; empty: the kernel chooses.
  std::vector<sockaddr_in> sources;
  /// SCRAM key caches (both null: no caching).
  key_caches keys;
  /// Makes the TLS sessions (no certificate verification).
  const tls::client_context* tls = nullptr;
  /// This thread's gsasl handle.
  const sasl_library* sasl = nullptr;
  /// The thread's epoll set.
  event_loop* loop = nullptr;
};

class xmpp_client;

/// Told what happens to a client; implemented by the scenario driver.
class client_observer {
public:
  virtual ~client_observer() = default;

  /// The session is bound and initial presence was sent.
  virtual void on_ready(xmpp_client& client) = 0;

  /// The connection ended, or will not be established; `reason` names the
  /// phase and the cause ("sasl: not-authorized", "timeout in binding").
  virtual void on_failed(xmpp_client& client, const std::string& reason) = 0;

  /// A stanza (message, presence, or an iq result or error) arrived on a
  /// ready session. Requests (iq get/set) from the server are answered by
  /// the client itself and not passed on.
  virtual void on_stanza(xmpp_client& client, const xmpp::element& stanza) = 0;
};

/// Times of the login milestones; unset ones are the epoch.
struct login_times {
  /// connect() was called.
  bench_clock::time_point started;
  /// The TCP connection was established.
  bench_clock::time_point tcp_done;
  /// The TLS handshake completed.
  bench_clock::time_point tls_done;
  /// How long XEP-0077 registration took (not part of a login).
  bench_clock::duration registration{};
  /// SASL `<success/>` was verified.
  bench_clock::time_point auth_done;
  /// The bind result arrived.
  bench_clock::time_point bound;
  /// The session is ready: bound, and with --legacy-session the session
  /// IQ answered.
  bench_clock::time_point ready;
};

/// One XMPP client connection over a non-blocking socket: TCP connect, TLS
/// (STARTTLS or direct), optional in-band registration, SASL, bind, initial
/// presence; then it sends what the driver gives it and hands back the
/// stanzas it receives.
class xmpp_client final : public io_handler {
public:
  /// Where the login is.
  enum class state {
    idle,
    tcp_connecting,
    stream_plain,      // plaintext stream open, waiting for features
    starttls_sent,     // waiting for <proceed/>
    stream_secure,     // TLS up, waiting for pre-auth features
    registering,       // XEP-0077 request sent
    authenticating,    // SASL exchange in progress
    stream_authed,     // restarted after SASL, waiting for features
    binding,           // bind request sent
    session_iq,        // legacy session IQ sent (RFC 3921 §3)
    ready,             // bound, presence sent
    closing,           // our </stream:stream> sent
    closed,            // ended by a close from either side
    failed,            // ended by an error
  };

  /// A client for account `localpart`, numbered `index` within its worker,
  /// connecting to `env.targets[target]` from `env.sources[source]` (when
  /// there are sources).
  xmpp_client(const client_environment& env, client_observer& observer, int index,
              std::string localpart, int target, int source);
  ~xmpp_client() override;
  xmpp_client(const xmpp_client&) = delete;
  xmpp_client& operator=(const xmpp_client&) = delete;

  /// Opens the socket and starts connecting; false (and on_failed) when the
  /// socket cannot even be created.
  bool start();

  /// Sends a stanza on a ready session.
  void send(const xmpp::element& stanza);

  /// Ends a ready session politely: `</stream:stream>` and a TLS
  /// close_notify; the socket closes when the server answers in kind.
  void close();

  /// Closes the socket now, whatever the state.
  void abort();

  /// Fails the login if it is still under way at `now` past `deadline`.
  void check_login_deadline(bench_clock::time_point now, bench_clock::time_point deadline);

  /// Current state.
  state current_state() const noexcept {
    return state_;
  }

  /// True while logging in (connect started, not yet ready, not ended).
  bool logging_in() const noexcept;

  /// True once closed or failed: no socket any more.
  bool ended() const noexcept {
    return state_ == state::closed || state_ == state::failed;
  }

  /// The number given at construction.
  int index() const noexcept {
    return index_;
  }

  /// `localpart@domain`.
  const std::string& bare_jid() const noexcept {
    return bare_jid_;
  }

  /// The full JID the server bound; empty before binding.
  const std::string& full_jid() const noexcept {
    return full_jid_;
  }

  /// The SASL mechanism used; empty before authentication.
  const std::string& mechanism() const noexcept {
    return mechanism_;
  }

  /// Where the SCRAM key came from (none for PLAIN).
  key_use key_source() const noexcept {
    return key_source_;
  }

  /// The negotiated TLS version ("TLSv1.3"); empty before the handshake.
  std::string tls_version() const;

  /// Login milestones.
  const login_times& times() const noexcept {
    return times_;
  }

  /// The name of `s` for reports.
  static const char* state_name(state s) noexcept;

  /// Drives the connection on socket readiness (connect done, bytes in,
  /// room to write).
  void on_io(std::uint32_t events) override;

private:
  void finish_connect();
  void begin_tls();
  void open_stream();
  void read_socket();
  void take_bytes(const char* data, std::size_t size);
  void handle(const xmpp::element& el);
  void handle_features(const xmpp::element& features);
  void start_auth();
  void handle_sasl(const xmpp::element& el);
  void handle_iq_during_login(const xmpp::element& iq);
  void answer_request(const xmpp::element& iq);
  void become_ready();
  void send_plaintext(std::string_view bytes);
  void flush();
  void watch(bool want_write);
  void fail(std::string reason);
  void end(state final_state);

  const client_environment& env_;
  client_observer& observer_;
  int index_;
  int target_;
  int source_;
  key_use key_source_ = key_use::none;
  std::string localpart_;
  std::string bare_jid_;
  std::string full_jid_;
  std::string mechanism_;
  state state_ = state::idle;
  int fd_ = -1;
  bool watching_write_ = false;
  bool registered_ = false;
  bool tls_timed_ = false;
  // Unset until STARTTLS or the direct-TLS connect; then every byte passes it.
  std::optional<tls::session> tls_;
  xmpp::xml_stream stream_;
  std::unique_ptr<sasl_client> sasl_;
  std::vector<std::string> offered_mechanisms_;
  bench_clock::time_point registration_started_;
  // Bytes for the socket; out_sent_ of them already went.
  std::string out_;
  std::size_t out_sent_ = 0;
  login_times times_;
};

} // namespace irsp::bench
