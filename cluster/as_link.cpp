// IRSP §8.5–8.7 between ASs: the link to one peer AS — its own actor system,
// mutual TLS with the peer's CA only, redial with backoff, and the endpoint
// that admits only schema requests from the peer's domain.
#include "cluster/as_link.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <type_traits>
#include <vector>

#include "actors/service_actor.hpp"
#include "cluster/as_link_atoms.hpp"
#include "cluster/as_link_codec.hpp"
#include "cluster/as_link_queue.hpp"
#include "cluster/openssl_error_queue.hpp"

namespace irsp::cluster {

namespace {

using message::app_message_request;
using message::app_message_response;
using message::push_request;
using message::push_response;
using message::upload_request;
using message::upload_response;

// The answer of each kind of request, and what it is when the peer cannot
// be reached, refuses the source, or fails.
template <class Request>
struct kind_of;
template <>
struct kind_of<upload_request> {
  using response = upload_response;
  static response unreachable() { return {message::upload_status::PEER_UNREACHABLE, {}}; }
  static response refused() { return {message::upload_status::NOT_ALLOWED, {}}; }
  static response failed() { return {message::upload_status::APPLICATION_FAILURE, {}}; }
};
template <>
struct kind_of<push_request> {
  using response = push_response;
  static response unreachable() { return {message::push_status::PEER_UNREACHABLE, 0}; }
  static response refused() { return {message::push_status::NOT_ALLOWED, 0}; }
  static response failed() { return {message::push_status::STORAGE_FAILURE, 0}; }
};
template <>
struct kind_of<app_message_request> {
  using response = app_message_response;
  static response unreachable() {
    return {message::app_message_status::PEER_UNREACHABLE, {}};
  }
  static response refused() { return {message::app_message_status::NOT_ALLOWED, {}}; }
  static response failed() { return {message::app_message_status::APPLICATION_FAILURE, {}}; }
};

template <>
struct kind_of<account::bind_request> {
  using response = message::bind_status;
  static response unreachable() { return message::bind_status::PEER_UNREACHABLE; }
  static response refused() { return message::bind_status::NOT_A_USER; }
  static response failed() { return message::bind_status::STORAGE_FAILURE; }
};
template <>
struct kind_of<message::direct_request> {
  using response = message::direct_response;
  static response unreachable() { return {message::direct_status::PEER_UNREACHABLE, 0}; }
  static response refused() { return {message::direct_status::NOT_ALLOWED, 0}; }
  static response failed() { return {message::direct_status::STORAGE_FAILURE, 0}; }
};

template <>
struct kind_of<link_presence> {
  using response = link_ack;
  static response unreachable() { return {}; }
  static response refused() { return {}; }
  static response failed() { return {}; }
};
template <>
struct kind_of<link_probe> : kind_of<link_presence> {};
template <>
struct kind_of<account::unbind_request> {
  using response = message::unbind_status;
  static response unreachable() { return message::unbind_status::STORAGE_UNAVAILABLE; }
  static response refused() { return message::unbind_status::NOT_BOUND; }
  static response failed() { return message::unbind_status::STORAGE_FAILURE; }
};

void log_line(const as_link_config& cfg, const std::string& what) {
  std::fprintf(stderr, "irsp-node: as-link %s: %s\n", cfg.peer.domain.c_str(), what.c_str());
}

// -- the link actor: what the router sends to the peer -----------------------

struct link_state {
  as_link_config cfg;
  caf::actor connector; // the link system's caf::openssl middleman actor
  caf::actor endpoint;  // ours, told to the peer we dial
  // The peer's endpoints, newest last: one when we dial; when it dials us,
  // one per node of the peer's cluster that did. Empty: not connected.
  std::vector<caf::actor> peers;
  const caf::actor* peer() const { return peers.empty() ? nullptr : &peers.back(); }
  unsigned failures = 0;
  bool dialing = false;
  bool failure_logged = false; // one line per outage, not per attempt
  std::shared_ptr<as_link_queue> queue; // pushes waiting for the peer; may be null
  bool draining = false;                // the queue's front is on its way

