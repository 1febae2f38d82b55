// RFC 6120 §3, §5, §13.9: one client connection's transport — the socket, TLS,
// and output bounds — on an I/O thread, driving a c2s_stream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/message.hpp>

#include "actors/message/exchanges.hpp"
#include "node/net/io_loop.hpp"
#include "node/net/tcp_listener.hpp"
#include "node/tls/session.hpp"
#include "node/xmpp/c2s_stream.hpp"
#include "node/xmpp/session_liveness.hpp"
#include "node/xmpp/stream_management.hpp"

namespace irsp::xmpp {

class c2s_host;

/// One client connection. Towards the logic layer it is the session
/// (host actor, id): it asks the account server for secrets and
/// registrations, opens the session at the router, sends requests to the
/// router and user<->device messages to its user/device actor, and takes
/// what that actor sends its sessions (delivery, presence_event,
/// bound/unbound, close "conflict", gone). It tells the user/device actor
/// when the session ends.
///
/// Everything runs on the host's I/O thread, except two kinds of slow step,
/// which run on the work pool while the connection is suspended (it reads
/// nothing and defers whatever else arrives): feeding the TLS handshake and
/// handing credentials to SASL (PLAIN hashes the password).
///
/// A bad connection is logged once, to `c2s_config::log`, as
/// `irsp-node: c2s ADDRESS:PORT: CONDITION: TEXT`.
class c2s_connection final : public net::io_handler {
public:
  /// A connection of `host` on the accepted socket; `direct_tls`: TLS
  /// starts with the first byte (XEP-0368).
  c2s_connection(c2s_host& host, std::uint64_t id, net::accepted socket, bool direct_tls);
  ~c2s_connection() override;

  c2s_connection(const c2s_connection&) = delete;
  c2s_connection& operator=(const c2s_connection&) = delete;

  /// Starts reading; the bind timer runs from here.
  void start();

  /// The socket is ready.
  void on_ready(std::uint32_t events) override;

  /// A message for the session, (id, ...) as the host received it, from
  /// the user/device actor or from a predecessor or successor connection.
  void on_session_message(const caf::message& msg, const caf::strong_actor_ptr& sender);

  /// XEP-0198: a successor resumes this session; the state it takes over.
  caf::expected<sm_state> hand_over(const std::string& address, std::uint32_t h,
                                    const message::session_ref& successor);

  /// The node is stopping: `system-shutdown`, then close.
  void shutdown();

  /// The account's user/device actor is gone without a word (its node died
  /// or it moved to another node): the session opens again at its home.
  void principal_lost(const caf::actor_addr& principal);

  /// This session as actors address it.
  message::session_ref ref() const;

  /// Whether it still counts as a login in progress (not yet bound).
  bool logging_in() const noexcept {
    return counted_login_;
  }

private:
  // Transport.
  void read_some();
  void on_bytes(const char* data, std::size_t size);
  void after_tls_feed(bool ok);
  void send_bytes(std::string_view plain);
  void flush_tls();
  void flush();
  bool can_read() const;
  void resume_reading();
  void close_connection();
  void abort_connection(std::string_view condition, std::string_view text);
  void peer_gone();
  void quit();
  void log_once(std::string_view condition, std::string_view text);
  void log_event(std::string_view what, std::string_view text);
  void set_socket_options();
  void compact_tls();
  void end_login();

  // Work pool.
  void offload(std::function<void()> work, std::function<void()> then);
  void job_done(std::function<void()> then);
  void defer(std::function<void()> fn);

  // Stream actions and the logic layer.
  void run_actions();
  void lookup(const c2s_lookup& l);
  void credentials(std::optional<account::scram_secret> secret, bool derives_key);
  void open_session(const c2s_open& o);
  void call(c2s_call& c);
  void apply_session_message(const caf::message& msg);

  // Issue 15: liveness checks; suspect and alive to the user/device actor.
  void start_liveness();
  void arm_liveness();
  void stop_liveness();
  void on_liveness_timer();
  void heard();
  void end_silent_session();
  bool is_suspect() const;
  void report(bool suspect);

  // XEP-0198.
  bool detach();
  void add_stream_management();
  void resume(const std::string& previd, std::uint32_t h);
  void take_over(const message::session_ref& holder, const std::string& previd, std::uint32_t h);
  void file_resumption_id(const std::string& resource);
  void watch_calls();
  void reopen(const std::string& resource);
  bool retry_open(std::function<void(c2s_connection&)> again);
  void predecessor_done();
  void on_sm_expire();

  c2s_host& host_;
  std::uint64_t id_;
  int fd_;
  std::string peer_; // "address:port", for the log
  std::unique_ptr<c2s_stream> stream_;
  std::optional<tls::session> tls_;
  std::string out_;         // bytes for the socket not yet written
  std::size_t out_pos_ = 0; // of out_, already written
  std::vector<c2s_action> actions_;
  caf::actor principal_; // the account's user/device actor, once bound
  // Opening the account's actor while its owner changes: retried until then.
  std::optional<std::chrono::steady_clock::time_point> open_deadline_;
  net::io_loop::timer_id bind_timer_ = 0;
  net::io_loop::timer_id calls_timer_ = 0; // see watch_calls()
  bool readable_ = false;      // the socket may have input we have not read
  bool reading_ = false;       // inside read_some()
  bool tls_reported_ = false;  // stream told that the handshake completed
  bool hello_answered_ = false; // the server's first TLS flight is made
  bool logged_ = false;
  bool closed_ = false;        // the socket is closed (or the stream is over)
  bool quit_ = false;
  bool busy_ = false;          // a work-pool job owns the stream and TLS
  bool counted_login_ = false; // counted in c2s_shared::logins
  std::vector<std::function<void()>> deferred_; // arrived while busy
  // XEP-0198 (the module is owned by the stream).
  stream_management* sm_ = nullptr;
  bool detached_ = false;              // the socket dropped; the session waits to be resumed
  message::session_ref successor_;     // took the session over: what arrives goes there
  message::session_ref predecessor_;   // handing the session over: its messages come first
  std::vector<caf::message> held_;     // the user/device actor's, until predecessor is done
  bool resumed_ = false;               // took the session over: the actor hears alive
  // Issue 15 (one timer at a time: the bind timer ends when this starts).
  std::optional<session_liveness> liveness_; // while bound and connected
  net::io_loop::timer_id live_timer_ = 0;
  bool told_suspect_ = false; // what the user/device actor last heard from us
};

} // namespace irsp::xmpp
