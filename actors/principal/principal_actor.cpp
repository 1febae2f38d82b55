// ISO/IEC 14543-5-8 users and devices as actors. Because one actor owns an
// account's sessions, its online/offline transitions are decided in one
// place, numbered (epoch, sequence), and published in order exactly once.
#include "actors/principal/principal_actor.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"
#include "actors/message/resumption_atoms.hpp"
#include "actors/storage_errors.hpp"
#include "actors/delegation.hpp"
#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/message/authorization.hpp"
#include "actors/message/exchanges.hpp"
#include "cluster/as_link_atoms.hpp"

namespace irsp::principal {

namespace {

using namespace irsp::message;
using account::account_kind;
using account::lookup_status;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct principal_state {
  std::string address;
  principal_config cfg;
  // What the last load said. Only `found` is kept for the actor's life; an
  // account that was missing or could not be read is loaded again before the
  // next request that depends on it (see reload_first).
  lookup_status account = lookup_status::failed;
  bool fresh = false; // the activation's load, not yet relied on by a request
  account_kind kind = account_kind::USER;
  std::map<std::string, session_ref> sessions; // resource -> session
  std::map<std::string, std::string> resumption_ids; // resource -> XEP-0198 id
  // Remote hosts of the sessions (another node's I/O threads), watched once
  // each: a host that dies ends every session it held. A host of this node
  // ends its sessions itself, one (close_atom) each, before it stops; it is
  // not watched, since every user/device actor watching one host would make
  // each unwatch walk a list as long as the host's sessions.
  std::unordered_map<caf::actor_addr, std::size_t> hosts;
  std::unordered_set<std::string> peers;
  // The newest presence known of each bound peer: sessions get each peer
  // transition once, in (epoch, sequence) order, and new sessions start from it.
  std::unordered_map<std::string, presence_event> peer_presence;
  // Resources whose session stopped answering (or waits detached for
  // XEP-0198 resumption): with every session among them, the account is
  // suspect.
  std::unordered_set<std::string> suspects;
  bool probed = false;
  bool leaving = false; // deleted: goes once its last transition is out
  std::size_t storing = 0; // transitions on their way to the stream
  lifecycle_state state = lifecycle_state::OFFLINE;
  std::uint64_t epoch = 0; // from the stream's persisted counter; 0: not yet had
  std::uint64_t sequence = 0;
  std::int64_t transition_ms = 0;
  std::uint64_t routed = 0;   // messages the router sent us; see passivation
  // One idle timer at a time: a flapping device must not fill the clock
  // with a timer per disconnect.
  bool idle_timer_pending = false;
  std::chrono::steady_clock::time_point idle_since;

  static inline const char* name = "irsp.principal";
};

using principal_actor = caf::stateful_actor<principal_state>;

// The state last published, with whom it concerns now.
presence_event current_state(const principal_state& st) {
  presence_event ev;
  ev.address = st.address;
  ev.kind = st.kind;
  ev.state = st.state;
  ev.epoch = st.epoch;
  ev.sequence = st.sequence;
  ev.at_ms = st.transition_ms;
  ev.bound.assign(st.peers.begin(), st.peers.end());
  return ev;
}

// The nodes its sessions live on: if this node dies, the node that takes
// the account over reports it offline only if none of them lives.
std::vector<caf::node_id> session_nodes(const principal_state& st) {
  std::vector<caf::node_id> nodes;
  for (auto& [resource, session] : st.sessions)
    if (std::find(nodes.begin(), nodes.end(), session.host.node()) == nodes.end())
      nodes.push_back(session.host.node());
  return nodes;
}

lifecycle_state derived_state(const principal_state& st) {
  if (st.sessions.empty())
    return lifecycle_state::OFFLINE;
  return st.suspects.size() >= st.sessions.size() ? lifecycle_state::SUSPECT
                                                  : lifecycle_state::ONLINE;
}

void leave(principal_actor* self);
void refresh_shadow(principal_actor* self);

// A stored transition, to the router: for the peers bound when it happened
// (a peer bound since has been told where the account stands, and must not
// get this older news after that). Bindings and sessions may have changed
// while it was stored, so the copy the router keeps for the node that would
// take the account over is brought up to date right behind it.
void tell_router(principal_actor* self, presence_event ev, std::vector<caf::node_id> nodes) {
  auto& st = self->state;
  self->send(st.cfg.router, std::move(ev), std::move(nodes));
  refresh_shadow(self);
}

// Stores the transition in the lifecycle stream, then tells the router.
// Not awaited: a flapping device has several transitions on their way to
// the disk at once (one batch, one sync). The writer answers in the order it
// was asked, so the router hears them in (epoch, sequence) order. A
// transition the stream refuses as stale (an actor of a newer activation has
// spoken) is not told; one it could not store is told without a cursor:
// live listeners hear of it, replay will not.
void store_and_tell(principal_actor* self, presence_event ev, std::vector<caf::node_id> nodes) {
  auto& st = self->state;
  ++st.storing;
  auto told = [self] {
    auto& st = self->state;
    if (--st.storing == 0 && st.leaving)
      leave(self);
  };
  self->request(st.cfg.lifecycle, caf::infinite, lifecycle::append_atom::value, ev)
    .then(
      [self, ev, nodes, told](std::uint64_t cursor) mutable {
        if (cursor != 0) {
          ev.cursor = cursor;
          tell_router(self, std::move(ev), std::move(nodes));
        }
        told();
      },
      [self, ev, nodes, told](caf::error&) mutable {
        tell_router(self, std::move(ev), std::move(nodes));
        told();
      });
}

// Publishes the state the sessions now make, if it changed. The first
// transition of an activation takes its epoch from the stream first.
void publish_transition(principal_actor* self) {
  auto& st = self->state;
  auto next = derived_state(st);
  if (st.state == next)
    return; // never the same state twice in a row
  st.state = next;
  st.transition_ms = now_ms();
  ++st.sequence;
  auto ev = current_state(st);
  auto nodes = session_nodes(st);
  if (st.epoch != 0) {
    store_and_tell(self, std::move(ev), std::move(nodes));
    return;
  }
  // Awaited (once per activation): the transitions behind it need the epoch.
  ++st.storing;
  self->request(st.cfg.lifecycle, caf::infinite, lifecycle::epoch_atom::value, st.address)
    .await(
      [self, ev, nodes](std::uint64_t epoch) mutable {
        auto& st = self->state;
        --st.storing;
        st.epoch = epoch;
        ev.epoch = epoch;
        store_and_tell(self, std::move(ev), std::move(nodes));
      },
      [self, ev, nodes](caf::error&) mutable {
        // No counter to be had: live listeners still hear of it, as epoch 0
        // (older than any stored one), and the next transition tries again.
        auto& st = self->state;
        tell_router(self, std::move(ev), std::move(nodes));
        if (--st.storing == 0 && st.leaving)
          leave(self);
      });
}

// While online, what the node taking the account over would need (the
// peers to tell, the nodes of its sessions) changed: it hears so.
void refresh_shadow(principal_actor* self) {
  auto& st = self->state;
  if (st.state != lifecycle_state::OFFLINE)
    self->send(st.cfg.router, shadow_atom::value, current_state(st), session_nodes(st));
}

// Ends this actor of its own accord. The monitor on the router goes first:
// it lives in the router, not here, and would keep this actor's memory (and
// a list entry of the router) for as long as the router runs.
void leave(principal_actor* self) {
  self->demonitor(self->state.cfg.router);
  self->quit();
}

void schedule_idle(principal_actor* self) {
  auto& st = self->state;
  st.idle_since = std::chrono::steady_clock::now();
  if (st.idle_timer_pending)
    return;
  st.idle_timer_pending = true;
  self->delayed_send(self, st.cfg.idle_timeout, idle_atom::value);
}

// Asks the actors of `peers` for their presence; the online ones answer
// through the router like a transition.
void probe_peers(principal_actor* self, std::vector<std::string> peers) {
  if (!peers.empty())
    self->send(self->state.cfg.router, probe_atom::value, self->state.address, std::move(peers));
}

// Sends (session id, xs...) to the host of one session.
template <class... Ts>
void to_session(principal_actor* self, const session_ref& s, Ts&&... xs) {
  self->send(s.host, s.id, std::forward<Ts>(xs)...);
}

template <class... Ts>
void to_sessions(principal_actor* self, const Ts&... xs) {
  for (auto& [resource, session] : self->state.sessions)
    to_session(self, session, xs...);
}

void watch_host(principal_actor* self, const caf::actor& host) {
  if (host.node() == self->node())
    return;
  if (self->state.hosts[host.address()]++ == 0)
    self->monitor(host);
}

void unwatch_host(principal_actor* self, const caf::actor& host) {
  if (host.node() == self->node())
    return;
  auto& hosts = self->state.hosts;
  auto i = hosts.find(host.address());
  if (i != hosts.end() && --i->second == 0) {
    hosts.erase(i);
    self->demonitor(host);
  }
}

// The session of `resource` ended; `which`, when given, says which session,
// so that the end of a session a newer one replaced changes nothing.
void session_gone(principal_actor* self, const std::string& resource,
                  const session_ref* which = nullptr) {
  auto& st = self->state;
  auto i = st.sessions.find(resource);
  if (i == st.sessions.end())
    return;
  if (which != nullptr && i->second != *which)
    return;
  unwatch_host(self, i->second.host);
  st.sessions.erase(i);
  st.suspects.erase(resource);
  st.resumption_ids.erase(resource);
  publish_transition(self);
  if (st.sessions.empty())
    schedule_idle(self);
  else
    refresh_shadow(self);
}

// Hands `d` to every live session, or with none to the first module that
// keeps it (offline delivery); `Status` is push_status or direct_status,
// which share these names.
template <class Response>
caf::result<Response> deliver_or_queue(principal_actor* self, delivery d) {
  auto& st = self->state;
  using status = decltype(Response{}.status);
  if (!st.sessions.empty()) {
    auto n = static_cast<std::uint32_t>(st.sessions.size());
    to_sessions(self, d);
    return Response{status::DELIVERED, n};
  }
  if (st.cfg.modules.empty())
    return Response{status::QUEUE_FULL, 0};
  auto rp = self->make_response_promise<Response>();
  auto done = [rp](principal::kept_status k) mutable {
    using principal::kept_status;
    rp.deliver(Response{k == kept_status::kept              ? status::QUEUED
                        : k == kept_status::full            ? status::QUEUE_FULL
                        : k == kept_status::no_such_account ? status::NO_SUCH_ACCOUNT
                        : k == kept_status::unavailable     ? status::STORAGE_UNAVAILABLE
                                                            : status::STORAGE_FAILURE,
                        0});
  };
  for (auto& m : st.cfg.modules)
    if (m->undeliverable(self, st.address, d, done))
      return rp;
  rp.deliver(Response{status::QUEUE_FULL, 0});
  return rp;
}

// RFC 6121 §8.5.3.1: a message for one session (a full JID) goes to that
// session alone, so one session flooding another costs the account's other
// sessions nothing. When no session has the resource, §8.5.3.2.1 decides by
// message type: to the account as if to its bare JID (§8.5.2), or nowhere.
caf::result<direct_response> deliver_direct(principal_actor* self, direct_request& r) {
  auto& st = self->state;
  // The sender checked its side of the binding; this is ours. In a sharded
  // store each side holds its own half, and a half alone binds nothing.
  if (r.from != st.address && st.peers.count(r.from) == 0)
    return direct_response{direct_status::NOT_ALLOWED, 0};
  delivery d{delivery_kind::DIRECT, std::move(r.from), std::move(r.payload), 0};
  if (!r.resource.empty()) {
    auto i = st.sessions.find(r.resource);
    if (i != st.sessions.end()) {
      to_session(self, i->second, std::move(d));
      return direct_response{direct_status::DELIVERED, 1};
    }
    if (r.if_absent == absent_resource::REFUSE)
      return direct_response{direct_status::NO_SUCH_RESOURCE, 0};
  }
  return deliver_or_queue<direct_response>(self, std::move(d));
}

// The account's first session: each module hands over what it kept (offline
// delivery: what was stored meanwhile, before anything that arrives later).
void first_session(principal_actor* self) {
  auto& st = self->state;
  for (auto& m : st.cfg.modules)
    m->first_session(self, st.address, [self](const delivery& d) {
      if (self->state.sessions.empty())
        return false;
      to_sessions(self, d);
      return true;
    });
}

void apply_load(principal_actor* self, account::principal_record& r) {
  auto& st = self->state;
  st.account = r.status;
  if (r.status != lookup_status::found)
    return;
  st.kind = r.view.kind;
  st.peers.clear();
  st.peers.insert(r.peers.begin(), r.peers.end());
}

// A request for an account that the last load did not find (missing, or a
// read that failed) loads it again first, so that neither a storage fault nor
// an account registered since leaves a wrong answer standing. Returns
// nullopt when the account is loaded and the request can be handled now;
// otherwise the request's result: `otherwise(promise, status)` answers it if
// the account is still not there; if it now is, the request is handed back to
// this actor (behind whatever arrived during the load) and handled then.
template <class Response, class Otherwise, class... Ts>
std::optional<caf::result<Response>> reload_first(principal_actor* self, Otherwise otherwise,
                                                  Ts... request) {
  auto& st = self->state;
  if (st.account == lookup_status::found)
    return std::nullopt;
  auto rp = self->make_response_promise<Response>();
  if (std::exchange(st.fresh, false)) {
    otherwise(rp, st.account); // the activation's load has only just been made
    return caf::result<Response>{rp};
  }
  --st.routed; // counted again if the request comes back
  auto retry = [self, rp, otherwise, req = std::make_tuple(std::move(request)...)](
                 lookup_status now) mutable {
    auto& st = self->state;
    if (now == lookup_status::found) {
      std::apply([&](auto&... xs) { rp.delegate(caf::actor_cast<caf::actor>(self), xs...); }, req);
      return;
    }
    ++st.routed;
    otherwise(rp, now);
  };
  self->request(st.cfg.accounts, caf::infinite, load_atom::value, st.address)
    .await(
      [self, retry](account::principal_record& r) mutable {
        apply_load(self, r);
        retry(self->state.account);
      },
      [self, retry](caf::error&) mutable {
        self->state.account = lookup_status::failed;
        retry(lookup_status::failed);
      });
  return caf::result<Response>{rp};
}

// The answer to a push or user<->device message for an account that is not
// there, or could not be read.
template <class Response>
auto not_loaded() {
  return [](caf::typed_response_promise<Response>& rp, lookup_status s) {
    using status = decltype(Response{}.status);
    rp.deliver(Response{s == lookup_status::missing ? status::NO_SUCH_ACCOUNT
                                                    : status::STORAGE_FAILURE,
                        0});
  };
}

caf::behavior principal_fn(principal_actor* self, std::string address, principal_config cfg) {
  auto& st = self->state;
  st.address = std::move(address);
  st.cfg = std::move(cfg);
  // The activation's epoch comes from the stream's persisted counter, at
  // its first transition (most activations are for traffic to an account
  // that stays offline, and need none).
  st.fresh = true;
  self->request(st.cfg.accounts, caf::infinite, load_atom::value, st.address)
    .await(
      [self](account::principal_record& r) {
        apply_load(self, r);
        schedule_idle(self);
      },
      [self](caf::error&) { schedule_idle(self); });
  // A node shutting down stops its router; its user/device actors go with it.
  self->monitor(st.cfg.router);
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.source == self->state.cfg.router.address()) {
      self->quit(dm.reason);
      return;
    }
    // A host went down: every session it held has ended.
    std::vector<std::string> gone;
    for (auto& [resource, session] : self->state.sessions)
      if (session.host.address() == dm.source)
        gone.push_back(resource);
    for (auto& r : gone)
      session_gone(self, r);
  });
  return {
    [self](open_atom a, const std::string& address, const std::string& resource,
           const session_ref& session) -> caf::result<session_opened> {
      auto& st = self->state;
      ++st.routed;
      // An account that could not be read is an error (the client's stream
      // ends with internal-server-error and it may retry), never a refusal.
      auto otherwise = [](caf::typed_response_promise<session_opened>& rp, lookup_status s) {
        if (s == lookup_status::missing)
          rp.deliver(session_opened{});
        else
          rp.deliver(caf::make_error(caf::sec::runtime_error, "storage-failure"));
      };
      if (auto answered = reload_first<session_opened>(self, otherwise, a, address, resource,
                                                       session))
        return std::move(*answered);
      auto i = st.sessions.find(resource);
      if (i != st.sessions.end()) {
        // RFC 6120 §7.7.2.2: the newer session of a resource replaces the older.
        to_session(self, i->second, close_atom::value, std::string{"conflict"});
        unwatch_host(self, i->second.host);
        i->second = session;
        st.suspects.erase(resource);
        st.resumption_ids.erase(resource); // a resumed session files it again
      } else {
        st.sessions.emplace(resource, session);
      }
      watch_host(self, session.host);
      std::vector<std::string> peers(st.peers.begin(), st.peers.end());
      for (auto& [peer, ev] : st.peer_presence)
        if (ev.present())
          to_session(self, session, ev);
      if (!std::exchange(st.probed, true))
        probe_peers(self, peers);
      bool first = st.sessions.size() == 1;
      publish_transition(self);
      if (first)
        first_session(self);
      else
        refresh_shadow(self);
      return session_opened{caf::actor_cast<caf::actor>(self), st.kind, std::move(peers)};
    },
    [self](close_atom, const std::string& resource, const session_ref& session) {
      session_gone(self, resource, &session);
    },
    [self](sm_id_atom, const std::string& resource, const std::string& id,
           const session_ref& session) {
      auto& st = self->state;
      auto i = st.sessions.find(resource);
      if (i != st.sessions.end() && i->second == session)
        st.resumption_ids[resource] = id;
    },
    [self](sm_find_atom, const std::string& id) {
      auto& st = self->state;
      for (auto& [resource, known] : st.resumption_ids)
        if (known == id) {
          auto i = st.sessions.find(resource);
          return i == st.sessions.end() ? session_ref{} : i->second;
        }
      return session_ref{};
    },
    [self](suspect_atom, const std::string& resource, const session_ref& session) {
      auto& st = self->state;
      auto i = st.sessions.find(resource);
      if (i == st.sessions.end() || i->second != session)
        return; // an older session of the resource
      st.suspects.insert(resource);
      publish_transition(self);
    },
    [self](alive_atom, const std::string& resource, const session_ref& session) {
      auto& st = self->state;
      auto i = st.sessions.find(resource);
      if (i == st.sessions.end() || i->second != session)
        return;
      st.suspects.erase(resource);
      publish_transition(self);
    },
    [self](push_request& r) -> caf::result<push_response> {
      ++self->state.routed;
      if (auto answered = reload_first<push_response>(self, not_loaded<push_response>(), r))
        return std::move(*answered);
      return deliver_or_queue<push_response>(
        self, delivery{delivery_kind::PUSH, std::move(r.application), std::move(r.payload), 0});
    },
    [self](direct_request& r) -> caf::result<direct_response> {
      ++self->state.routed;
      if (auto answered = reload_first<direct_response>(self, not_loaded<direct_response>(), r))
        return std::move(*answered);
      return deliver_direct(self, r);
    },
    // §8.5 from another AS (docs/federation.md): its link checked the
    // sender's domain; this AS checks the binding.
    [self](cluster::as_link_atom a, direct_request& r) -> caf::result<direct_response> {
      ++self->state.routed;
      if (auto answered =
            reload_first<direct_response>(self, not_loaded<direct_response>(), a, r))
        return std::move(*answered);
      if (self->state.peers.count(r.from) == 0)
        return direct_response{direct_status::NOT_ALLOWED, 0};
      return deliver_direct(self, r);
    },
    [self](send_atom, direct_request& r) -> caf::result<direct_response> {
      auto& st = self->state;
      r.from = st.address;
      auto verdict = authorize_direct(st.address, r.to, st.peers);
      if (verdict != direct_status::DELIVERED)
        return direct_response{verdict, 0};
      return forward<direct_response>(self, st.cfg.router, std::move(r));
    },
    [self](presence_event& ev) {
      auto& st = self->state;
      ++st.routed;
      if (st.peers.count(ev.address) == 0)
        return;
      auto known = st.peer_presence.find(ev.address);
      if (known != st.peer_presence.end()
          && std::tie(known->second.epoch, known->second.sequence)
               >= std::tie(ev.epoch, ev.sequence))
        return; // a restatement or older news
      ev.bound.clear();
      st.peer_presence[ev.address] = ev;
      to_sessions(self, ev);
    },
    [self](bound_atom a, const std::string& peer) {
      ++self->state.routed;
      auto& st = self->state;
      st.peers.insert(peer);
      refresh_shadow(self);
      to_sessions(self, a, peer);
      probe_peers(self, {peer});
      // And tell the new peer where we stand: its probe may have come
      // before this news (in a cluster they travel by different routes)
      // and found us not bound yet. A second answer is a restatement it
      // drops.
      if (st.state != lifecycle_state::OFFLINE) {
        auto ev = current_state(st);
        ev.bound = {peer};
        self->send(st.cfg.router, probe_atom::value, std::move(ev));
      }
      return true;
    },
    [self](probe_atom a, const std::string& requester) {
      auto& st = self->state;
      ++st.routed;
      if (st.state != lifecycle_state::OFFLINE && st.peers.count(requester) != 0) {
        auto ev = current_state(st);
        ev.bound = {requester};
        self->send(st.cfg.router, a, std::move(ev));
      }
    },
    [self](unbound_atom a, const std::string& peer) {
      ++self->state.routed;
      self->state.peers.erase(peer);
      self->state.peer_presence.erase(peer);
      refresh_shadow(self);
      to_sessions(self, a, peer);
      return true;
    },
    [self](gone_atom a) {
      auto& st = self->state;
      ++st.routed;
      to_sessions(self, a);
      for (auto& [host, count] : st.hosts)
        self->demonitor(host);
      st.hosts.clear();
      st.sessions.clear();
      st.suspects.clear();
      st.resumption_ids.clear();
      publish_transition(self);
      st.leaving = true;
      if (st.storing == 0) // else once its last transition is out
        leave(self);
    },
    [self](idle_atom) {
      auto& st = self->state;
      st.idle_timer_pending = false;
      if (!st.sessions.empty())
        return;
      auto idle_for = std::chrono::steady_clock::now() - st.idle_since;
      if (idle_for < st.cfg.idle_timeout || st.storing != 0) {
        st.idle_timer_pending = true;
        // (A transition still on its way to the stream holds it back too.)
        auto wait = idle_for < st.cfg.idle_timeout
                      ? std::chrono::duration_cast<std::chrono::milliseconds>(
                          st.cfg.idle_timeout - idle_for)
                      : std::chrono::milliseconds(10);
        self->delayed_send(self, wait, idle_atom::value);
        return;
      }
      self->request(st.cfg.router, caf::infinite, passivate_atom::value, st.address, st.routed)
        .then([self](bool stop) {
          if (stop)
            leave(self);
          else if (self->state.sessions.empty())
            schedule_idle(self);
        });
    },
  };
}

} // namespace

caf::actor spawn_principal(caf::actor_system& system, std::string address,
                           principal_config config) {
  return system.spawn(principal_fn, std::move(address), std::move(config));
}

} // namespace irsp::principal