  static inline const char* name = "irsp.as-link";
};

using link_actor = caf::stateful_actor<link_state>;

std::chrono::milliseconds backoff(const link_state& st) {
  auto shift = std::min(st.failures, 16u);
  auto delay = st.cfg.backoff_base * (1LL << shift);
  return std::min<std::chrono::milliseconds>(delay, st.cfg.backoff_max);
}

void drain(link_actor* self);

void adopt(link_actor* self, caf::actor peer) {
  auto& st = self->state;
  if (!peer || std::find(st.peers.begin(), st.peers.end(), peer) != st.peers.end())
    return;
  self->monitor(peer);
  st.peers.push_back(std::move(peer));
  st.failures = 0;
  st.failure_logged = false;
  log_line(st.cfg, "up");
  drain(self);
}

// Sends the queue's front, and on its answer removes it and sends the next:
// one at a time, so they arrive in order, and each is removed only once the
// peer has answered for it.
void drain(link_actor* self) {
  auto& st = self->state;
  if (!st.queue || st.draining || !st.peer())
    return;
  auto item = st.queue->front();
  if (!item)
    return;
  st.draining = true;
  auto seq = item->first;
  self->request(*st.peer(), st.cfg.request_timeout, as_frame_atom::value, std::move(item->second))
    .then(
      [self, seq](std::string& bytes) {
        auto& st = self->state;
        st.draining = false;
        push_response push;
        message::direct_response direct;
        message::unbind_status unbind;
        if (decode_reply(bytes, unbind)) {
          // the peer's side is gone, or was already
        } else if (decode_reply(bytes, push)) {
          if (push.status != message::push_status::DELIVERED
              && push.status != message::push_status::QUEUED)
            log_line(st.cfg, "a queued push ended " + message::status_name(push.status));
        } else if (decode_reply(bytes, direct)) {
          if (direct.status != message::direct_status::DELIVERED
              && direct.status != message::direct_status::QUEUED)
            log_line(st.cfg, "a queued message ended " + message::status_name(direct.status));
        } else {
          log_line(st.cfg, "a queued frame got no reply it could read; dropped");
        }
        if (!st.queue->pop(seq)) {
          log_line(st.cfg, "cannot remove a sent push from the queue (storage failure)");
          return;
        }
        drain(self);
      },
      [self](caf::error&) {
        // Lost or slow: the front stays, and goes again when the peer is.
        self->state.draining = false;
        self->delayed_send(self, backoff(self->state), as_dial_atom::value);
      });
}

void dial(link_actor* self);

void dial_later(link_actor* self) {
  auto& st = self->state;
  if (!st.cfg.peer.connect)
    return; // the peer dials us
  self->delayed_send(self, backoff(st), as_dial_atom::value);
}

void dial(link_actor* self) {
  auto& st = self->state;
  if (!st.cfg.peer.connect || st.dialing || st.peer())
    return;
  st.dialing = true;
  auto where = *st.cfg.peer.connect;
  auto timeout = std::max(st.cfg.request_timeout, std::chrono::milliseconds{2000});
  auto failed = [self, where](const std::string& why) {
    auto& st = self->state;
    st.dialing = false;
    ++st.failures;
    if (!st.failure_logged) {
      st.failure_logged = true;
      log_line(st.cfg, "cannot connect to " + where.to_string() + " (" + why
                         + "); retrying with backoff, logged once until it succeeds");
    }
    dial_later(self);
  };
  self->request(st.connector, timeout, caf::connect_atom::value, where.host, where.port)
    .then(
      [self, failed](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
        self->state.dialing = false;
        auto peer = caf::actor_cast<caf::actor>(ptr);
        if (!peer)
          return failed("nothing published there");
        // Our endpoint, for what the peer sends us over this connection.
        self->send(peer, as_hello_atom::value, self->state.endpoint);
        adopt(self, std::move(peer));
      },
      [self, failed](caf::error& err) { failed(self->system().render(err)); });
}

// Sends a request over the link; answered at once when the peer is not
// connected, and peer-unreachable when the link fails meanwhile.
template <class Request>
caf::result<typename kind_of<Request>::response> send_over(link_actor* self, Request& r) {
  using kind = kind_of<Request>;
  using response = typename kind::response;
  auto& st = self->state;
  if (!st.peer())
    return kind::unreachable();
  auto rp = self->make_response_promise<response>();
  self->request(*st.peer(), st.cfg.request_timeout, as_frame_atom::value, encode_request(r))
    .then(
      [rp](std::string& bytes) mutable {
        response out{};
        if (!decode_reply(bytes, out))
          out = kind::failed();
        rp.deliver(std::move(out));
      },
      [rp](caf::error&) mutable { rp.deliver(kind::unreachable()); });
  return rp;
}

// News for the peer, if it is there; its ack is of no interest.
void tell(link_actor* self, std::string frame) {
  auto& st = self->state;
  if (st.peer())
    self->request(*st.peer(), st.cfg.request_timeout, as_frame_atom::value, std::move(frame))
      .then([](std::string&) {}, [](caf::error&) {});
}

// One-way traffic (pushes, user<->device messages): straight over while the
// peer is connected and nothing waits, else behind what waits, durably.
template <class Request, class Status>
caf::result<typename kind_of<Request>::response>
send_or_queue(link_actor* self, Request& r, Status queued, Status full, Status failed) {
  using response = typename kind_of<Request>::response;
  auto& st = self->state;
  if (!st.queue || (st.peer() && st.queue->size() == 0))
    return send_over(self, r);
  switch (st.queue->push(encode_request(r))) {
    case as_link_queue::put_result::full:
      return response{full, 0};
    case as_link_queue::put_result::failed:
      return response{failed, 0};
    case as_link_queue::put_result::stored:
      break;
  }
  drain(self);
  return response{queued, 0};
}

caf::behavior link_behavior(link_actor* self, as_link_config cfg, caf::actor connector,
                            caf::actor endpoint, std::shared_ptr<as_link_queue> queue) {
  auto& st = self->state;
  st.queue = std::move(queue);
  st.cfg = std::move(cfg);
  st.connector = std::move(connector);
  st.endpoint = std::move(endpoint);
  ignore_stray_errors(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = std::find_if(st.peers.begin(), st.peers.end(),
                          [&](const caf::actor& p) { return p.address() == dm.source; });
    if (i == st.peers.end())
      return;
    st.peers.erase(i);
    log_line(st.cfg, "lost (" + self->system().render(dm.reason) + ")");
    if (st.peers.empty())
      dial_later(self);
  });
  self->send(self, as_dial_atom::value);
  // Its handle goes over the link as the sender of its requests, so the
  // peer can name it: its own timer and news come only from itself and our
  // endpoint, and the requests it serves are types the link's system cannot
  // even decode.
  auto from = [self](const caf::actor& who) {
    return self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(who);
  };
  return {
    [self, from](as_dial_atom) {
      if (!from(caf::actor_cast<caf::actor>(self)))
        return;
      dial(self);
      drain(self);
    },
    // From our endpoint: the peer dialled us.
    [self, from](as_hello_atom, caf::actor& peer) {
      if (from(self->state.endpoint))
        adopt(self, std::move(peer));
    },
    [self](upload_request& r) { return send_over(self, r); },
    [self](push_request& r) -> caf::result<push_response> {
      return send_or_queue(self, r, message::push_status::QUEUED,
                           message::push_status::QUEUE_FULL, message::push_status::STORAGE_FAILURE);
    },
    [self](message::direct_request& r) -> caf::result<message::direct_response> {
      return send_or_queue(self, r, message::direct_status::QUEUED,
                           message::direct_status::QUEUE_FULL,
                           message::direct_status::STORAGE_FAILURE);
    },
    [self](account::bind_request& r) { return send_over(self, r); },
    // Presence is news of now: not queued while the peer is down (a probe
    // when its sessions come back asks again).
    [self](link_presence& r) { tell(self, encode_request(r)); },
    [self](link_probe& r) { tell(self, encode_request(r)); },
    // The other AS's side of a binding this AS's account removed: news that
    // waits (durably, in order with messages) while the peer is down.
    [self](account::unbind_request& r) {
      auto& st = self->state;
      if (!st.queue || (st.peer() && st.queue->size() == 0))
        return tell(self, encode_request(r));
      if (st.queue->push(encode_request(r)) != as_link_queue::put_result::stored)
        log_line(st.cfg, "cannot queue an unbind of " + r.peer + " by " + r.account);
      drain(self);
    },
    [self](app_message_request& r) { return send_over(self, r); },
  };
}

// -- the endpoint: the one actor the peer can reach --------------------------

struct endpoint_state {
  static inline const char* name = "irsp.as-link-endpoint";
};

using endpoint_actor = caf::stateful_actor<endpoint_state>;

// The link actor, spawned after the endpoint; read when a hello comes.
struct link_cell {
  std::mutex m;
  caf::actor link;
  caf::actor get() {
    std::lock_guard<std::mutex> g{m};
    return link;
  }
};

caf::behavior endpoint_behavior(endpoint_actor* self, as_link_config cfg,
                                std::shared_ptr<link_cell> cell) {
  ignore_stray_errors(self);
  // The peer can send it anything CAF can carry: an exit message (which
  // would stop it), or what it does not serve (which CAF would print).
  // Only a kill, which no handler can trap, stops it: the link's own.
  self->set_exit_handler([](caf::exit_msg&) {});
  self->set_default_handler(caf::drop);
  return {
    [self, cfg](as_frame_atom, const std::string& bytes) -> caf::result<std::string> {
      auto request = decode_request(bytes);
      if (!request) {
        log_line(cfg, "refused: a frame that is no LinkRequest");
        return caf::make_error(caf::sec::invalid_argument, "not a LinkRequest");
      }
      auto why = check_source(*request, cfg.peer.domain, cfg.own_domain);
      auto rp = self->make_response_promise<std::string>();
      std::visit(
        [&](auto& r) {
          using kind = kind_of<std::decay_t<decltype(r)>>;
          using response = typename kind::response;
          if (!why.empty()) {
            log_line(cfg, "refused: " + why);
            rp.deliver(encode_reply(kind::refused()));
            return;
          }
          self->request(cfg.router, cfg.request_timeout, as_link_atom::value, std::move(r))
            .then([rp](response& out) mutable { rp.deliver(encode_reply(out)); },
                  [rp](caf::error&) mutable { rp.deliver(encode_reply(kind::failed())); });
        },
        *request);
      return rp;
    },
    [self, cell](as_hello_atom, caf::actor& peer) {
      // Only a proxy of a connected node, which the peer's CA vouched for.
      auto link = cell->get();
      if (link && peer && peer.node() != self->node())
        self->send(link, as_hello_atom::value, std::move(peer));
    },
  };
}

} // namespace

