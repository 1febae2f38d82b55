// RFC 6120 §3, §5, §13.9: one client connection's transport on an I/O thread.
#include "node/xmpp/c2s_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <caf/all.hpp>

#include "actors/account/credentials.hpp"
#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"
#include "actors/message/resumption_atoms.hpp"
#include "actors/storage_errors.hpp"
#include "node/xmpp/c2s_host.hpp"
#include "node/xmpp/c2s_resumables.hpp"

namespace irsp::xmpp {

namespace {

// Which actor answers which request, and with what.
template <class Request>
struct answer_of;
template <>
struct answer_of<account::register_request> {
  using type = account::register_response;
};
template <>
struct answer_of<account::modify_request> {
  using type = account::modify_response;
};
template <>
struct answer_of<account::delete_request> {
  using type = account::delete_response;
};
template <>
struct answer_of<account::reset_code_request> {
  using type = account::reset_code_response;
};
template <>
struct answer_of<account::bind_request> {
  using type = message::bind_status;
};
template <>
struct answer_of<account::unbind_request> {
  using type = message::unbind_status;
};
template <>
struct answer_of<message::upload_request> {
  using type = message::upload_response;
};
template <>
struct answer_of<message::direct_request> {
  using type = message::direct_response;
};

// One line, whatever the peer put into the text: controls become spaces and
// the text is cut, so a client cannot forge or flood log lines.
std::string log_line(const std::string& peer, std::string_view condition,
                     std::string_view text) {
  constexpr std::size_t max_text = 300;
  std::string out = "irsp-node: c2s " + peer + ": ";
  auto append_clean = [&](std::string_view s, std::size_t limit) {
    std::size_t n = 0;
    for (char c : s) {
      if (n++ == limit) {
        out += "...";
        return;
      }
      out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
  };
  append_clean(condition, 64);
  out += ": ";
  append_clean(text, max_text);
  out += '\n';
  return out;
}

// A resumption id: 128 random bits, hex.
std::string hex_id() {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : account::random_bytes(16)) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

void default_log(const std::string& line) {
  // One fwrite on unbuffered stderr: one write(2), so lines of concurrent
  // connections do not interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::vector<channel_binding> channel_bindings(const tls::session& s) {
  std::vector<channel_binding> out;
  if (auto x = s.tls_exporter())
    out.push_back({"tls-exporter", std::move(*x)});
  if (auto e = s.tls_server_end_point())
    out.push_back({"tls-server-end-point", std::move(*e)});
  if (auto u = s.tls_unique())
    out.push_back({"tls-unique", std::move(*u)});
  return out;
}

// The connection ended while its open was on the way: the user/device actor
// has filed a session that no longer exists; it hears of its end now.
void gone_before_open(c2s_host* host, std::uint64_t id, const std::string& resource,
                      const caf::actor& principal) {
  if (principal)
    host->self()->send(principal, close_atom::value, resource,
                       message::session_ref{host->handle(), id});
}

// Runs `fn` on the connection `id` of `host` if it is still there.
template <class F>
void with(c2s_host* host, std::uint64_t id, F&& fn) {
  if (auto* c = host->find(id))
    fn(*c);
}

// One attempt to open the account's actor. Bounded, unlike the message path:
// what CAF 0.17 sends to an actor of a node whose connection was just lost
// (or that dies with the request in flight) is dropped without an answer,
// and a session must not wait for its actor forever. Longer than a router
// holds a request while the owners change (router_config::hold_for).
constexpr auto open_wait = std::chrono::seconds(12);

bool is_worth_retrying(const caf::error& e) {
  return is_storage_unavailable(e) || e == caf::sec::request_timeout;
}

} // namespace

c2s_connection::c2s_connection(c2s_host& host, std::uint64_t id, net::accepted socket,
                               bool direct_tls)
  : host_(host), id_(id), fd_(socket.fd), peer_(std::move(socket.peer)) {
  const auto& cfg = host_.config();
  stream_ = std::make_unique<c2s_stream>(cfg.settings, std::move(socket.address), direct_tls);
  add_stream_management();
  if (cfg.metrics)
    stream_->add_module(std::make_unique<c2s_metrics_module>(cfg.metrics));
  if (direct_tls)
    tls_.emplace(cfg.tls->new_session());
  counted_login_ = true;
  host_.shared().logins.fetch_add(1, std::memory_order_relaxed);
}

c2s_connection::~c2s_connection() {
  end_login();
  if (fd_ >= 0) {
    host_.loop().unwatch(fd_);
    ::close(fd_);
  }
}

message::session_ref c2s_connection::ref() const {
  return {host_.handle(), id_};
}

void c2s_connection::end_login() {
  if (counted_login_) {
    counted_login_ = false;
    host_.shared().logins.fetch_sub(1, std::memory_order_relaxed);
  }
}

void c2s_connection::start() {
  set_socket_options();
  // Edge-triggered, once for the connection's life: pausing input (while
  // the stream waits for an answer) is just not reading, with no epoll_ctl;
  // readable_ remembers that the kernel has more for us.
  host_.loop().watch(fd_, this, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  readable_ = true;
  auto* host = &host_;
  auto id = id_;
  bind_timer_ = host_.loop().after(host_.config().bind_timeout, [host, id] {
    with(host, id, [](c2s_connection& c) {
      c.bind_timer_ = 0;
      c.defer([&c] {
        if (!c.stream_->bound() && !c.stream_->finished()) {
          c.stream_->timeout("no session within "
                             + std::to_string(c.host_.config().bind_timeout.count() / 1000)
                             + " s");
          c.run_actions();
        }
      });
    });
  });
}

void c2s_connection::set_socket_options() {
  const auto& cfg = host_.config();
  int on = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  auto ms = static_cast<unsigned>(cfg.tcp_user_timeout.count());
  if (ms > 0)
    ::setsockopt(fd_, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
  // A peer that vanished while idle is found by keepalive probes, so its
  // session does not stay online for ever (probing is bounded by the user
  // timeout above).
  int idle = static_cast<int>(cfg.keepalive_idle.count());
  int interval = 30;
  if (idle > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  }
}

void c2s_connection::log_event(std::string_view what, std::string_view text) {
  auto line = log_line(peer_, what, text);
  if (host_.config().log)
    host_.config().log(line);
  else
    default_log(line);
}

void c2s_connection::log_once(std::string_view condition, std::string_view text) {
  if (logged_)
    return;
  logged_ = true;
  log_event(condition, text);
}

// -- the socket ----------------------------------------------------------------------

void c2s_connection::on_ready(std::uint32_t events) {
  if (fd_ < 0)
    return;
  if (events & EPOLLOUT)
    flush();
  if (fd_ < 0 || quit_)
    return;
  if (events & EPOLLERR) {
    peer_gone();
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) {
    // New input is an answer even while the stream holds reading back (a
    // FIN is not: the session is detached or ends instead).
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) == EPOLLIN)
      heard();
    readable_ = true;
    read_some();
  }
}

bool c2s_connection::can_read() const {
  // Backpressure: while the stream waits for an answer (or a job runs),
  // further input stays in the socket.
  return fd_ >= 0 && !busy_ && !quit_ && !closed_ && !stream_->waiting();
}

void c2s_connection::read_some() {
  if (reading_)
    return; // called back from inside the loop below, which goes on by itself
  reading_ = true;
  std::size_t budget = host_.config().read_budget;
  char chunk[16384];
  bool got = false;
  while (readable_ && can_read() && budget > 0) {
    auto n = ::read(fd_, chunk, std::min(sizeof chunk, budget));
    if (n > 0) {
      budget -= static_cast<std::size_t>(n);
      if (!got) {
        got = true;
        heard();
      }
      on_bytes(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      readable_ = false;
      break;
    }
    // FIN (the client went away, without a closing tag or after ours), or
    // an error.
    reading_ = false;
    return peer_gone();
  }
  reading_ = false;
  if (readable_ && can_read()) {
    // Out of budget with more waiting: after the other connections' turn.
    auto* host = &host_;
    auto id = id_;
    host_.loop().post([host, id] { with(host, id, [](c2s_connection& c) { c.read_some(); }); });
  }
}

void c2s_connection::resume_reading() {
  if (readable_ && can_read())
    read_some();
}

void c2s_connection::peer_gone() {
  if (busy_)
    return defer([this] { peer_gone(); });
  if (quit_)
    return;
  if (fd_ >= 0) {
    host_.loop().unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  closed_ = true;
  out_.clear();
  out_pos_ = 0;
  if (!detach())
    quit();
}

void c2s_connection::on_bytes(const char* data, std::size_t size) {
  if (!tls_) {
    stream_->feed(data, size);
    return run_actions();
  }
  if (!hello_answered_) {
    // Answering the ClientHello is the handshake's public-key work (key
    // exchange, signature), the slowest step of a login: off the I/O thread.
    // What follows (the client's Finished) is a MAC check, done here.
    auto bytes = std::make_shared<std::string>(data, size);
    auto ok = std::make_shared<bool>(false);
    offload([this, bytes, ok] { *ok = tls_->feed_ciphertext(bytes->data(), bytes->size()); },
            [this, ok] {
              hello_answered_ = tls_->pending_ciphertext() > 0 || tls_->handshake_done();
              after_tls_feed(*ok);
            });
    return;
  }
  after_tls_feed(tls_->feed_ciphertext(data, size));
}

void c2s_connection::after_tls_feed(bool ok) {
  auto& tls = *tls_;
  if (ok && tls.handshake_done() && !tls_reported_) {
    tls_reported_ = true;
    stream_->tls_established(channel_bindings(tls));
  }
  auto& plain = host_.scratch();
  plain.clear();
  ok = ok && tls.read_plaintext(plain);
  if (!ok) {
    // The alert telling the client why goes out before the close.
    flush_tls();
    log_once("tls-failure", tls.error());
    flush();
    return quit();
  }
  if (!plain.empty())
    stream_->feed(plain);
  flush_tls();
  if (tls.peer_closed() && !stream_->finished()) {
    // close_notify without </stream:stream>: the client is gone, perhaps
    // to resume elsewhere.
    return peer_gone();
  }
  run_actions();
}

// Hands bytes to the socket, through TLS once it is on.
void c2s_connection::send_bytes(std::string_view plain) {
  if (closed_)
    return;
  if (tls_) {
    tls_->write_plaintext(plain);
    tls_->take_ciphertext(out_);
  } else {
    out_.append(plain);
  }
}

// Sends what TLS queued by itself (handshake records, alerts).
void c2s_connection::flush_tls() {
  if (tls_ && !closed_)
    tls_->take_ciphertext(out_);
}

void c2s_connection::flush() {
  if (fd_ < 0) {
    out_.clear();
    out_pos_ = 0;
    return;
  }
  while (out_pos_ < out_.size()) {
    auto n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    // Reset by the peer, or the user timeout gave up on it.
    out_.clear();
    out_pos_ = 0;
    return peer_gone();
  }
  if (out_pos_ == out_.size()) {
    // Nothing queued: give the buffer back (idle connections hold none).
    std::string{}.swap(out_);
    out_pos_ = 0;
  } else if (out_.size() - out_pos_ > host_.config().max_output) {
    return abort_connection("policy-violation",
                            "the client is not reading: " + std::to_string(out_.size() - out_pos_)
                              + " bytes queued for it");
  } else if (out_pos_ > out_.size() / 2) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
}

// Closes after a stream error or the closing tag: close_notify, then FIN.
void c2s_connection::close_connection() {
  if (tls_ && tls_->shutdown())
    flush_tls();
  flush();
  quit();
}

// Drops the connection at once, discarding queued output: for a client that
// does not read, a graceful close would wait for it forever.
void c2s_connection::abort_connection(std::string_view condition, std::string_view text) {
  log_once(condition, text);
  if (fd_ >= 0) {
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  out_.clear();
  out_pos_ = 0;
  quit();
}

void c2s_connection::quit() {
  if (busy_)
    return defer([this] { quit(); });
  if (quit_)
    return;
  quit_ = true;
  closed_ = true;
  end_login();
  if (bind_timer_ != 0)
    host_.loop().cancel(std::exchange(bind_timer_, 0));
  if (calls_timer_ != 0)
    host_.loop().cancel(std::exchange(calls_timer_, 0));
  stop_liveness();
  const auto& cfg = host_.config();
  // The session ends for good: what the client never acknowledged goes to
  // the hook (offline delivery: its next session gets it, as if it had been
  // offline).
  if (sm_ && !successor_ && cfg.unacknowledged && !stream_->address().empty())
    for (auto& d : sm_->take_undelivered())
      cfg.unacknowledged(stream_->address(), std::move(d));
  if (sm_ && !sm_->id().empty())
    cfg.resumables->erase(sm_->id(), ref());
  if (principal_ && !successor_)
    host_.self()->send(principal_, close_atom::value, stream_->resource(), ref());
  if (fd_ >= 0) {
    // What is still queued goes out if the kernel takes it now; a client
    // that stopped reading gets no more of our time.
    if (out_pos_ < out_.size())
      [[maybe_unused]] auto n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_,
                                       MSG_NOSIGNAL | MSG_DONTWAIT);
    host_.loop().unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  host_.retire(id_);
}

// -- the work pool ---------------------------------------------------------------

void c2s_connection::offload(std::function<void()> work, std::function<void()> then) {
  busy_ = true;
  auto* host = &host_;
  auto id = id_;
  // The connection stays alive while busy: quit() and retire wait for the job.
  host_.shared().pool->submit([host, id, work = std::move(work), then = std::move(then)]() mutable {
    work();
    host->loop().post([host, id, then = std::move(then)]() mutable {
      with(host, id, [&then](c2s_connection& c) { c.job_done(std::move(then)); });
    });
  });
}

void c2s_connection::job_done(std::function<void()> then) {
  busy_ = false;
  then();
  // What arrived meanwhile, in order; each may start another job.
  while (!busy_ && !deferred_.empty()) {
    auto fn = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    fn();
  }
  resume_reading();
}

void c2s_connection::defer(std::function<void()> fn) {
  if (busy_)
    deferred_.push_back(std::move(fn));
  else
    fn();
}

// -- stream actions ----------------------------------------------------------------

// Carries out what the stream asked for, in order, then sends.
void c2s_connection::run_actions() {
  if (quit_)
    return;
  stream_->take_actions(actions_);
  if (closed_) {
    // Detached (waiting for resumption) or closing: nothing can go out, and
    // the stream ending ends the session.
    for (auto& a : actions_)
      if (std::holds_alternative<c2s_close>(a)) {
        actions_.clear();
        return quit();
      }
    actions_.clear();
    return;
  }
  bool close = false;
  for (auto& a : actions_) {
    if (auto* w = std::get_if<c2s_write>(&a)) {
      send_bytes(w->bytes);
    } else if (std::holds_alternative<c2s_start_tls>(a)) {
      // <proceed/> went out in the clear above; from here on, TLS.
      tls_.emplace(host_.config().tls->new_session());
    } else if (std::holds_alternative<c2s_close>(a)) {
      close = true;
    } else if (auto* l = std::get_if<c2s_log>(&a)) {
      if (l->event)
        log_event(l->condition, l->text);
      else
        log_once(l->condition, l->text);
    } else if (auto* l = std::get_if<c2s_lookup>(&a)) {
      lookup(*l);
    } else if (auto* o = std::get_if<c2s_open>(&a)) {
      open_session(*o);
    } else if (auto* c = std::get_if<c2s_call>(&a)) {
      call(*c);
    }
  }
  actions_.clear();
  if (actions_.capacity() > 16)
    std::vector<c2s_action>{}.swap(actions_);
  if (close)
    return close_connection();
  compact_tls();
  flush();
  resume_reading();
}

// A bound session spends most of its life idle: once SASL no longer needs
// the channel bindings, TLS 1.3 moves off OpenSSL's ~14 KB per connection
// onto a record layer that holds only keys and sequence numbers. It may
// have to wait for OpenSSL to be done with input; it is tried again after
// the next event.
void c2s_connection::compact_tls() {
  if (!tls_ || tls_->compacted() || !stream_->bound() || busy_)
    return;
  tls_->forget_channel_bindings();
  if (tls_->compact())
    tls_->take_ciphertext(out_);
}

// The requests of a login wait without a CAF timeout: CAF 0.17 keeps a
// request's timeout in its clock until it expires even when the answer came
// long before, so 10,000 logins left 20,000 timers firing 30 s later. An
// answer that never comes is caught by the connection's bind timer.
void c2s_connection::lookup(const c2s_lookup& l) {
  const auto& cfg = host_.config();
  auto* host = &host_;
  auto id = id_;
  auto derives_key = l.derives_key;
  if (l.address.empty()) {
    // No account can have the name; PLAIN still pays for a key derivation.
    return credentials(std::nullopt, derives_key);
  }
  host_.self()
    ->request(cfg.accounts, caf::infinite, scram_atom::value, l.address,
              l.hash == account::scram_hash::sha256)
    .then(
      [host, id, derives_key](account::scram_secret& secret) {
        with(host, id, [&](c2s_connection& c) { c.credentials(std::move(secret), derives_key); });
      },
      [host, id](caf::error&) {
        with(host, id, [](c2s_connection& c) {
          c.stream_->credentials_unavailable();
          c.run_actions();
        });
      });
}

// Hands SASL the looked-up secrets; PLAIN derives a key from the password
// then: on the work pool.
void c2s_connection::credentials(std::optional<account::scram_secret> secret, bool derives_key) {
  if (!derives_key) {
    stream_->credentials(std::move(secret));
    return run_actions();
  }
  auto shared = std::make_shared<std::optional<account::scram_secret>>(std::move(secret));
  offload([this, shared] { stream_->credentials(std::move(*shared)); }, [this] { run_actions(); });
}

void c2s_connection::open_session(const c2s_open& o) {
  const auto& cfg = host_.config();
  auto* host = &host_;
  auto id = id_;
  host_.self()
    ->request(cfg.router, open_wait, open_atom::value, o.address, o.resource, ref())
    .then(
      [host, id, resource = o.resource](message::session_opened& opened) {
        if (!host->find(id))
          return gone_before_open(host, id, resource, opened.principal);
        with(host, id, [&opened](c2s_connection& c) {
          c.principal_ = opened.principal;
          c.open_deadline_.reset();
          c.host_.watch(c.principal_, c.id_);
          c.stream_->opened(opened.principal != nullptr, opened.kind, std::move(opened.peers));
          if (c.stream_->bound()) {
            c.end_login();
            if (c.bind_timer_ != 0)
              c.host_.loop().cancel(std::exchange(c.bind_timer_, 0));
            c.start_liveness();
          }
          c.run_actions();
        });
      },
      [host, id, o](caf::error& e) {
        with(host, id, [&o, &e](c2s_connection& c) {
          if (is_worth_retrying(e)
              && c.retry_open([o](c2s_connection& again) { again.open_session(o); }))
            return;
          // The client sees internal-server-error; the operator, why.
          fprintf(stderr, "irsp-node: c2s: opening a session failed: %s\n",
                  to_string(e).c_str());
          c.stream_->fail("internal-server-error", "the session could not be opened");
          c.run_actions();
        });
      });
}

// Calls are made without a timeout (below), so one whose answer was lost
// (its node died with it in flight: CAF 0.17 answers nothing then) is
// answered as failed here, once it is older than `request_timeout`; one
// timer per connection with calls outstanding, not one per call.
void c2s_connection::watch_calls() {
  if (calls_timer_ != 0)
    return;
  auto* host = &host_;
  auto id = id_;
  auto limit = host_.config().request_timeout;
  calls_timer_ = host_.loop().after(limit, [host, id, limit] {
    with(host, id, [limit](c2s_connection& c) {
      c.calls_timer_ = 0;
      if (c.quit_)
        return;
      if (c.busy_) // the stream is the work pool's now: look again later
        return c.watch_calls();
      if (c.stream_->expire_calls(std::chrono::steady_clock::now() - limit))
        c.watch_calls();
      c.run_actions();
    });
  });
}

void c2s_connection::call(c2s_call& c) {
  watch_calls();
  const auto& cfg = host_.config();
  auto* host = &host_;
  auto id = id_;
  auto request_id = c.id;
  std::visit(
    [&](auto& request) {
      using request_type = std::decay_t<decltype(request)>;
      using answer = typename answer_of<request_type>::type;
      // Routing latency: the exchanges a client waits on, timed here, where
      // both the request and its answer pass (the router only forwards).
      metrics::histogram* timed = nullptr;
      if (cfg.metrics) {
        if constexpr (std::is_same_v<request_type, message::upload_request>)
          timed = &cfg.metrics->upload_seconds;
        else if constexpr (std::is_same_v<request_type, message::direct_request>)
          timed = &cfg.metrics->direct_seconds;
      }
      auto started = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
      auto on_answer = [host, id, request_id, timed, started](answer& a) {
        if (timed)
          timed->observe(std::chrono::steady_clock::now() - started);
        with(host, id, [&](c2s_connection& conn) {
          conn.stream_->reply(request_id, c2s_response{std::move(a)});
          conn.run_actions();
        });
      };
      auto on_error = [host, id, request_id](caf::error&) {
        with(host, id, [&](c2s_connection& conn) {
          conn.stream_->reply(request_id, c2s_response{c2s_request_failed{}});
          conn.run_actions();
        });
      };
      // No timeout on the message path: these actors answer or die (a dead
      // receiver answers with an error at once), while a timeout would keep
      // one entry in CAF's clock per request for its whole length.
      auto timeout = caf::infinite;
      if constexpr (std::is_same_v<request_type, message::direct_request>) {
        // Through the account's own actor, which checks the bindings.
        host_.self()
          ->request(principal_, timeout, send_atom::value, std::move(request))
          .then(on_answer, on_error);
      } else if constexpr (std::is_same_v<request_type, account::register_request>) {
        host_.self()->request(cfg.accounts, timeout, std::move(request)).then(on_answer, on_error);
      } else {
        host_.self()->request(cfg.router, timeout, std::move(request)).then(on_answer, on_error);
      }
    },
    c.request);
}

// -- messages for the session ------------------------------------------------------

void c2s_connection::on_session_message(const caf::message& msg,
                                        const caf::strong_actor_ptr& sender) {
  if (busy_)
    return defer([this, msg, sender] { on_session_message(msg, sender); });
  if (quit_)
    return;
  if (msg.match_elements<std::uint64_t, close_atom, std::string>() && successor_) {
    // The user/device actor now sends to the successor: nothing more will
    // come here.
    host_.self()->send(successor_.host, successor_.id, sm_done_atom::value);
    return quit();
  }
  if (msg.match_elements<std::uint64_t, sm_done_atom>())
    return predecessor_done();
  if (successor_) {
    // Handed over: pass it on, as it came, to the session's new connection.
    host_.self()->send(successor_.host,
                       caf::message::concat(caf::make_message(successor_.id), msg.drop(1)));
    return;
  }
  if (predecessor_ && sender != caf::actor_cast<caf::strong_actor_ptr>(predecessor_.host)) {
    // The predecessor still passes on what the user/device actor sent it
    // before the switch: that comes first.
    held_.push_back(msg);
    return;
  }
  apply_session_message(msg);
}

void c2s_connection::apply_session_message(const caf::message& msg) {
  if (msg.match_elements<std::uint64_t, message::delivery>()) {
    stream_->deliver(msg.get_as<message::delivery>(1));
  } else if (msg.match_elements<std::uint64_t, message::presence_event>()) {
    stream_->presence(msg.get_as<message::presence_event>(1));
  } else if (msg.match_elements<std::uint64_t, bound_atom, std::string>()) {
    stream_->binding_changed(msg.get_as<std::string>(2), true);
  } else if (msg.match_elements<std::uint64_t, unbound_atom, std::string>()) {
    stream_->binding_changed(msg.get_as<std::string>(2), false);
  } else if (msg.match_elements<std::uint64_t, close_atom, std::string>()) {
    stream_->replaced();
  } else if (msg.match_elements<std::uint64_t, gone_atom>()) {
    stream_->gone();
  } else if (msg.match_elements<std::uint64_t, sm_forward_atom, std::string>()) {
    sm_->adopt(*stream_, msg.get_as<std::string>(2));
  } else {
    return;
  }
  run_actions();
}

void c2s_connection::shutdown() {
  if (busy_)
    return defer([this] { shutdown(); });
  if (quit_)
    return;
  stream_->shutdown();
  run_actions();
  quit();
}

// -- issue 15: liveness checks, suspect and alive -----------------------------------

void c2s_connection::start_liveness() {
  if (host_.config().liveness.ping_interval.count() <= 0)
    return;
  liveness_.emplace(host_.config().liveness, session_liveness::clock::now());
  arm_liveness();
}

// One timer per connection, set for the next deadline only: input does not
// touch it (heard() just notes the time), so an idle session costs one
// wake-up per interval and a busy one no more.
void c2s_connection::arm_liveness() {
  if (live_timer_ != 0)
    host_.loop().cancel(std::exchange(live_timer_, 0));
  if (!liveness_ || quit_ || closed_)
    return;
  auto at = liveness_->next();
  if (at == session_liveness::clock::time_point::max())
    return;
  auto delay = std::max(at - session_liveness::clock::now(),
                        session_liveness::clock::duration::zero());
  auto* host = &host_;
  auto id = id_;
  live_timer_ = host_.loop().after(delay, [host, id] {
    with(host, id, [](c2s_connection& c) {
      c.live_timer_ = 0;
      c.on_liveness_timer();
    });
  });
}

void c2s_connection::stop_liveness() {
  if (live_timer_ != 0)
    host_.loop().cancel(std::exchange(live_timer_, 0));
  liveness_.reset();
}

void c2s_connection::on_liveness_timer() {
  if (busy_)
    return defer([this] { on_liveness_timer(); });
  if (quit_ || closed_ || !liveness_)
    return;
  switch (liveness_->due(session_liveness::clock::now())) {
    case session_liveness::step::check:
      stream_->check_alive();
      run_actions();
      break;
    case session_liveness::step::suspect:
      report(true);
      break;
    case session_liveness::step::end:
      return end_silent_session();
    case session_liveness::step::none:
      break;
  }
  arm_liveness();
}

void c2s_connection::heard() {
  if (liveness_ && liveness_->heard(session_liveness::clock::now())) {
    report(false);
    arm_liveness(); // the grace's deadline is past use; the next check is sooner
  }
}

// Suspect for the whole grace: RFC 6120 §4.9.3.4 connection-timeout. A
// resumable session is kept (still suspect) for the client to resume; any
// other ends, and the account may go offline.
void c2s_connection::end_silent_session() {
  const auto& l = host_.config().liveness;
  auto text = "no answer to a liveness check for "
              + std::to_string((l.ping_interval + l.suspect_grace).count()) + " ms";
  if (!sm_ || !sm_->resumable()) {
    stream_->timeout(text);
    return run_actions();
  }
  stream_->fail_keeping_session("connection-timeout", text);
  run_actions();
  if (quit_ || closed_)
    return; // the write found the peer gone: already detached
  if (tls_ && tls_->shutdown())
    flush_tls();
  flush();
  if (!quit_ && !closed_)
    peer_gone();
}

bool c2s_connection::is_suspect() const {
  return detached_ || (liveness_ && liveness_->suspect());
}

// Tells the user/device actor a change of this session's liveness, once per
// change; with no actor at hand (reopening), reopen() tells the new one.
void c2s_connection::report(bool suspect) {
  if (!principal_ || told_suspect_ == suspect)
    return;
  told_suspect_ = suspect;
  if (suspect)
    host_.self()->send(principal_, suspect_atom::value, stream_->resource(), ref());
  else
    host_.self()->send(principal_, alive_atom::value, stream_->resource(), ref());
}

// -- XEP-0198: detaching, handing over, taking over ------------------------------

// The connection dropped: a session the client may resume stays, holding
// what arrives for it, until resumed or expired. True if it stays.
bool c2s_connection::detach() {
  if (!sm_ || !sm_->resumable() || !stream_->bound() || stream_->finished() || successor_)
    return false;
  closed_ = true;
  detached_ = true;
  // Issue 15: a session waiting to be resumed is suspect until it is, or
  // ends when the window closes.
  stop_liveness();
  report(true);
  auto* host = &host_;
  auto id = id_;
  host_.loop().after(host_.config().sm.resume_timeout,
                     [host, id] { with(host, id, [](c2s_connection& c) { c.on_sm_expire(); }); });
  return true;
}

void c2s_connection::on_sm_expire() {
  if (successor_) {
    host_.self()->send(successor_.host, successor_.id, sm_done_atom::value);
    quit();
  } else if (detached_) {
    quit(); // not resumed in time: the session ends, the account may go offline
  }
}

void c2s_connection::predecessor_done() {
  if (!predecessor_)
    return;
  predecessor_ = {};
  auto held = std::move(held_);
  for (auto& msg : held)
    if (!quit_)
      apply_session_message(msg);
}

// The account's owner is not agreed on yet (a node died and, fenced, its
// lease has not expired; the owners are agreeing on a new set), or an open
// went to a node that died meanwhile: `again` in a while, for up to 30 s in
// all — failure detection plus a lease plus the owners' agreement, with room
// for a loaded machine (10 s was not always enough with three nodes on two
// busy cores). False once that is spent.
bool c2s_connection::retry_open(std::function<void(c2s_connection&)> again) {
  auto now = std::chrono::steady_clock::now();
  if (!open_deadline_)
    open_deadline_ = now + std::chrono::seconds(30);
  else if (now >= *open_deadline_)
    return false;
  auto* host = &host_;
  auto id = id_;
  host_.loop().after(std::chrono::milliseconds(250), [host, id, again = std::move(again)] {
    with(host, id, [&again](c2s_connection& c) {
      if (!c.quit_)
        again(c);
    });
  });
  return true;
}

void c2s_connection::principal_lost(const caf::actor_addr& principal) {
  if (busy_)
    return defer([this, principal] { principal_lost(principal); });
  if (quit_ || closed_ || successor_ || !principal_ || principal_.address() != principal)
    return;
  principal_ = nullptr;
  reopen(stream_->resource());
}

void c2s_connection::reopen(const std::string& resource) {
  const auto& cfg = host_.config();
  auto* host = &host_;
  auto id = id_;
  // Opening the same resource makes the user/device actor replace the
  // predecessor with us, without an offline/online flap.
  host_.self()
    ->request(cfg.router, open_wait, open_atom::value, stream_->address(), resource,
              ref())
    .then(
      [host, id, resource](message::session_opened& opened) {
        if (!host->find(id))
          return gone_before_open(host, id, resource, opened.principal);
        with(host, id, [&opened, &resource](c2s_connection& c) {
          c.principal_ = opened.principal;
          c.open_deadline_.reset();
          c.host_.watch(c.principal_, c.id_);
          if (!c.principal_) {
            c.stream_->gone();
          } else {
            c.file_resumption_id(resource);
            // The actor knows this session as alive (opened anew), or, just
            // resumed, perhaps as its suspect predecessor: it hears the truth.
            c.told_suspect_ = std::exchange(c.resumed_, false);
            c.report(c.is_suspect());
          }
          c.run_actions();
        });
      },
      [host, id, resource](caf::error&) {
        with(host, id, [&resource](c2s_connection& c) {
          if (c.retry_open([resource](c2s_connection& again) {
                if (!again.principal_)
                  again.reopen(resource);
              }))
            return;
          c.stream_->fail("internal-server-error", "the session could not be reopened");
          c.run_actions();
        });
      });
}

// <resume previd h/>: find the session's holder, on this node or (the
// client reconnected to another node of the cluster) wherever the account's
// actor says it is, and ask it to hand the session over.
void c2s_connection::resume(const std::string& previd, std::uint32_t h) {
  const auto& cfg = host_.config();
  auto holder = cfg.resumables->find(previd);
  if (holder == ref()) {
    sm_->resume_failed(*stream_, "item-not-found");
    return;
  }
  if (holder)
    return take_over(holder, previd, h);
  auto* host = &host_;
  auto id = id_;
  host_.self()
    ->request(cfg.router, open_wait, sm_find_atom::value, stream_->address(), previd, false)
    .then(
      [host, id, previd, h](message::session_ref& found) {
        with(host, id, [&](c2s_connection& c) {
          if (!found || found == c.ref()) {
            c.sm_->resume_failed(*c.stream_, "item-not-found");
            return c.run_actions();
          }
          c.take_over(found, previd, h);
          c.run_actions();
        });
      },
      [host, id](caf::error&) {
        with(host, id, [](c2s_connection& c) {
          c.sm_->resume_failed(*c.stream_, "item-not-found");
          c.run_actions();
        });
      });
}

void c2s_connection::take_over(const message::session_ref& holder, const std::string& previd,
                               std::uint32_t h) {
  auto* host = &host_;
  auto id = id_;
  host_.self()
    ->request(holder.host, caf::infinite, sm_takeover_atom::value, holder.id,
              stream_->address(), h, ref())
    .then(
      [host, id, previd, holder](sm_state& state) {
        with(host, id, [&](c2s_connection& c) {
          c.predecessor_ = holder;
          // Should the predecessor never say it is done, stop waiting anyway.
          c.host_.loop().after(c.host_.config().request_timeout, [host, id] {
            with(host, id, [](c2s_connection& c) { c.predecessor_done(); });
          });
          c.host_.config().resumables->put(previd, c.ref());
          auto resource = state.resource;
          c.sm_->resumed(*c.stream_, previd, std::move(state));
          c.end_login();
          if (c.bind_timer_ != 0)
            c.host_.loop().cancel(std::exchange(c.bind_timer_, 0));
          c.resumed_ = true;
          c.start_liveness();
          c.reopen(resource);
          c.run_actions();
        });
      },
      [host, id](caf::error&) {
        with(host, id, [](c2s_connection& c) {
          c.sm_->resume_failed(*c.stream_, "item-not-found");
          c.run_actions();
        });
      });
}

caf::expected<sm_state> c2s_connection::hand_over(const std::string& address, std::uint32_t h,
                                                  const message::session_ref& successor) {
  sm_state state;
  if (busy_ || quit_ || !sm_ || !sm_->resumable() || successor_ || !stream_->bound()
      || stream_->finished() || address != stream_->address() || !sm_->hand_over(h, state))
    return caf::make_error(caf::sec::invalid_argument);
  state.resource = stream_->resource();
  state.peers = stream_->peers();
  successor_ = successor;
  stop_liveness(); // the successor watches the session now
  if (!closed_) {
    // The client resumed elsewhere while this connection still looked alive.
    closed_ = true;
    if (fd_ >= 0) {
      host_.loop().unwatch(fd_);
      ::close(fd_);
      fd_ = -1;
    }
  }
  // Until the user/device actor confirms the switch (close "conflict"),
  // what it sends here goes on to the successor; then, or at the latest
  // after this, the holder is gone.
  auto* host = &host_;
  auto id = id_;
  host_.loop().after(host_.config().request_timeout,
                     [host, id] { with(host, id, [](c2s_connection& c) { c.on_sm_expire(); }); });
  return state;
}

// Tells the account's actor (again: it may be a new activation, or have
// replaced our predecessor) which id resumes this session, for a client
// that resumes on another node.
void c2s_connection::file_resumption_id(const std::string& resource) {
  if (principal_ && sm_ && sm_->resumable())
    host_.self()->send(principal_, sm_id_atom::value, resource, sm_->id(), ref());
}

void c2s_connection::add_stream_management() {
  sm_transport transport;
  transport.make_resumable = [this] {
    auto id = hex_id();
    host_.config().resumables->put(id, ref());
    if (principal_)
      host_.self()->send(principal_, sm_id_atom::value, stream_->resource(), id, ref());
    return id;
  };
  transport.resume = [this](const std::string& previd, std::uint32_t h) { resume(previd, h); };
  transport.forward = [this](const std::string& xml) {
    if (successor_)
      host_.self()->send(successor_.host, successor_.id, sm_forward_atom::value, xml);
  };
  auto sm = std::make_unique<stream_management>(std::move(transport), host_.config().sm);
  sm_ = sm.get();
  stream_->add_module(std::move(sm));
}

} // namespace irsp::xmpp
