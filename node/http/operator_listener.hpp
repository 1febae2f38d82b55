// The operator's HTTP surface (issue 17 part 3): GET /metrics (Prometheus text
// exposition 0.0.4) and GET /health, on a listener of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "node/http/health.hpp"

namespace irsp::metrics {
class registry;
}

namespace irsp::http {

/// Plain HTTP on its own port (loopback unless the operator says otherwise),
/// served by cpp-httplib's thread pool, so a scrape never runs on an XMPP
/// I/O thread or an actor's. Idle, it costs nothing: its threads block in
/// accept() and on a condition variable, with no timer.
///
/// - `GET /metrics`: 200, `text/plain; version=0.0.4`, registry::render()
/// - `GET /health`: 200 or 503 with health_report's JSON
/// - another method on either path: 405 with `Allow: GET, HEAD`
/// - any other path: 404
class operator_listener {
public:
  ~operator_listener();
  operator_listener(const operator_listener&) = delete;
  operator_listener& operator=(const operator_listener&) = delete;

  /// Binds `host:port` (port 0: any free port) and serves in the background.
  /// Nullptr on failure, with `error` naming the problem
  /// (`cannot listen on 127.0.0.1:9464: ...`).
  static std::unique_ptr<operator_listener>
  start(const std::string& host, std::uint16_t port, std::shared_ptr<const metrics::registry> metrics,
        std::function<health_report()> health, std::string& error);

  /// The port in use.
  std::uint16_t port() const noexcept;

  /// Stops accepting, lets requests in progress finish, joins the threads.
  /// Idempotent.
  void stop();

private:
  struct impl;
  explicit operator_listener(std::unique_ptr<impl> d);
  std::unique_ptr<impl> impl_;
};

} // namespace irsp::http
