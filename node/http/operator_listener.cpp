// The operator's HTTP surface (issue 17 part 3): GET /metrics (Prometheus text
// exposition 0.0.4) and GET /health (RFC 9110 status codes), via cpp-httplib.
#include "node/http/operator_listener.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "node/metrics/registry.hpp"

namespace irsp::http {

namespace {

// Two threads: a scrape and a health probe at once never wait for each
// other, and nothing here needs more (cpp-httplib's default is 8).
constexpr std::size_t pool_threads = 2;

// A request is a request line and a few headers: nothing larger is read.
constexpr std::size_t max_body = 1024;

} // namespace

struct operator_listener::impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> finished{false};
  std::uint16_t port = 0;
};

operator_listener::operator_listener(std::unique_ptr<impl> d) : impl_(std::move(d)) {
}

operator_listener::~operator_listener() {
  stop();
}

std::unique_ptr<operator_listener>
operator_listener::start(const std::string& host, std::uint16_t port,
                         std::shared_ptr<const metrics::registry> metrics,
                         std::function<health_report()> health, std::string& error) {
  auto d = std::make_unique<impl>();
  auto& s = d->server;
  s.new_task_queue = [] { return new httplib::ThreadPool(pool_threads); };
  s.set_payload_max_length(max_body);
  // cpp-httplib's default sets SO_REUSEPORT: a second node given the same
  // port would bind it too and take half the scrapes. SO_REUSEADDR alone
  // allows a quick restart and refuses a port in use.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/health", [health](const httplib::Request&, httplib::Response& res) {
    auto report = health();
    res.status = report.ok ? 200 : 503;
    res.set_header("Cache-Control", "no-store");
    res.set_content(report.json, "application/json");
  });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
  };
  for (const auto* path : {"/metrics", "/health"}) {
    s.Post(path, not_allowed);
    s.Put(path, not_allowed);
    s.Patch(path, not_allowed);
    s.Delete(path, not_allowed);
    s.Options(path, not_allowed);
  }
  // Errors carry a one-line reason, so that a probe's log says what happened.
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty())
      return;
    const char* text = res.status == 404   ? "not found: /metrics and /health are served here"
                       : res.status == 405 ? "method not allowed: GET or HEAD"
                                           : "bad request";
    res.set_content(std::string{text} + "\n", "text/plain; charset=utf-8");
  });
  auto where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":"
               + std::to_string(port);
  errno = 0;
  int bound = port == 0 ? s.bind_to_any_port(host) : (s.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    error = "cannot listen on " + where + ": "
            + (errno != 0 ? std::strerror(errno) : "not a local address");
    return nullptr;
  }
  d->port = static_cast<std::uint16_t>(bound);
  auto* raw = d.get();
  d->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->finished = true;
  });
  // stop() only reaches a server that runs: wait until it does (at once).
  while (!raw->server.is_running() && !raw->finished)
    std::this_thread::yield();
  return std::unique_ptr<operator_listener>(new operator_listener(std::move(d)));
}

std::uint16_t operator_listener::port() const noexcept {
  return impl_->port;
}

void operator_listener::stop() {
  if (!impl_->thread.joinable())
    return;
  impl_->server.stop();
  impl_->thread.join();
}

} // namespace irsp::http
