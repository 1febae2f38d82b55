// RFC 6120 §3, §5, §13.9: one client connection's transport as a CAF broker.
#include "node/xmpp/c2s_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdio>
#include <optional>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/account/credentials.hpp"
#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"
#include "actors/message/exchanges.hpp"
#include "node/tls/session.hpp"

namespace irsp::xmpp {

namespace {

using bind_timeout_atom = caf::atom_constant<caf::atom("c2sbindto")>;
// XEP-0198 resumption between connection actors: the successor asks the
// holder for the session; the holder says when the user/device actor has
// switched to the successor; a timer ends a session nobody resumed.
using sm_takeover_atom = caf::atom_constant<caf::atom("smtakeover")>;
using sm_done_atom = caf::atom_constant<caf::atom("smdone")>;
using sm_expire_atom = caf::atom_constant<caf::atom("smexpire")>;
using sm_forward_atom = caf::atom_constant<caf::atom("smforward")>;

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

} // namespace

void c2s_resumables::put(const std::string& id, const caf::actor_addr& holder) {
  std::lock_guard<std::mutex> guard{mutex_};
  by_id_[id] = holder;
}

caf::actor c2s_resumables::find(const std::string& id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = by_id_.find(id);
  return i == by_id_.end() ? caf::actor{} : caf::actor_cast<caf::actor>(i->second);
}

void c2s_resumables::erase(const std::string& id, const caf::actor_addr& holder) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = by_id_.find(id);
  if (i != by_id_.end() && i->second == holder)
    by_id_.erase(i);
}

struct c2s_connection_state {
  std::shared_ptr<const c2s_config> cfg;
  caf::io::connection_handle hdl;
  std::string peer; // "address:port", for the log
  std::unique_ptr<c2s_stream> stream;
  std::optional<tls::session> tls;
  bool tls_reported = false; // stream told that the handshake completed
  caf::actor principal;      // the account's user/device actor, once bound
  bool logged = false;
  bool paused = false;
  bool closed = false;
  std::vector<c2s_action> actions; // scratch, kept to avoid reallocation
  std::string scratch;             // TLS plaintext in / ciphertext out
  // XEP-0198 (the module is owned by the stream).
  stream_management* sm = nullptr;
  bool detached = false;  // the connection dropped; the session waits to be resumed
  caf::actor successor;   // took the session over: what arrives goes there
  caf::actor predecessor; // handing the session over: its messages come first
  std::vector<std::function<void()>> held; // the principal's, until predecessor is done

  static inline const char* name = "irsp.c2s";
};

