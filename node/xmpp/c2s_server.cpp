// RFC 6120 §3, XEP-0368: the node's XMPP client front end.
#include "node/xmpp/c2s_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include <caf/all.hpp>

#include "actors/account/credentials.hpp"
#include "node/net/io_loop.hpp"
#include "node/net/tcp_listener.hpp"
#include "node/net/work_pool.hpp"
#include "node/xmpp/c2s_host.hpp"
#include "node/xmpp/c2s_resumables.hpp"

namespace irsp::xmpp {

namespace {

unsigned or_cores(unsigned n) {
  return n != 0 ? n : std::max(1u, std::thread::hardware_concurrency());
}

// RFC 6120 §4.9.3.17: refused before any work is spent on the connection.
constexpr std::string_view busy_stream =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
  "<stream:error><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>"
  "too many logins in progress; try again shortly</text></stream:error></stream:stream>";

} // namespace

struct c2s_server::impl {
  std::shared_ptr<const c2s_config> config;
  c2s_shared shared;
  std::vector<std::unique_ptr<net::io_loop>> loops;
  std::vector<std::unique_ptr<c2s_host>> hosts;
  std::unique_ptr<net::tcp_listener> starttls;
  std::unique_ptr<net::tcp_listener> direct_tls;
  std::uint16_t port = 0;
  std::uint16_t tls_port = 0;
  bool stopped = false;
  // Admission control's log: one line when refusing starts, then a count
  // at most every ten seconds (on loop 0, the listeners' thread).
  std::size_t refused = 0;
  std::chrono::steady_clock::time_point refused_logged{};

  void log(const std::string& line) {
    if (config->log)
      config->log(line);
    else
      std::fwrite(line.data(), 1, line.size(), stderr);
  }

  void refuse(net::accepted& a, bool direct) {
    ++refused;
    auto now = std::chrono::steady_clock::now();
    if (refused == 1 || now - refused_logged >= std::chrono::seconds(10)) {
      log("irsp-node: c2s: refusing connections, " + std::to_string(refused)
          + " so far: too many logins in progress (limit "
          + std::to_string(config->max_logins_in_progress) + ")\n");
      refused_logged = now;
    }
    if (direct) {
      // Nothing can be said before TLS: a reset is the clearest refusal.
      linger hard{1, 0};
      ::setsockopt(a.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    } else {
      [[maybe_unused]] auto n =
        ::send(a.fd, busy_stream.data(), busy_stream.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    ::close(a.fd);
  }

  void accept(net::accepted a, bool direct) {
    if (shared.logins.load(std::memory_order_relaxed) >= config->max_logins_in_progress)
      return refuse(a, direct);
    auto& host = *std::min_element(hosts.begin(), hosts.end(), [](auto& x, auto& y) {
      return x->load() < y->load();
    });
    shared.memory.opened(shared.connections.fetch_add(1, std::memory_order_relaxed) + 1);
    host->adopt(std::move(a), direct);
  }
};

c2s_server::c2s_server(std::unique_ptr<impl> d) : impl_(std::move(d)) {
}

c2s_server::~c2s_server() {
  stop();
}

std::unique_ptr<c2s_server> c2s_server::start(caf::actor_system& system, c2s_config config,
                                              const c2s_start_options& options,
                                              std::string& error) {
  tls::server_options so;
  so.cert_file = options.cert_file;
  so.key_file = options.key_file;
  so.alpn = {"xmpp-client"}; // XEP-0368
  auto context = tls::server_context::create(so, error);
  if (!context)
    return nullptr;
  config.tls = std::make_shared<const tls::server_context>(std::move(*context));
  if (config.settings.fake_salt_key.empty()) {
    // Secret and stable: the node's own private key, hashed.
    std::ifstream in{options.key_file, std::ios::binary};
    std::string pem{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    config.settings.fake_salt_key =
      account::scram_digest(account::scram_hash::sha256, "irsp fake salt key\n" + pem);
  }
  if (!config.resumables)
    config.resumables = std::make_shared<c2s_resumables>();
  auto d = std::make_unique<impl>();
  auto io_threads = or_cores(config.io_threads);
  d->shared.pool = std::make_unique<net::work_pool>(or_cores(config.work_threads));
  d->config = std::make_shared<const c2s_config>(std::move(config));
  for (unsigned i = 0; i < io_threads; ++i) {
    d->loops.push_back(std::make_unique<net::io_loop>());
    d->hosts.push_back(std::make_unique<c2s_host>(system, *d->loops.back(), d->config, d->shared));
  }
  auto* raw = d.get();
  d->port = options.port;
  d->starttls = net::tcp_listener::open(
    *d->loops.front(), options.address, d->port,
    [raw](net::accepted a) { raw->accept(std::move(a), false); }, error);
  if (!d->starttls)
    return nullptr;
  d->tls_port = options.tls_port;
  d->direct_tls = net::tcp_listener::open(
    *d->loops.front(), options.address, d->tls_port,
    [raw](net::accepted a) { raw->accept(std::move(a), true); }, error);
  if (!d->direct_tls)
    return nullptr;
  for (auto& loop : d->loops)
    loop->start("irsp.io");
  d->starttls->start();
  d->direct_tls->start();
  return std::unique_ptr<c2s_server>(new c2s_server(std::move(d)));
}

void c2s_server::stop() {
  auto& d = *impl_;
  if (d.stopped)
    return;
  d.stopped = true;
  {
    std::promise<void> closed;
    d.loops.front()->post([&] {
      d.starttls->close();
      d.direct_tls->close();
      closed.set_value();
    });
    closed.get_future().wait();
  }
  std::vector<std::promise<void>> ended(d.hosts.size());
  for (std::size_t i = 0; i < d.hosts.size(); ++i)
    d.hosts[i]->shutdown([p = &ended[i]] { p->set_value(); });
  for (auto& p : ended)
    p.get_future().wait();
  for (auto& loop : d.loops)
    loop->stop();
  d.hosts.clear(); // terminates the companions
  d.starttls.reset();
  d.direct_tls.reset();
  d.loops.clear();
  d.shared.pool.reset();
}

std::uint16_t c2s_server::port() const noexcept {
  return impl_->port;
}

std::uint16_t c2s_server::tls_port() const noexcept {
  return impl_->tls_port;
}

std::size_t c2s_server::connections() const noexcept {
  return impl_->shared.connections.load(std::memory_order_relaxed);
}

std::size_t c2s_server::logins_in_progress() const noexcept {
  return impl_->shared.logins.load(std::memory_order_relaxed);
}

} // namespace irsp::xmpp
