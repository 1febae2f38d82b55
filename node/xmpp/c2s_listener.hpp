// RFC 6120 §3, XEP-0368: the client listeners — STARTTLS (5222) and direct TLS (5223).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "node/xmpp/c2s_connection.hpp"

namespace irsp::xmpp {

/// Opens a TCP listener on `address`:`port` (0: any free port, which is then
/// written back to `port`) and spawns the broker that accepts on it, one
/// connection actor per client. `direct_tls`: connections start with TLS.
///
/// Send the listener an exit message to stop it: it stops accepting, ends
/// every stream it accepted with `system-shutdown`, and quits once they have.
caf::expected<caf::actor> spawn_c2s_listener(caf::actor_system& system,
                                             std::shared_ptr<const c2s_config> config,
                                             const std::string& address, std::uint16_t& port,
                                             bool direct_tls);

/// What a node tells start_c2s().
struct c2s_start_options {
  /// Address both listeners bind.
  std::string address = "127.0.0.1";
  /// STARTTLS port (0: any free port).
  std::uint16_t port = 5222;
  /// Direct-TLS port (0: any free port).
  std::uint16_t tls_port = 5223;
  /// PEM certificate chain of the node.
  std::string cert_file;
  /// PEM private key of the node.
  std::string key_file;
};

/// The two listeners of a node, with the ports they got.
struct c2s_listeners {
  /// The STARTTLS listener.
  caf::actor starttls;
  /// The direct-TLS listener.
  caf::actor direct_tls;
  /// The STARTTLS port it got.
  std::uint16_t port = 0;
  /// The direct-TLS port it got.
  std::uint16_t tls_port = 0;
};

/// Builds the TLS context (ALPN `xmpp-client`) and opens both listeners
/// with `config` (whose `tls` is filled in here; when its fake salt key is
/// empty, one derived from the node's private key is used, so it stays the
/// same across restarts). On failure returns nullopt with `error` naming
/// the problem (`cannot listen on 127.0.0.1:5222: ...`), and nothing is
/// left listening.
std::optional<c2s_listeners> start_c2s(caf::actor_system& system, c2s_config config,
                                       const c2s_start_options& options, std::string& error);

/// Stops both listeners and waits until every stream they accepted has
/// ended (with `system-shutdown`), so that what those sessions hand on at
/// the end (XEP-0198 leftovers to the offline queue) still finds the actors
/// behind them running.
void stop_c2s(caf::actor_system& system, c2s_listeners& listeners);

} // namespace irsp::xmpp