namespace {

using c2s_connection_actor = caf::io::stateful_broker<c2s_connection_state>;
using self_ptr = c2s_connection_actor*;

void run_actions(self_ptr self);

void log_event(self_ptr self, std::string_view what, std::string_view text) {
  auto& st = self->state;
  auto line = log_line(st.peer, what, text);
  if (st.cfg->log)
    st.cfg->log(line);
  else
    default_log(line);
}

void log_once(self_ptr self, std::string_view condition, std::string_view text) {
  auto& st = self->state;
  if (st.logged)
    return;
  st.logged = true;
  log_event(self, condition, text);
}

// The connection_handle of CAF 0.17's default multiplexer is the socket
// descriptor (network::conn_hdl_from_socket); options CAF does not set are
// set on it directly.
int socket_of(caf::io::connection_handle hdl) {
  return static_cast<int>(hdl.id());
}

void set_socket_options(self_ptr self) {
  auto fd = socket_of(self->state.hdl);
  auto ms = static_cast<unsigned>(self->state.cfg->tcp_user_timeout.count());
  if (ms > 0)
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
  // A peer that vanished while idle is found by keepalive probes, so its
  // session does not stay online for ever (probing is bounded by the user
  // timeout above).
  int on = 1;
  int idle = static_cast<int>(self->state.cfg->keepalive_idle.count());
  int interval = 30;
  if (idle > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  }
}

// The session ends for good: what the client never acknowledged waits in
// the offline queue for its next session, as if it had been offline.
void store_unacknowledged(self_ptr self) {
  auto& st = self->state;
  if (!st.sm || st.successor || !st.cfg->offline || st.stream->address().empty())
    return;
  for (auto& d : st.sm->take_undelivered())
    self->send(st.cfg->offline, enqueue_atom::value, st.stream->address(), std::move(d));
}

void quit(self_ptr self) {
  auto& st = self->state;
  store_unacknowledged(self);
  if (st.sm && !st.sm->id().empty())
    st.cfg->resumables->erase(st.sm->id(), self->address());
  if (!st.closed) {
    st.closed = true;
    self->close(st.hdl); // sends what is queued, then FIN
  }
  self->quit();
}

// Drops the connection at once, discarding queued output: for a client that
// does not read, a graceful close would wait for it forever.
void abort_connection(self_ptr self, std::string_view condition, std::string_view text) {
  auto& st = self->state;
  log_once(self, condition, text);
  auto fd = socket_of(st.hdl);
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::shutdown(fd, SHUT_RDWR); // the pending write fails and CAF lets go of the socket
  quit(self);
}

// Hands bytes to the socket, through TLS once it is on.
void send_bytes(self_ptr self, std::string_view plain) {
  auto& st = self->state;
  if (st.closed)
    return;
  auto& out = self->wr_buf(st.hdl);
  // Give back what a burst grew while nothing is queued (idle memory).
  if (out.empty() && out.capacity() > 4 * st.cfg->read_size)
    std::vector<char>{}.swap(out);
  if (st.tls) {
    st.tls->write_plaintext(plain);
    st.scratch.clear();
    st.tls->take_ciphertext(st.scratch);
    out.insert(out.end(), st.scratch.begin(), st.scratch.end());
  } else {
    out.insert(out.end(), plain.begin(), plain.end());
  }
}

// Sends what TLS queued by itself (handshake records, alerts).
void flush_tls(self_ptr self) {
  auto& st = self->state;
  if (!st.tls || st.closed)
    return;
  st.scratch.clear();
  st.tls->take_ciphertext(st.scratch);
  if (!st.scratch.empty()) {
    auto& out = self->wr_buf(st.hdl);
    out.insert(out.end(), st.scratch.begin(), st.scratch.end());
  }
}

void flush(self_ptr self) {
  auto& st = self->state;
  if (st.closed)
    return;
  // Behind the write in flight, CAF queues the rest here: when that grows
  // past the bound, the client has stopped reading.
  auto queued = self->wr_buf(st.hdl).size();
  self->flush(st.hdl);
  if (queued > st.cfg->max_output) {
    abort_connection(self, "policy-violation",
                     "the client is not reading: " + std::to_string(queued)
                       + " bytes queued for it");
    return;
  }
  if (st.scratch.capacity() > 4 * st.cfg->read_size)
    std::string{}.swap(st.scratch);
}

// Closes after a stream error or the closing tag: close_notify, then FIN.
void close_connection(self_ptr self) {
  auto& st = self->state;
  if (st.tls && st.tls->shutdown())
    flush_tls(self);
  flush(self);
  quit(self);
}

template <class Request>
void call(self_ptr self, std::uint64_t id, Request& request) {
  using answer = typename answer_of<Request>::type;
  auto& st = self->state;
  auto on_answer = [self, id](answer& a) {
    self->state.stream->reply(id, c2s_response{std::move(a)});
    run_actions(self);
  };
  auto on_error = [self, id](caf::error&) {
    self->state.stream->reply(id, c2s_response{c2s_request_failed{}});
    run_actions(self);
  };
  // No timeout on the message path: these actors are local and answer or die
  // (a dead receiver answers with an error at once), while a timeout leaves
  // one entry in CAF's clock per request for its whole length — at 14 k
  // round trips/s that held ~50 MB of pending timers.
  auto timeout = caf::infinite;
  if constexpr (std::is_same_v<Request, message::direct_request>) {
    // Through the account's own actor, which checks the bindings.
    self->request(st.principal, timeout, send_atom::value, std::move(request))
      .then(on_answer, on_error);
  } else if constexpr (std::is_same_v<Request, account::register_request>) {
    self->request(st.cfg->accounts, timeout, std::move(request)).then(on_answer, on_error);
  } else {
    self->request(st.cfg->router, timeout, std::move(request)).then(on_answer, on_error);
  }
}

void lookup(self_ptr self, const c2s_lookup& l) {
  auto& st = self->state;
  self
    ->request(st.cfg->accounts, st.cfg->request_timeout, scram_atom::value, l.address,
              l.hash == account::scram_hash::sha256)
    .then(
      [self](account::scram_secret& secret) {
        self->state.stream->credentials(std::move(secret));
        run_actions(self);
      },
      [self](caf::error&) {
        self->state.stream->credentials_unavailable();
        run_actions(self);
      });
}

void open_session(self_ptr self, const c2s_open& o) {
  auto& st = self->state;
  self
    ->request(st.cfg->router, st.cfg->request_timeout, open_atom::value, o.address, o.resource,
              caf::actor_cast<caf::actor>(self))
    .then(
      [self](message::session_opened& opened) {
        auto& st = self->state;
        st.principal = opened.principal;
        st.stream->opened(opened.principal != nullptr, opened.kind, std::move(opened.peers));
        run_actions(self);
      },
      [self](caf::error&) {
        self->state.stream->fail("internal-server-error", "the session could not be opened");
        run_actions(self);
      });
}

// Carries out what the stream asked for, in order, then sends.
void run_actions(self_ptr self) {
  auto& st = self->state;
  st.stream->take_actions(st.actions);
  if (st.closed) {
    // Detached (waiting for resumption) or closing: nothing can go out, and
    // the stream ending ends the session.
    for (auto& a : st.actions)
      if (std::holds_alternative<c2s_close>(a))
        return quit(self);
    st.actions.clear();
    return;
  }
  bool close = false;
  for (auto& a : st.actions) {
    if (auto* w = std::get_if<c2s_write>(&a)) {
      send_bytes(self, w->bytes);
    } else if (std::holds_alternative<c2s_start_tls>(a)) {
      // <proceed/> went out in the clear above; from here on, TLS.
      st.tls.emplace(st.cfg->tls->new_session());
    } else if (std::holds_alternative<c2s_close>(a)) {
      close = true;
    } else if (auto* l = std::get_if<c2s_log>(&a)) {
      if (l->event)
        log_event(self, l->condition, l->text);
      else
        log_once(self, l->condition, l->text);
    } else if (auto* l = std::get_if<c2s_lookup>(&a)) {
      lookup(self, *l);
    } else if (auto* o = std::get_if<c2s_open>(&a)) {
      open_session(self, *o);
    } else if (auto* c = std::get_if<c2s_call>(&a)) {
      std::visit([&](auto& r) { call(self, c->id, r); }, c->request);
    }
  }
  st.actions.clear();
  if (close)
    return close_connection(self);
  flush(self);
  if (st.closed)
    return;
  // Backpressure: while the stream waits for an answer, leave further
  // input in the socket.
  bool wait = st.stream->waiting();
  if (wait && !st.paused)
    self->halt(st.hdl);
  else if (!wait && st.paused)
    self->trigger(st.hdl);
  st.paused = wait;
}

// -- XEP-0198: detaching, handing over, taking over ------------------------------

// The connection dropped: a session the client may resume stays, holding
// what arrives for it, until resumed or expired. True if it stays.
bool detach(self_ptr self) {
  auto& st = self->state;
  if (!st.sm || !st.sm->resumable() || !st.stream->bound() || st.stream->finished()
      || st.successor)
    return false;
  st.closed = true;
  st.detached = true;
  self->delayed_send(self, st.cfg->sm.resume_timeout, sm_expire_atom::value);
  return true;
}

// Messages for the session: passed on to a successor; held back while a
// predecessor is still passing on what the user/device actor sent it, so
// that order is kept; otherwise `apply`.
template <class... Ts>
void to_session(self_ptr self, std::function<void()> apply, const Ts&... xs) {
  auto& st = self->state;
  if (st.successor) {
    self->send(st.successor, xs...);
    return;
  }
  if (st.predecessor
      && self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(st.predecessor)) {
    st.held.push_back(std::move(apply));
    return;
  }
  apply();
}

void reopen(self_ptr self, const std::string& resource) {
  auto& st = self->state;
  // Opening the same resource makes the user/device actor replace the
  // predecessor with us, without an offline/online flap.
  self
    ->request(st.cfg->router, st.cfg->request_timeout, open_atom::value, st.stream->address(),
              resource, caf::actor_cast<caf::actor>(self))
    .then(
      [self](message::session_opened& opened) {
        auto& st = self->state;
        st.principal = opened.principal;
        if (!st.principal)
          st.stream->gone();
        run_actions(self);
      },
      [self](caf::error&) {
        self->state.stream->fail("internal-server-error", "the session could not be reopened");
        run_actions(self);
      });
}

// <resume previd h/>: ask the session's holder to hand it over.
void resume(self_ptr self, const std::string& previd, std::uint32_t h) {
  auto& st = self->state;
  auto holder = st.cfg->resumables->find(previd);
  if (!holder || holder.address() == self->address()) {
    st.sm->resume_failed(*st.stream, "item-not-found");
    return;
  }
  self
    ->request(holder, st.cfg->request_timeout, sm_takeover_atom::value, st.stream->address(), h,
              caf::actor_cast<caf::actor>(self))
    .then(
      [self, previd, holder](sm_state& state) {
        auto& st = self->state;
        st.predecessor = holder;
        // Should the predecessor never say it is done, stop waiting anyway.
        self->delayed_send(self, st.cfg->request_timeout, sm_done_atom::value);
        st.cfg->resumables->put(previd, self->address());
        auto resource = state.resource;
        st.sm->resumed(*st.stream, previd, std::move(state));
        reopen(self, resource);
        run_actions(self);
      },
      [self](caf::error&) {
        self->state.sm->resume_failed(*self->state.stream, "item-not-found");
        run_actions(self);
      });
}

caf::result<sm_state> hand_over(self_ptr self, const std::string& address, std::uint32_t h,
                                const caf::actor& successor) {
  auto& st = self->state;
  sm_state state;
  if (!st.sm || !st.sm->resumable() || st.successor || !st.stream->bound()
      || st.stream->finished() || address != st.stream->address() || !st.sm->hand_over(h, state))
    return caf::make_error(caf::sec::invalid_argument);
  state.resource = st.stream->resource();
  state.peers = st.stream->peers();
  st.successor = successor;
  if (!st.closed) {
    // The client resumed elsewhere while this connection still looked alive.
    st.closed = true;
    self->close(st.hdl);
  }
  // Until the user/device actor confirms the switch (close "conflict"),
  // what it sends here goes on to the successor; then, or at the latest
  // after this, the holder is gone.
  self->delayed_send(self, st.cfg->request_timeout, sm_expire_atom::value);
  return state;
}

void add_stream_management(self_ptr self) {
  auto& st = self->state;
  sm_transport transport;
  transport.make_resumable = [self] {
    auto id = hex_id();
    self->state.cfg->resumables->put(id, self->address());
    return id;
  };
  transport.resume = [self](const std::string& previd, std::uint32_t h) {
    resume(self, previd, h);
  };
  transport.forward = [self](const std::string& xml) {
    if (self->state.successor)
      self->send(self->state.successor, sm_forward_atom::value, xml);
  };
  auto sm = std::make_unique<stream_management>(std::move(transport), st.cfg->sm);
  st.sm = sm.get();
  st.stream->add_module(std::move(sm));
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

void on_bytes(self_ptr self, const std::vector<char>& buf) {
  auto& st = self->state;
  if (!st.tls) {
    st.stream->feed(buf.data(), buf.size());
    return run_actions(self);
  }
  auto& tls = *st.tls;
  bool ok = tls.feed_ciphertext(buf.data(), buf.size());
  if (ok && tls.handshake_done() && !st.tls_reported) {
    st.tls_reported = true;
    st.stream->tls_established(channel_bindings(tls));
  }
  st.scratch.clear();
  ok = ok && tls.read_plaintext(st.scratch);
  if (!ok) {
    // The alert telling the client why goes out before the close.
    flush_tls(self);
    log_once(self, "tls-failure", tls.error());
    flush(self);
    return quit(self);
  }
  if (!st.scratch.empty()) {
    std::string plain;
    plain.swap(st.scratch); // the stream's writes below reuse scratch
    st.stream->feed(plain);
  }
  flush_tls(self);
  if (tls.peer_closed() && !st.stream->finished()) {
    // close_notify without </stream:stream>: the client is gone, perhaps
    // to resume elsewhere.
    if (!detach(self))
      quit(self);
    return;
  }
  run_actions(self);
}

caf::behavior connection_fn(self_ptr self, caf::io::connection_handle hdl,
                            std::shared_ptr<const c2s_config> cfg, bool direct_tls) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.hdl = hdl;
  auto address = self->remote_addr(hdl);
  auto port = std::to_string(self->remote_port(hdl));
  st.peer = address.find(':') == std::string::npos ? address + ":" + port
                                                   : "[" + address + "]:" + port;
  st.stream = std::make_unique<c2s_stream>(st.cfg->settings, address, direct_tls);
  add_stream_management(self);
  if (direct_tls)
    st.tls.emplace(st.cfg->tls->new_session());
  set_socket_options(self);
  self->configure_read(hdl, caf::io::receive_policy::at_most(st.cfg->read_size));
  self->delayed_send(self, st.cfg->bind_timeout, bind_timeout_atom::value);
  return {
    [self](caf::io::new_data_msg& msg) { on_bytes(self, msg.buf); },
    [self](caf::io::connection_closed_msg&) {
      // The client went away (without a closing tag, or after ours).
      auto& st = self->state;
      st.closed = true;
      if (!detach(self))
        quit(self);
    },
    [self](bind_timeout_atom) {
      auto& st = self->state;
      if (!st.stream->bound() && !st.stream->finished()) {
        st.stream->timeout("no session within "
                           + std::to_string(st.cfg->bind_timeout.count() / 1000) + " s");
        run_actions(self);
      }
    },
    [self](c2s_shutdown_atom) {
      self->state.stream->shutdown();
      run_actions(self);
      quit(self);
    },
    // XEP-0198 between connection actors.
    [self](sm_takeover_atom, const std::string& address, std::uint32_t h,
           const caf::actor& successor) { return hand_over(self, address, h, successor); },
    [self](sm_forward_atom a, std::string& xml) {
      to_session(
        self,
        [self, xml] {
          auto& st = self->state;
          st.sm->adopt(*st.stream, xml);
          run_actions(self);
        },
        a, xml);
    },
    [self](sm_done_atom) {
      auto& st = self->state;
      if (!st.predecessor)
        return;
      st.predecessor = nullptr;
      auto held = std::move(st.held);
      for (auto& apply : held)
        apply();
    },
    [self](sm_expire_atom) {
      auto& st = self->state;
      if (st.successor) {
        self->send(st.successor, sm_done_atom::value);
        quit(self);
      } else if (st.detached) {
        quit(self); // not resumed in time: the session ends, the account may go offline
      }
    },
    // From the account's user/device actor (principal_actor.hpp).
    [self](message::delivery& d) {
      to_session(
        self,
        [self, d] {
          self->state.stream->deliver(d);
          run_actions(self);
        },
        d);
    },
    [self](message::presence_event& ev) {
      to_session(
        self,
        [self, ev] {
          self->state.stream->presence(ev);
          run_actions(self);
        },
        ev);
    },
    [self](bound_atom a, const std::string& peer) {
      to_session(
        self,
        [self, peer] {
          self->state.stream->binding_changed(peer, true);
          run_actions(self);
        },
        a, peer);
    },
    [self](unbound_atom a, const std::string& peer) {
      to_session(
        self,
        [self, peer] {
          self->state.stream->binding_changed(peer, false);
          run_actions(self);
        },
        a, peer);
    },
    [self](close_atom, const std::string& reason) {
      auto& st = self->state;
      if (st.successor) {
        // The user/device actor now sends to the successor: nothing more
        // will come here.
        self->send(st.successor, sm_done_atom::value);
        return quit(self);
      }
      to_session(
        self,
        [self] {
          self->state.stream->replaced();
          run_actions(self);
        },
        close_atom::value, reason);
    },
    [self](gone_atom a) {
      to_session(
        self,
        [self] {
          self->state.stream->gone();
          run_actions(self);
        },
        a);
    },
  };
}

} // namespace

caf::actor fork_c2s_connection(caf::io::broker* listener, caf::io::connection_handle hdl,
                               std::shared_ptr<const c2s_config> config, bool direct_tls) {
  return listener->fork(connection_fn, hdl, std::move(config), direct_tls);
}

} // namespace irsp::xmpp