std::optional<as_peer> parse_as_peer(const std::string& spec, std::string& error) {
  as_peer out;
  std::size_t at = 0;
  while (at <= spec.size()) {
    auto comma = spec.find(',', at);
    auto item = spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      error = "--as-peer " + spec + ": '" + item + "' is not key=value";
      return std::nullopt;
    }
    auto key = item.substr(0, eq);
    auto value = item.substr(eq + 1);
    if (key == "domain") {
      out.domain = value;
    } else if (key == "ca") {
      out.ca_file = value;
    } else if (key == "connect" || key == "listen") {
      auto e = parse_endpoint(value);
      if (!e) {
        error = "--as-peer " + spec + ": " + key + "=" + value + " is not host:port";
        return std::nullopt;
      }
      (key == "connect" ? out.connect : out.listen) = *e;
    } else {
      error = "--as-peer " + spec + ": unknown key '" + key
              + "' (domain, ca, connect, listen)";
      return std::nullopt;
    }
  }
  // A domain names a directory (its queue): letters, digits, '.', '-'.
  for (char c : out.domain)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')
        || out.domain.front() == '.') {
      error = "--as-peer " + spec + ": '" + out.domain + "' is not a domain";
      return std::nullopt;
    }
  if (out.domain.empty() || out.ca_file.empty() || (!out.connect && !out.listen)) {
    error = "--as-peer " + spec + ": needs domain=, ca= and connect= or listen=";
    return std::nullopt;
  }
  return out;
}

