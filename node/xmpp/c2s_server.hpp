// RFC 6120 §3, XEP-0368: the node's XMPP client front end — listeners
// (STARTTLS 5222, direct TLS 5223), I/O threads and the work pool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "node/xmpp/c2s_config.hpp"

namespace irsp::xmpp {

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

/// The client front end of a node: `io_threads` epoll loops, each serving
/// the connections it was given (new connections go to the least loaded
/// loop), and a work pool for TLS handshakes and password hashing.
///
/// Why not CAF brokers: CAF 0.17 runs every broker on the middleman's one
/// multiplexer thread, so all TLS, XML and SASL work of a node shared one
/// core, and each connection was an actor of its own (a few KiB each). Here
/// a connection is a plain object on one I/O thread, and one actor per
/// thread stands for all of its sessions towards the rest of the node.
class c2s_server {
public:
  ~c2s_server();

  /// Builds the TLS context (ALPN `xmpp-client`) and opens both listeners.
  /// When the config's fake salt key is empty, one derived from the node's
  /// private key is used, so it stays the same across restarts. Nullptr on
  /// failure, with `error` naming the problem (`cannot listen on
  /// 127.0.0.1:5222: ...`), and nothing left listening.
  static std::unique_ptr<c2s_server> start(caf::actor_system& system, c2s_config config,
                                           const c2s_start_options& options,
                                           std::string& error);

  /// Stops accepting, ends every stream with `system-shutdown`, waits until
  /// they have ended (so that what they hand on at the end, XEP-0198
  /// leftovers to the offline queue, still finds the actors behind them
  /// running), then stops the threads. Idempotent.
  void stop();

  /// The STARTTLS port in use.
  std::uint16_t port() const noexcept;

  /// The direct-TLS port in use.
  std::uint16_t tls_port() const noexcept;

  /// Connections open now (for metrics and tests).
  std::size_t connections() const noexcept;

  /// Connections between accept and a bound session (for metrics); the
  /// others of connections() carry a session.
  std::size_t logins_in_progress() const noexcept;

private:
  struct impl;
  explicit c2s_server(std::unique_ptr<impl> d);
  std::unique_ptr<impl> impl_;
};

} // namespace irsp::xmpp
