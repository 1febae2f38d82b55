// IRSP §8.8.3 over HTTPS (RFC 2818; TLS 1.2+ per §9): cpp-httplib in, the
// router's §8.4 application messages out.
#include "node/http/inbound_server.hpp"

#include <httplib.h>
#include <openssl/ssl.h>

#include <caf/all.hpp>

#include <thread>

#include "actors/message/exchanges.hpp"
#include "node/http/inbound_reply.hpp"

namespace irsp::http {

struct inbound_server::impl {
  caf::actor_system& system;
  inbound_server_config config;
  std::unique_ptr<httplib::SSLServer> server;
  std::thread listener;
  std::uint16_t port = 0;

  impl(caf::actor_system& sys, inbound_server_config cfg) : system(sys), config(std::move(cfg)) {}

  static void send(httplib::Response& res, int http_status, std::string body, int retry_after) {
    res.status = http_status;
    if (retry_after > 0)
      res.set_header("Retry-After", std::to_string(retry_after));
    res.set_content(std::move(body), "application/json");
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    auto header = [&](const char* name) -> std::optional<std::string_view> {
      auto it = req.headers.find(name); // case-insensitive (httplib's ci map)
      if (it == req.headers.end())
        return std::nullopt;
      return std::string_view{it->second};
    };
    inbound_request r;
    r.method = req.method;
    // The path as sent, before httplib's percent-decoding: it is what the
    // sender signed. Application names need no escaping.
    std::string_view target{req.target};
    r.path = target.substr(0, target.find('?'));
    auto application = req.matches[1].str();
    r.application = application;
    r.key_id = header(key_header);
    r.timestamp = header(timestamp_header);
    r.nonce = header(nonce_header);
    r.signature = header(signature_header);
    r.body = req.body;
    using namespace std::chrono;
    auto now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    auto checked = config.checker->check(r, now);
    if (auto* no = std::get_if<refusal>(&checked)) {
      send(res, no->http_status, status_body(no->status, no->reason), no->retry_after);
      return;
    }
    auto& msg = std::get<inbound_message>(checked);
    message::app_message_response answer;
    answer.status = message::app_message_status::APPLICATION_FAILURE;
    caf::scoped_actor self{system};
    self
      ->request(config.router, config.app_timeout,
                message::app_message_request{msg.from, msg.application, std::move(msg.payload)})
      .receive([&](message::app_message_response& a) { answer = std::move(a); },
               [&](caf::error&) {});
    auto reply = reply_for(answer);
    send(res, reply.http_status, std::move(reply.body), reply.retry_after);
  }
};

std::optional<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return std::nullopt;
  auto host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535)
      return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535)
    return std::nullopt;
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

std::unique_ptr<inbound_server> inbound_server::start(caf::actor_system& system,
                                                      inbound_server_config config,
                                                      std::string& error) {
  auto d = std::make_unique<impl>(system, std::move(config));
  auto& c = d->config;
  d->server = std::make_unique<httplib::SSLServer>(c.cert_file.c_str(), c.key_file.c_str());
  if (!d->server->is_valid()) {
    error = "https: cannot use the certificate " + c.cert_file + " and key " + c.key_file;
    return nullptr;
  }
  // §9: TLS 1.2 at least (httplib's own floor is lower).
  SSL_CTX_set_min_proto_version(d->server->ssl_context(), TLS1_2_VERSION);
  auto threads = std::max(1u, c.threads);
  d->server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // A body far past the limit is cut off by httplib itself (413); up to
  // four times the limit it is read, so that the JSON refusal gets through
  // instead of a reset connection.
  d->server->set_payload_max_length(c.checker->limits().max_body * 4);
  // Server-to-server traffic: keep a connection for more than httplib's
  // default of 5 requests, each new one costs a TLS handshake.
  d->server->set_keep_alive_max_count(100);
  // httplib writes a response's head and body apart: without this, Nagle
  // holds the body until the client's delayed ACK, 40 ms a request.
  d->server->set_tcp_nodelay(true);
  auto* raw = d.get();
  d->server->Post(R"(/v1/apps/([A-Za-z0-9._-]+)/messages)",
                  [raw](const httplib::Request& req, httplib::Response& res) {
                    raw->handle(req, res);
                  });
  // Whatever httplib refuses by itself (another path, another method, a
  // body beyond the hard limit) still gets a JSON body with a status.
  d->server->set_error_handler(httplib::Server::HandlerWithResponse{
                                [](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty())
      return httplib::Server::HandlerResponse::Unhandled;
    auto status = res.status == 404   ? "no-such-resource"
                  : res.status == 413 ? "payload-too-large"
                  : res.status == 405 ? "method-not-allowed"
                                      : "malformed-request";
    res.set_content(status_body(status, "HTTP status " + std::to_string(res.status)),
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }});
  if (c.port == 0) {
    int port = d->server->bind_to_any_port(c.host);
    if (port <= 0) {
      error = "https: cannot listen on " + c.host;
      return nullptr;
    }
    d->port = static_cast<std::uint16_t>(port);
  } else {
    if (!d->server->bind_to_port(c.host, c.port)) {
      error = "https: cannot listen on " + c.host + ":" + std::to_string(c.port);
      return nullptr;
    }
    d->port = c.port;
  }
  d->listener = std::thread{[raw] { raw->server->listen_after_bind(); }};
  return std::unique_ptr<inbound_server>(new inbound_server(std::move(d)));
}

inbound_server::inbound_server(std::unique_ptr<impl> d) : impl_(std::move(d)) {}

inbound_server::~inbound_server() {
  stop();
}

std::uint16_t inbound_server::port() const {
  return impl_->port;
}

void inbound_server::stop() {
  if (!impl_ || !impl_->listener.joinable())
    return;
  impl_->server->stop();
  impl_->listener.join();
}

} // namespace irsp::http