struct as_link::impl {
  as_link_config cfg;
  std::unique_ptr<caf::actor_system_config> sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor endpoint;
  caf::actor link;
  std::uint16_t port = 0;

  ~impl() {
    if (!sys)
      return;
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(endpoint, caf::exit_reason::kill); // it traps the others
    link = nullptr;
    endpoint = nullptr;
    sys.reset(); // closes the listener and the connections
  }
};

as_link::as_link(std::unique_ptr<impl> d) : d_(std::move(d)) {}
as_link::~as_link() = default;

caf::actor as_link::handle() const { return d_->link; }
std::uint16_t as_link::listen_port() const { return d_->port; }
const as_link_config& as_link::config() const { return d_->cfg; }

std::unique_ptr<as_link> as_link::start(as_link_config config, std::string& error) {
  namespace fs = std::filesystem;
  for (auto* f : {&config.cert_file, &config.key_file, &config.peer.ca_file})
    if (!fs::exists(*f)) {
      error = "AS link to " + config.peer.domain + ": no file " + *f;
      return nullptr;
    }
  if (!openssl_error_queue_guarded())
    return nullptr;
  std::shared_ptr<as_link_queue> queue;
  if (!config.queue_dir.empty()) {
    queue = as_link_queue::open(config.queue_dir, config.max_queued, error);
    if (!queue)
      return nullptr;
  }
  auto d = std::make_unique<impl>();
  d->cfg = config;
  d->sys_cfg = std::make_unique<caf::actor_system_config>();
  auto& c = *d->sys_cfg;
  c.load<caf::io::middleman>();
  c.load<caf::openssl::manager>();
  // The peer's CA is the only one this system trusts: a certificate of any
  // other CA (our cluster's, another peer's) fails the handshake both ways.
  c.openssl_certificate = config.cert_file;
  c.openssl_key = config.key_file;
  c.openssl_cafile = config.peer.ca_file;
  c.set("scheduler.max-threads", size_t{1});
  c.set("scheduler.policy", caf::atom("sharing"));
  c.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(500)});
  c.set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds(3000)});
  d->sys = std::make_unique<caf::actor_system>(c);
  auto& sys = *d->sys;
  // The endpoint first (the link introduces it to the peer), then the link;
  // the endpoint needs the link only for a hello, which comes over the
  // network once we listen or dial.
  auto cell = std::make_shared<link_cell>();
  d->endpoint = sys.spawn([config, cell](endpoint_actor* self) {
    return endpoint_behavior(self, config, cell);
  });
  auto connector = caf::actor_cast<caf::actor>(sys.openssl_manager().actor_handle());
  {
    std::lock_guard<std::mutex> g{cell->m};
    d->link = sys.spawn([config, connector, ep = d->endpoint, queue](link_actor* self) {
      return link_behavior(self, config, connector, ep, queue);
    });
    cell->link = d->link;
  }
  if (config.peer.listen) {
    auto& l = *config.peer.listen;
    auto port = caf::openssl::publish(d->endpoint, l.port, l.host.c_str(), true);
    if (!port) {
      error = "AS link to " + config.peer.domain + ": cannot listen on " + l.to_string() + ": "
              + sys.render(port.error());
      return nullptr;
    }
    d->port = *port;
  }
  return std::unique_ptr<as_link>(new as_link(std::move(d)));
}

} // namespace irsp::cluster
