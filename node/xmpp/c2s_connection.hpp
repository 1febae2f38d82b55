// RFC 6120 §3, §5, §13.9: one client connection's transport — the socket, TLS,
// and output bounds — as a CAF broker driving a c2s_stream.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/connection_handle.hpp>

#include "node/tls/tls_context.hpp"
#include "node/xmpp/c2s_stream.hpp"
#include "node/xmpp/stream_management.hpp"

namespace irsp::xmpp {

/// Tells a connection the node is stopping: it ends its stream with
/// `system-shutdown` and quits.
using c2s_shutdown_atom = caf::atom_constant<caf::atom("c2sstop")>;

/// XEP-0198 sessions that can be resumed, by resumption id: filed by the
/// connection that holds one, found by the connection that resumes it.
/// Thread-safe; holds no strong reference.
class c2s_resumables {
public:
  /// Files (or refiles) `id` as held by `holder`.
  void put(const std::string& id, const caf::actor_addr& holder);

  /// The holder of `id`, or a null handle.
  caf::actor find(const std::string& id) const;

  /// Forgets `id` if `holder` still holds it (a successor may have refiled it).
  void erase(const std::string& id, const caf::actor_addr& holder);

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, caf::actor_addr> by_id_;
};

/// Everything the connections of a node share. Immutable once listening.
struct c2s_config {
  /// Stream settings (domain, XML limits, throttle, ...).
  c2s_settings settings;
  /// The listener's TLS credentials (TLS 1.2+).
  std::shared_ptr<const tls::server_context> tls;
  /// The message server's router.
  caf::actor router;
  /// The account server (SCRAM secrets, registration).
  caf::actor accounts;
  /// The offline queue: what a client never acknowledged (XEP-0198) is
  /// stored there when its session ends; null: dropped.
  caf::actor offline;
  /// Bytes queued for a client that is not reading before it is dropped.
  std::size_t max_output = 1024 * 1024;
  /// Time from connect to a bound session before `connection-timeout`.
  std::chrono::milliseconds bind_timeout{60000};
  /// Time an actor request may take before the client gets an error.
  std::chrono::milliseconds request_timeout{30000};
  /// Most bytes taken from the socket per read.
  std::size_t read_size = 2048;
  /// Kernel timeout for unacknowledged output (TCP_USER_TIMEOUT): reaps a
  /// peer that vanished or never reads, even after we closed our side.
  std::chrono::milliseconds tcp_user_timeout{60000};
  /// Idle time before TCP keepalive probes a silent connection (every 30 s
  /// after that, until the user timeout gives up); 0: no keepalive.
  std::chrono::seconds keepalive_idle{120};
  /// XEP-0198 bounds (unacked stanzas, resumption timeout).
  sm_limits sm;
  /// Resumable sessions of this node; made by start_c2s() when null.
  std::shared_ptr<c2s_resumables> resumables;
  /// Where the one line per bad connection goes; default stderr.
  std::function<void(const std::string& line)> log;
};

/// Hands the connection `hdl`, just accepted by `listener`, to a new
/// connection actor and returns it. `direct_tls`: TLS starts with the first
/// byte (port 5223, XEP-0368); otherwise the stream negotiates STARTTLS.
///
/// Towards the logic layer the connection actor is the session: it asks the
/// account server for secrets and registrations, opens the session at the
/// router, sends requests to the router and user<->device messages to its
/// user/device actor, and takes what that actor sends its sessions
/// (delivery, presence_event, bound/unbound, close "conflict", gone).
/// It quits on c2s_shutdown_atom after ending the stream.
///
/// A bad connection is logged once, to `c2s_config::log`, as
/// `irsp-node: c2s ADDRESS:PORT: CONDITION: TEXT`.
caf::actor fork_c2s_connection(caf::io::broker* listener, caf::io::connection_handle hdl,
                               std::shared_ptr<const c2s_config> config, bool direct_tls);

} // namespace irsp::xmpp
