// IRSP §8.8.3 transport: the HTTPS listener (RFC 2818, TLS 1.2+) external
// application servers send to. cpp-httplib serves it on a thread pool of its
// own, so neither TLS nor a waiting request ever runs on an XMPP I/O thread
// or blocks an actor; each accepted request is one §8.4 message to the router.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "node/http/inbound_request.hpp"

namespace irsp::http {

struct inbound_server_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;   ///< 0: any free port (see port())
  std::string cert_file;    ///< PEM, the node's certificate
  std::string key_file;
  unsigned threads = 8;     ///< requests served at once
  caf::actor router;
  std::shared_ptr<inbound_checker> checker;
  /// How long a request waits for the application before application-failure.
  std::chrono::milliseconds app_timeout{10000};
};

/// A running listener; stops in stop() or the destructor.
class inbound_server {
public:
  /// Binds and starts serving; null with `error` set on failure.
  static std::unique_ptr<inbound_server> start(caf::actor_system& system,
                                               inbound_server_config config,
                                               std::string& error);
  ~inbound_server();

  /// The port it listens on.
  std::uint16_t port() const;

  /// Stops accepting, finishes the requests in progress; idempotent.
  void stop();

  struct impl;

private:
  explicit inbound_server(std::unique_ptr<impl> d);
  std::unique_ptr<impl> impl_;
};

/// "HOST:PORT" -> (host, port); nullopt when it is not that.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& s);

} // namespace irsp::http
