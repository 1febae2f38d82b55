// RFC 6120 client-to-server: what every client connection of a node shares.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "node/tls/tls_context.hpp"
#include "node/xmpp/c2s_metrics.hpp"
#include "node/xmpp/c2s_stream.hpp"
#include "node/xmpp/session_liveness.hpp"
#include "node/xmpp/stream_management.hpp"

namespace irsp::xmpp {

class c2s_resumables;

/// Everything the client connections of a node share. Immutable once
/// listening.
struct c2s_config {
  /// Stream settings (domain, XML limits, throttle, ...).
  c2s_settings settings;
  /// The listener's TLS credentials (TLS 1.2+).
  std::shared_ptr<const tls::server_context> tls;
  /// The message server's router.
  caf::actor router;
  /// The account server (SCRAM secrets, registration).
  caf::actor accounts;
  /// A session ended for good with deliveries its client never
  /// acknowledged (XEP-0198): each goes here (offline delivery keeps them:
  /// offline::keep_unacknowledged); empty: dropped.
  std::function<void(const std::string& address, message::delivery d)> unacknowledged;
  /// I/O threads; 0: one per core.
  unsigned io_threads = 0;
  /// Threads for TLS handshakes and password hashing; 0: one per core.
  unsigned work_threads = 0;
  /// Connections at once between accept and a bound session (TLS, SASL,
  /// binding). Past it, new connections are refused at once: STARTTLS ones
  /// with the stream error `resource-constraint`, direct-TLS ones with a
  /// reset. It bounds how long an admitted login waits under overload.
  std::size_t max_logins_in_progress = 512;
  /// Bytes queued for a client that is not reading before it is dropped.
  std::size_t max_output = 1024 * 1024;
  /// Time from connect to a bound session before `connection-timeout`.
  std::chrono::milliseconds bind_timeout{60000};
  /// XEP-0198: how long a session handed over waits for its successor to
  /// take it (and a successor for its predecessor to finish).
  std::chrono::milliseconds request_timeout{30000};
  /// Most bytes taken from one socket per wake-up, so that one busy client
  /// cannot starve the others on its I/O thread.
  std::size_t read_budget = 64 * 1024;
  /// How long an account's actor outlives its last session. After many
  /// sessions closed, their memory goes back to the system twice: soon (the
  /// connections) and once the account actors are gone too.
  std::chrono::milliseconds account_idle{30000};
  /// Kernel timeout for unacknowledged output (TCP_USER_TIMEOUT): reaps a
  /// peer that vanished or never reads, even after we closed our side.
  std::chrono::milliseconds tcp_user_timeout{60000};
  /// Idle time before TCP keepalive probes a silent connection (every 30 s
  /// after that, until the user timeout gives up); 0: no keepalive.
  std::chrono::seconds keepalive_idle{120};
  /// XEP-0198 bounds (unacked stanzas, resumption timeout).
  sm_limits sm;
  /// Issue 15: a bound session silent for `liveness.ping_interval` is
  /// checked (XEP-0198 `<r/>` or XEP-0199 ping), suspect when it does not
  /// answer within another interval, ended after `liveness.suspect_grace`.
  liveness_settings liveness;
  /// Resumable sessions of this node; made by start_c2s() when null.
  std::shared_ptr<c2s_resumables> resumables;
  /// What the streams count for /metrics; null: nothing is counted.
  std::shared_ptr<const c2s_metrics> metrics;
  /// Where the one line per bad connection goes; default stderr.
  std::function<void(const std::string& line)> log;
};

} // namespace irsp::xmpp
