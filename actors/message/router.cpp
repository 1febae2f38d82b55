// IRSP §7.2 message server: routing, activation and passivation of user and
// device actors, application registry and subscriptions.
#include "actors/message/router.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "actors/account/messages.hpp"
#include "actors/account/name_rules.hpp"
#include "actors/atoms.hpp"
#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/delegation.hpp"
#include "actors/message/authorization.hpp"
#include "actors/message/exchanges.hpp"
#include "actors/message/resumption_atoms.hpp"
#include "actors/principal/principal_actor.hpp"
#include "actors/service_actor.hpp"
#include "cluster/as_link_atoms.hpp"
#include "cluster/as_link_types.hpp"
#include "cluster/placement.hpp"

namespace irsp::message {

namespace {

struct principal_entry {
  caf::actor handle;
  std::uint64_t sent = 0; // messages routed to it; see passivation
};

struct app_entry {
  caf::actor handle;
  subscription subscribed;
};

// An application hosted by another node of the AS.
struct peer_app {
  std::string node;
  caf::actor handle;
  subscription subscribed;
};

// What a node keeps of an account homed on another node, for the day that
// node dies: this node is then its home, and tells its peers and
// applications it went offline (unless one of its sessions survives).
struct shadow_entry {
  presence_event last;
  std::string home;
  std::vector<caf::node_id> session_nodes;
};

// A request for an account whose owner is not settled, kept until it is.
struct held_request {
  std::string target;
  caf::message msg; // as it is handled again
  caf::response_promise rp;
  std::chrono::steady_clock::time_point until;
  bool here_only; // sent here as its home: wait until this node is
};

// Asks the router to look at its held requests again.
using release_atom = caf::atom_constant<caf::atom("releasehld")>;

// Requests held at once at most; beyond, refused as before.
constexpr std::size_t max_held = 10000;

struct router_state {
  router_config cfg;
  std::string apps_domain;
  std::unordered_map<std::string, principal_entry> principals;
  std::unordered_map<std::string, app_entry> apps;
  // The cluster (empty on a lone node): this node's name, the nodes that
  // own accounts now, this one included, and the routers of the others.
  std::string node_name;
  std::vector<std::string> owners;
  std::unordered_map<std::string, caf::actor> peers;
  std::unordered_map<std::string, std::vector<peer_app>> peer_apps;
  std::unordered_map<std::string, shadow_entry> shadows;
  caf::actor unreachable;
  std::vector<held_request> held;
  bool release_pending = false;
  bool clustered = false; // told of owners at least once
  // Links to other ASs by their domain (cluster/as_link.hpp); empty: none.
  std::unordered_map<std::string, caf::actor> as_links;

  static inline const char* name = "irsp.router";
};

using router_actor = caf::stateful_actor<router_state>;

// `name@domain` of this AS, prepared; empty if it is not one.
std::string normalise(const router_state& st, const std::string& address) {
  auto parts = account::split_address(address);
  if (!parts || parts->second != st.cfg.domain)
    return {};
  auto local = account::prepare_localpart(parts->first);
  return local ? *local + "@" + st.cfg.domain : std::string{};
}

// The application name of `name@apps.<domain>` (or a bare name); empty if none.
std::string app_name(const router_state& st, const std::string& address) {
  auto parts = account::split_address(address);
  if (!parts)
    return address.find('@') == std::string::npos ? address : std::string{};
  return parts->second == st.apps_domain ? parts->first : std::string{};
}

// The domain of an address of another AS (`d` for name@d and name@apps.d);
// empty for this AS's addresses and for bare application names.
std::string foreign_domain(const router_state& st, const std::string& address) {
  auto parts = account::split_address(address);
  if (!parts || parts->second == st.cfg.domain || parts->second == st.apps_domain)
    return {};
  return parts->second.compare(0, 5, "apps.") == 0 ? parts->second.substr(5) : parts->second;
}

// Whether `address` is an application of the AS of `domain`.
bool is_app_of(const std::string& address, const std::string& domain) {
  auto parts = account::split_address(address);
  return parts && parts->second == "apps." + domain;
}

caf::actor as_link_to(const router_state& st, const std::string& domain) {
  auto i = st.as_links.find(domain);
  return i == st.as_links.end() ? caf::actor{} : i->second;
}

// A stand-in for a node that owns accounts but cannot be reached now (or
// this node while its fence has lapsed): what is sent there is answered
// with an error at once, never activated here instead.
caf::actor unreachable(router_actor* self) {
  auto& st = self->state;
  if (!st.unreachable)
    st.unreachable = self->system().spawn([](caf::event_based_actor* x) {
      // Whatever comes (a one-element `caf::message&` handler would match
      // only a message holding one message).
      x->set_default_handler([](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
        return caf::make_error(caf::sec::request_receiver_down, "owner-unreachable");
      });
      return caf::behavior{[](caf::get_atom) {}};
    });
  return st.unreachable;
}

// Whether `address` is placed on this node by the owners it was last told
// of (whether or not it may serve it right now).
bool placed_here(const router_state& st, const std::string& address) {
  auto* home = cluster::home_of(address, st.owners);
  return home && *home == st.node_name;
}

// The router of the node home to `address`; null when that is this node
// (always on a lone node).
caf::actor home_router(router_actor* self, const std::string& address, bool check_fence = true) {
  auto& st = self->state;
  if (!st.clustered)
    return {};
  if (placed_here(st, address))
    return !check_fence || !st.cfg.serving || st.cfg.serving() ? caf::actor{} : unreachable(self);
  auto* home = cluster::home_of(address, st.owners);
  if (!home)
    return unreachable(self);
  auto i = st.peers.find(*home);
  return i == st.peers.end() || !i->second ? unreachable(self) : i->second;
}

// Whether `home` (from home_router) is an owner we cannot reach, or this
// node while it may not serve: the owners are changing.
bool unsettled(const router_state& st, const caf::actor& home) {
  return home && home == st.unreachable;
}

void schedule_release(router_actor* self) {
  if (!std::exchange(self->state.release_pending, true))
    self->delayed_send(self, std::chrono::milliseconds(100), release_atom::value);
}

// Keeps a request for `target` until its owner is settled (then it is handled
// again as if it came now) or `hold_for` has passed (then refused, as an
// unreachable owner is): a node's loss costs a client a short wait, not an
// error.
template <class Response>
caf::result<Response> hold(router_actor* self, std::string target, caf::message msg,
                           bool here_only = false) {
  auto& st = self->state;
  if (st.held.size() >= max_held)
    return caf::make_error(caf::sec::request_receiver_down,
                           here_only ? "not-home" : "owner-unreachable");
  st.held.push_back(held_request{std::move(target), std::move(msg), self->make_response_promise(),
                                 std::chrono::steady_clock::now() + st.cfg.hold_for, here_only});
  schedule_release(self);
  return caf::delegated<Response>{};
}

// Hands every held request whose owner is now settled back to this router,
// and refuses those that waited too long.
void release_held(router_actor* self) {
  auto& st = self->state;
  if (st.held.empty())
    return;
  auto now = std::chrono::steady_clock::now();
  auto held = std::move(st.held);
  st.held.clear();
  for (auto& h : held) {
    auto home = home_router(self, h.target);
    if (h.here_only ? !home : !unsettled(st, home))
      h.rp.delegate(caf::actor_cast<caf::actor>(self), std::move(h.msg));
    else if (now >= h.until)
      h.rp.deliver(caf::make_error(caf::sec::request_receiver_down,
                                   h.here_only ? "not-home" : "owner-unreachable"));
    else
      st.held.push_back(std::move(h));
  }
  if (!st.held.empty())
    schedule_release(self);
}

// Hands a request to the router of the account's home; its answer goes
// straight to whoever asked.
template <class Response, class... Ts>
caf::result<Response> to_home(router_actor* self, const caf::actor& home, Ts&&... xs) {
  self->delegate(home, home_atom::value, caf::make_message(std::forward<Ts>(xs)...));
  return caf::delegated<Response>{};
}

// The actor of an account, activated if it is not; every message the router
// sends it goes through here so that the count stays exact.
caf::actor& principal_for(router_actor* self, const std::string& address) {
  auto& st = self->state;
  auto i = st.principals.find(address);
  if (i == st.principals.end()) {
    principal::principal_config pc{caf::actor_cast<caf::actor>(self), st.cfg.accounts,
                                   st.cfg.modules, st.cfg.idle_timeout,
                                   st.cfg.lifecycle ? st.cfg.lifecycle : st.cfg.accounts};
    auto handle = principal::spawn_principal(self->system(), address, std::move(pc));
    self->monitor(handle);
    i = st.principals.emplace(address, principal_entry{handle, 0}).first;
  }
  ++i->second.sent;
  return i->second.handle;
}

// Where news for an account goes: the router of its home node (`remote`),
// else its actor here if active (the message counted as sent to it), else
// nowhere — an inactive actor loads its state when it activates. By
// placement alone: news for an actor already active here is delivered even
// while a fenced node waits to serve new traffic (it activates none).
caf::actor news_target(router_actor* self, const std::string& address, bool& remote) {
  remote = true;
  if (auto home = home_router(self, address, false))
    return home;
  remote = false;
  auto i = self->state.principals.find(address);
  if (i == self->state.principals.end())
    return {};
  ++i->second.sent;
  return i->second.handle;
}

// Tells an active actor about a binding change or a peer's presence; a
// peer of another AS hears of presence over its link (§8.5).
void notify_if_active(router_actor* self, const std::string& address, const caf::message& msg) {
  if (auto peer = foreign_domain(self->state, address); !peer.empty()) {
    auto link = as_link_to(self->state, peer);
    if (!link)
      return;
    if (msg.size() == 1 && msg.match_element<presence_event>(0))
      self->send(link, cluster::link_presence{msg.get_as<presence_event>(0), address});
    else if (msg.size() == 2 && msg.match_elements<probe_atom, std::string>())
      self->send(link, cluster::link_probe{msg.get_as<std::string>(1), address});
    else if (msg.size() == 2 && msg.match_elements<unbound_atom, std::string>())
      // Our account went (deleted, or a reset unbound it): the peer's side goes.
      self->send(link, account::unbind_request{msg.get_as<std::string>(1), address});
    return;
  }
  bool remote = false;
  auto target = news_target(self, address, remote);
  if (!target)
    return;
  if (remote)
    self->send(target, notify_atom::value, address, msg);
  else
    self->send(target, msg);
}


// Tells the active actors of `news` (address, message) of a binding change
// and calls `done` once each has taken it in: a client told its binding is
// made must be able to use it at once, and in a cluster the news and the
// client's next message travel by different routes.
void tell_and_wait(router_actor* self,
                   std::vector<std::pair<std::string, caf::message>> news,
                   std::function<void()> done) {
  auto left = std::make_shared<std::size_t>(news.size());
  auto one_done = [left, done] {
    if (--*left == 0)
      done();
  };
  if (news.empty())
    return done();
  constexpr auto bound = std::chrono::seconds(10); // only a lost node takes this long
  for (auto& [address, msg] : news) {
    bool remote = false;
    auto target = news_target(self, address, remote);
    if (!target) {
      one_done();
      continue;
    }
    auto answer = remote ? self->request(target, bound, notify_atom::value, address, msg)
                         : self->request(target, bound, msg);
    answer.then([one_done](bool) { one_done(); }, [one_done](caf::error&) { one_done(); });
  }
}

// An external application server, authenticated by the HTTPS gateway.
bool is_external_sender(const std::string& from) {
  return from.rfind("external:", 0) == 0;
}

// An application by name: this node's own if it has one, else another's.
caf::actor find_app(const router_state& st, const std::string& name) {
  auto i = st.apps.find(name);
  if (i != st.apps.end())
    return i->second.handle;
  auto j = st.peer_apps.find(name);
  if (j != st.peer_apps.end() && !j->second.empty())
    return j->second.front().handle;
  return {};
}

bool wants(const subscription& s, const std::string& device) {
  return s.all_devices || std::find(s.devices.begin(), s.devices.end(), device) != s.devices.end();
}

// A transition, to the applications that subscribed (devices only, §8.3.2)
// on every node, and to the bound peers that are active.
void publish(router_actor* self, const presence_event& ev) {
  auto& st = self->state;
  if (ev.kind == account::account_kind::DEVICE) {
    for (auto& [name, app] : st.apps)
      if (wants(app.subscribed, ev.address))
        self->send(app.handle, ev);
    for (auto& [name, instances] : st.peer_apps)
      for (auto& app : instances)
        if (wants(app.subscribed, ev.address))
          self->send(app.handle, ev);
  }
  auto msg = caf::make_message(ev);
  for (const auto& peer : ev.bound)
    notify_if_active(self, peer, msg);
}

// The node that becomes home to `address` if `home` goes; empty if none.
std::string successor_of(const router_state& st, const std::string& address,
                         const std::string& home) {
  std::vector<std::string> others;
  for (auto& n : st.owners)
    if (n != home)
      others.push_back(n);
  auto* next = cluster::home_of(address, others);
  return next ? *next : std::string{};
}

void tell_apps(router_actor* self, const caf::actor& peer_router) {
  auto& st = self->state;
  for (auto& [name, app] : st.apps)
    self->send(peer_router, peer_app_atom::value, st.node_name, name, app.handle,
               app.subscribed);
}

// The cluster's owners changed: applications of nodes that left are gone,
// new nodes learn ours, actors whose home moved stop (their sessions open
// again at the new home), and accounts whose home died are reported offline
// here if this node kept their state and none of their sessions lives on.
void change_owners(router_actor* self, std::vector<std::string> names,
                   std::vector<caf::actor> routers) {
  auto& st = self->state;
  std::unordered_map<std::string, caf::actor> peers;
  std::unordered_set<caf::node_id> alive{self->node()};
  for (std::size_t i = 0; i < names.size() && i < routers.size(); ++i) {
    if (names[i] == st.node_name)
      continue;
    peers.emplace(names[i], routers[i]); // null: an owner we cannot reach
    if (routers[i]) {
      alive.insert(routers[i].node());
      // Its node's connection may be lost before the owners change: from
      // then on what we sent it would vanish unanswered (CAF 0.17 drops
      // what reaches a dead proxy), so we must know at once. (Once per
      // handle: the owners are told again and again.)
      auto known = st.peers.find(names[i]);
      if (known == st.peers.end() || known->second != routers[i])
        self->monitor(routers[i]);
    }
  }
  // Both ways: the peer may never have seen us leave (a one-sided loss
  // under load), so it would not tell us its applications again unasked.
  for (auto& [name, r] : peers)
    if (auto known = st.peers.find(name); r && (known == st.peers.end() || !known->second)) {
      tell_apps(self, r);
      self->send(r, peer_app_atom::value, st.node_name);
    }
  for (auto& [name, instances] : st.peer_apps)
    instances.erase(std::remove_if(instances.begin(), instances.end(),
                                   [&](const peer_app& a) { return peers.count(a.node) == 0; }),
                    instances.end());
  std::vector<std::string> gone;
  for (auto& [name, r] : st.peers)
    if (peers.count(name) == 0)
      gone.push_back(name);
  std::sort(names.begin(), names.end());
  st.owners = std::move(names);
  st.peers = std::move(peers);
  std::vector<std::string> moved;
  for (auto& [address, entry] : st.principals) {
    // By placement, not by whether we serve right now: a fenced node that
    // waits for the others to agree keeps its actors (it only holds their
    // traffic back meanwhile).
    if (!placed_here(st, address))
      moved.push_back(address);
  }
  for (auto& address : moved) {
    auto i = st.principals.find(address);
    self->demonitor(i->second.handle);
    self->send_exit(i->second.handle, caf::exit_reason::user_shutdown);
    st.principals.erase(i);
  }
  for (auto i = st.shadows.begin(); i != st.shadows.end();) {
    auto& e = i->second;
    if (std::find(gone.begin(), gone.end(), e.home) == gone.end()) {
      ++i;
      continue;
    }
    bool survives = std::any_of(e.session_nodes.begin(), e.session_nodes.end(),
                                [&](const caf::node_id& n) { return alive.count(n) != 0; });
    // By placement alone: while a fenced cluster agrees on the new owners
    // this node does not serve yet, but it is the one to tell.
    if (!survives && placed_here(st, e.last.address)) {
      auto ev = e.last;
      ev.state = lifecycle_state::OFFLINE;
      ev.sequence += 1;
      ev.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
      // Stored first, like any transition; refused as stale if a newer
      // activation has spoken (one of its sessions reopened it meanwhile).
      self->request(st.cfg.lifecycle ? st.cfg.lifecycle : st.cfg.accounts, caf::infinite,
                    lifecycle::append_atom::value, ev)
        .then(
          [self, ev](std::uint64_t cursor) mutable {
            if (cursor == 0)
              return;
            ev.cursor = cursor;
            publish(self, ev);
          },
          [self, ev](caf::error&) { publish(self, ev); });
    }
    i = st.shadows.erase(i);
  }
  release_held(self);
}

// The state of an actor homed here, for the node that would take over the
// account.
void keep_shadow(router_actor* self, const presence_event& ev,
                 std::vector<caf::node_id> session_nodes) {
  auto& st = self->state;
  if (st.owners.size() < 2)
    return;
  auto i = st.peers.find(successor_of(st, ev.address, st.node_name));
  if (i != st.peers.end() && i->second)
    self->send(i->second, shadow_atom::value, ev, st.node_name, std::move(session_nodes));
}

// A transition of an actor homed here: published, and its state kept.
void transition(router_actor* self, const presence_event& ev,
                std::vector<caf::node_id> session_nodes) {
  publish(self, ev);
  keep_shadow(self, ev, std::move(session_nodes));
}

} // namespace

caf::actor spawn_router(caf::actor_system& system, router_config config) {
  return system.spawn([config](router_actor* self) -> caf::behavior {
    auto& st = self->state;
    st.cfg = config;
    st.apps_domain = "apps." + config.domain;
    ignore_stray_errors(self);
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      for (auto i = st.principals.begin(); i != st.principals.end(); ++i)
        if (i->second.handle.address() == dm.source) {
          st.principals.erase(i);
          return;
        }
      for (auto i = st.apps.begin(); i != st.apps.end(); ++i)
        if (i->second.handle.address() == dm.source) {
          st.apps.erase(i);
          return;
        }
      // A peer router's node is lost: an owner we cannot reach until the
      // owners change (requests for its accounts wait meanwhile, never go
      // to it), and its applications are gone (asked for again if it returns).
      for (auto& [name, r] : st.peers)
        if (r && r.address() == dm.source) {
          r = nullptr;
          for (auto& [app, instances] : st.peer_apps)
            instances.erase(std::remove_if(instances.begin(), instances.end(),
                                           [&](const peer_app& a) { return a.node == name; }),
                            instances.end());
        }
    });
    return {
      [self](open_atom a, const std::string& address, const std::string& resource,
             const session_ref& session) -> caf::result<session_opened> {
        auto normal = normalise(self->state, address);
        if (normal.empty())
          return session_opened{};
        if (auto home = home_router(self, normal)) {
          if (unsettled(self->state, home))
            return hold<session_opened>(self, normal,
                                        caf::make_message(a, normal, resource, session));
          return to_home<session_opened>(self, home, a, normal, resource, session);
        }
        auto& target = principal_for(self, normal);
        return forward<session_opened>(self, target, a, normal, resource, session);
      },
      [self](upload_request& r) -> caf::result<upload_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return upload_response{upload_status::PAYLOAD_TOO_LARGE, {}};
        if (!may_upload(r.from, st.apps_domain))
          return upload_response{upload_status::NOT_ALLOWED, {}};
        if (auto peer = foreign_domain(st, r.application); !peer.empty()) {
          // §8.7 across ASs: over the peer's link; it authorizes.
          if (!is_app_of(r.application, peer))
            return upload_response{upload_status::NO_SUCH_APPLICATION, {}};
          auto link = as_link_to(st, peer);
          if (!link)
            return upload_response{upload_status::UNKNOWN_DOMAIN, {}};
          return forward<upload_response>(self, link, std::move(r));
        }
        r.application = app_name(st, r.application);
        auto app = find_app(st, r.application);
        if (!app)
          return upload_response{upload_status::NO_SUCH_APPLICATION, {}};
        return forward<upload_response>(self, app, std::move(r));
      },
      [self](push_request& r) -> caf::result<push_response> {
        auto& st = self->state;
        if (!find_app(st, r.application))
          return push_response{push_status::NO_SUCH_APPLICATION, 0};
        if (r.payload.size() > st.cfg.max_payload)
          return push_response{push_status::PAYLOAD_TOO_LARGE, 0};
        auto parts = account::split_address(r.to);
        if (parts && parts->second == st.apps_domain) // applications talk by §8.4
          return push_response{push_status::NOT_ALLOWED, 0};
        if (auto peer = foreign_domain(st, r.to); !peer.empty()) {
          if (parts->second != peer) // another AS's application
            return push_response{push_status::NOT_ALLOWED, 0};
          // §8.7 the push back to an account of another AS, over its link.
          auto link = as_link_to(st, peer);
          if (!link)
            return push_response{push_status::UNKNOWN_DOMAIN, 0};
          if (r.application.find('@') == std::string::npos)
            r.application += "@" + st.apps_domain;
          return forward<push_response>(self, link, std::move(r));
        }
        auto to = normalise(st, r.to);
        if (to.empty())
          return push_response{push_status::NO_SUCH_ACCOUNT, 0};
        r.to = to;
        if (auto home = home_router(self, to)) {
          if (unsettled(st, home))
            return hold<push_response>(self, to, caf::make_message(std::move(r)));
          return to_home<push_response>(self, home, std::move(r));
        }
        return forward<push_response>(self, principal_for(self, to), std::move(r));
      },
      [self](direct_request& r) -> caf::result<direct_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return direct_response{direct_status::PAYLOAD_TOO_LARGE, 0};
        if (auto peer = foreign_domain(st, r.to); !peer.empty()) {
          // §8.5 across ASs: already authorised by the sender's actor (a
          // bound peer); the peer's AS checks the binding again.
          if (is_app_of(r.to, peer))
            return direct_response{direct_status::NO_SUCH_ACCOUNT, 0};
          auto link = as_link_to(st, peer);
          if (!link)
            return direct_response{direct_status::UNKNOWN_DOMAIN, 0};
          return forward<direct_response>(self, link, std::move(r));
        }
        auto to = normalise(st, r.to);
        if (to.empty())
          return direct_response{direct_status::NO_SUCH_ACCOUNT, 0};
        r.to = to;
        if (auto home = home_router(self, to)) {
          if (unsettled(st, home))
            return hold<direct_response>(self, to, caf::make_message(std::move(r)));
          return to_home<direct_response>(self, home, std::move(r));
        }
        return forward<direct_response>(self, principal_for(self, to), std::move(r));
      },
      [self](app_message_request& r) -> caf::result<app_message_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return app_message_response{app_message_status::PAYLOAD_TOO_LARGE, {}};
        if (auto peer = foreign_domain(st, r.to); !peer.empty()) {
          // §8.6 across ASs: only this AS's own applications send there.
          if (!is_app_of(r.to, peer) || is_external_sender(r.from) || !find_app(st, r.from))
            return app_message_response{app_message_status::NO_SUCH_APPLICATION, {}};
          auto link = as_link_to(st, peer);
          if (!link)
            return app_message_response{app_message_status::UNKNOWN_DOMAIN, {}};
          if (r.from.find('@') == std::string::npos)
            r.from += "@" + st.apps_domain;
          return forward<app_message_response>(self, link, std::move(r));
        }
        r.to = app_name(st, r.to);
        auto app = find_app(st, r.to);
        // §8.8.3: the inbound HTTPS gateway sends as "external:<key id>",
        // a name no application can have; any other sender must be one.
        if (!app || (!is_external_sender(r.from) && !find_app(st, r.from)))
          return app_message_response{app_message_status::NO_SUCH_APPLICATION, {}};
        return forward<app_message_response>(self, app, std::move(r));
      },
      [self](const presence_event& ev) { publish(self, ev); },
      [self](const presence_event& ev, std::vector<caf::node_id>& session_nodes) {
        transition(self, ev, std::move(session_nodes));
      },
      [self](probe_atom a, const std::string& requester, const std::vector<std::string>& peers) {
        auto msg = caf::make_message(a, requester);
        for (const auto& peer : peers)
          notify_if_active(self, peer, msg); // inactive peers are offline: nothing to tell
      },
      [self](probe_atom, const presence_event& answer) {
        // Not a transition: only for the peer that asked, never for applications.
        auto msg = caf::make_message(answer);
        for (const auto& peer : answer.bound)
          notify_if_active(self, peer, msg);
      },
      [self](account::bind_request& r) -> caf::result<bind_status> {
        auto& st = self->state;
        auto rp = self->make_response_promise<bind_status>();
        auto user = normalise(st, r.user);
        if (auto peer = foreign_domain(st, r.device); !peer.empty() && !user.empty()) {
          // §8.5 across ASs: the device's AS checks the code and records its
          // side; then this AS records the user's.
          auto link = as_link_to(st, peer);
          if (!link)
            return bind_status::UNKNOWN_DOMAIN;
          r.user = user;
          auto device = r.device;
          self->request(link, caf::infinite, std::move(r))
            .then(
              [self, rp, user, device](bind_status s) mutable {
                if (s != bind_status::OK) {
                  rp.deliver(s);
                  return;
                }
                self->request(self->state.cfg.accounts, caf::infinite, cluster::as_link_atom::value,
                              bound_atom::value, user, device)
                  .then(
                    [self, rp, user, device](bind_status mine) mutable {
                      if (mine != bind_status::OK && mine != bind_status::ALREADY_BOUND) {
                        rp.deliver(mine);
                        return;
                      }
                      tell_and_wait(self, {{user, caf::make_message(bound_atom::value, device)}},
                                    [rp]() mutable { rp.deliver(bind_status::OK); });
                    },
                    [rp](caf::error&) mutable { rp.deliver(bind_status::STORAGE_FAILURE); });
              },
              [rp](caf::error&) mutable { rp.deliver(bind_status::PEER_UNREACHABLE); });
          return rp;
        }
        auto device = normalise(st, r.device);
        if (device.empty())
          return bind_status::NO_SUCH_DEVICE;
        r.user = user;
        r.device = device;
        self->request(st.cfg.accounts, caf::infinite, std::move(r))
          .then(
            [self, rp, user, device](bind_status s) mutable {
              if (s != bind_status::OK) {
                rp.deliver(s);
                return;
              }
              tell_and_wait(self,
                            {{user, caf::make_message(bound_atom::value, device)},
                             {device, caf::make_message(bound_atom::value, user)}},
                            [rp, s]() mutable { rp.deliver(s); });
            },
            [rp](caf::error&) mutable { rp.deliver(bind_status::STORAGE_FAILURE); });
        return rp;
      },
      [self](account::unbind_request& r) -> caf::result<unbind_status> {
        auto& st = self->state;
        auto rp = self->make_response_promise<unbind_status>();
        auto a = normalise(st, r.account);
        if (auto domain = foreign_domain(st, r.peer); !domain.empty() && !a.empty()) {
          // §8.5 across ASs: this AS's side at once; the peer's AS hears of
          // it over the link (queued while it is down) and removes its own.
          auto peer = r.peer;
          self->request(st.cfg.accounts, caf::infinite, cluster::as_link_atom::value,
                        account::unbind_request{a, peer})
            .then(
              [self, rp, a, peer, domain](unbind_status s) mutable {
                if (s != unbind_status::OK) {
                  rp.deliver(s);
                  return;
                }
                if (auto link = as_link_to(self->state, domain))
                  self->send(link, account::unbind_request{a, peer});
                tell_and_wait(self, {{a, caf::make_message(unbound_atom::value, peer)}},
                              [rp, s]() mutable { rp.deliver(s); });
              },
              [rp](caf::error&) mutable { rp.deliver(unbind_status::STORAGE_FAILURE); });
          return rp;
        }
        auto p = normalise(st, r.peer);
        if (a.empty() || p.empty())
          return unbind_status::NOT_BOUND;
        self->request(st.cfg.accounts, caf::infinite, account::unbind_request{a, p})
          .then(
            [self, rp, a, p](unbind_status s) mutable {
              if (s != unbind_status::OK) {
                rp.deliver(s);
                return;
              }
              tell_and_wait(self,
                            {{a, caf::make_message(unbound_atom::value, p)},
                             {p, caf::make_message(unbound_atom::value, a)}},
                            [rp, s]() mutable { rp.deliver(s); });
            },
            [rp](caf::error&) mutable { rp.deliver(unbind_status::STORAGE_FAILURE); });
        return rp;
      },
      [self](account::modify_request& r) {
        return self->delegate(self->state.cfg.accounts, std::move(r));
      },
      [self](account::reset_code_request& r) -> caf::result<account::reset_code_response> {
        auto rp = self->make_response_promise<account::reset_code_response>();
        auto address = normalise(self->state, r.address);
        self->request(self->state.cfg.accounts, caf::infinite, std::move(r))
          .then(
            [self, rp, address](account::reset_code_response& resp) mutable {
              for (const auto& peer : resp.unbound) {
                notify_if_active(self, address, caf::make_message(unbound_atom::value, peer));
                notify_if_active(self, peer, caf::make_message(unbound_atom::value, address));
              }
              rp.deliver(std::move(resp));
            },
            [rp](caf::error&) mutable {
              rp.deliver(account::reset_code_response{
                account::reset_code_status::STORAGE_FAILURE, {}, {}});
            });
        return rp;
      },
      [self](account::delete_request& r) -> caf::result<account::delete_response> {
        auto rp = self->make_response_promise<account::delete_response>();
        auto address = normalise(self->state, r.address);
        self->request(self->state.cfg.accounts, caf::infinite, std::move(r))
          .then(
            [self, rp, address](account::delete_response& resp) mutable {
              if (resp.status == account::delete_status::OK) {
                for (const auto& peer : resp.unbound)
                  notify_if_active(self, peer, caf::make_message(unbound_atom::value, address));
                auto& st = self->state;
                if (auto home = home_router(self, address)) {
                  self->send(home, notify_atom::value, address,
                             caf::make_message(gone_atom::value));
                  rp.deliver(std::move(resp));
                  return;
                }
                auto i = st.principals.find(address);
                if (i != st.principals.end()) {
                  self->send(i->second.handle, gone_atom::value);
                  st.principals.erase(i);
                }
              }
              rp.deliver(std::move(resp));
            },
            [rp](caf::error&) mutable {
              rp.deliver(account::delete_response{account::delete_status::STORAGE_FAILURE, {}});
            });
        return rp;
      },
      [self](app_atom, const std::string& name, const caf::actor& app, subscription& s) {
        auto& st = self->state;
        if (name.empty() || is_external_sender(name) || st.apps.count(name) != 0)
          return false;
        for (auto& d : s.devices) {
          auto normal = normalise(st, d);
          if (!normal.empty())
            d = normal;
        }
        self->monitor(app);
        for (auto& [node, r] : st.peers)
          if (r)
            self->send(r, peer_app_atom::value, st.node_name, name, app, s);
        st.apps.emplace(name, app_entry{app, std::move(s)});
        return true;
      },
      // -- from the links to other ASs (cluster/as_link.hpp) ------------------
      // The link's endpoint has checked that the source is of the peer's
      // domain and the target of ours; what follows is this AS's own rule:
      // any account of a linked peer may upload to our applications, any of
      // its applications may push to our accounts and message our applications.
      [self](cluster::as_link_atom, const std::string& domain, const caf::actor& link) {
        self->state.as_links[domain] = link;
      },
      [self](cluster::as_link_atom, upload_request& r) -> caf::result<upload_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return upload_response{upload_status::PAYLOAD_TOO_LARGE, {}};
        r.application = app_name(st, r.application);
        auto app = find_app(st, r.application);
        if (!app)
          return upload_response{upload_status::NO_SUCH_APPLICATION, {}};
        return forward<upload_response>(self, app, std::move(r));
      },
      [self](cluster::as_link_atom a, push_request& r) -> caf::result<push_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return push_response{push_status::PAYLOAD_TOO_LARGE, 0};
        auto to = normalise(st, r.to);
        if (to.empty())
          return push_response{push_status::NO_SUCH_ACCOUNT, 0};
        r.to = to;
        if (auto home = home_router(self, to)) {
          self->delegate(home, a, std::move(r));
          return caf::delegated<push_response>{};
        }
        return forward<push_response>(self, principal_for(self, to), std::move(r));
      },
      [self](cluster::as_link_atom a, account::bind_request& r) -> caf::result<bind_status> {
        auto& st = self->state;
        auto device = normalise(st, r.device);
        if (device.empty())
          return bind_status::NO_SUCH_DEVICE;
        r.device = device;
        auto user = r.user;
        auto rp = self->make_response_promise<bind_status>();
        self->request(st.cfg.accounts, caf::infinite, a, std::move(r))
          .then(
            [self, rp, user, device](bind_status s) mutable {
              if (s != bind_status::OK) {
                rp.deliver(s);
                return;
              }
              tell_and_wait(self, {{device, caf::make_message(bound_atom::value, user)}},
                            [rp, s]() mutable { rp.deliver(s); });
            },
            [rp](caf::error&) mutable { rp.deliver(bind_status::STORAGE_FAILURE); });
        return rp;
      },
      [self](cluster::as_link_atom a, direct_request& r) -> caf::result<direct_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return direct_response{direct_status::PAYLOAD_TOO_LARGE, 0};
        auto to = normalise(st, r.to);
        if (to.empty())
          return direct_response{direct_status::NO_SUCH_ACCOUNT, 0};
        r.to = to;
        if (auto home = home_router(self, to)) {
          self->delegate(home, a, std::move(r));
          return caf::delegated<direct_response>{};
        }
        // The addressee's actor checks that the sender is bound to it.
        self->delegate(principal_for(self, to), a, std::move(r));
        return caf::delegated<direct_response>{};
      },
      [self](cluster::as_link_atom a, account::unbind_request& r) -> caf::result<unbind_status> {
        // The peer's account (r.account) unbound ours (r.peer): our side goes too.
        auto& st = self->state;
        auto ours = normalise(st, r.peer);
        if (ours.empty())
          return unbind_status::NOT_BOUND;
        auto theirs = r.account;
        auto rp = self->make_response_promise<unbind_status>();
        self->request(st.cfg.accounts, caf::infinite, a, account::unbind_request{ours, theirs})
          .then(
            [self, rp, ours, theirs](unbind_status s) mutable {
              if (s != unbind_status::OK) {
                rp.deliver(s);
                return;
              }
              tell_and_wait(self, {{ours, caf::make_message(unbound_atom::value, theirs)}},
                            [rp, s]() mutable { rp.deliver(s); });
            },
            [rp](caf::error&) mutable { rp.deliver(unbind_status::STORAGE_FAILURE); });
        return rp;
      },
      [self](cluster::as_link_atom, cluster::link_presence& p) {
        // The addressee's actor takes it only from a bound peer.
        auto target = normalise(self->state, p.target);
        if (!target.empty())
          notify_if_active(self, target, caf::make_message(std::move(p.event)));
        return cluster::link_ack{};
      },
      [self](cluster::as_link_atom, cluster::link_probe& p) {
        // The addressee's actor answers only a bound peer, and only if online.
        auto target = normalise(self->state, p.target);
        if (!target.empty())
          notify_if_active(self, target, caf::make_message(probe_atom::value, p.requester));
        return cluster::link_ack{};
      },
      [self](cluster::as_link_atom, app_message_request& r) -> caf::result<app_message_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return app_message_response{app_message_status::PAYLOAD_TOO_LARGE, {}};
        r.to = app_name(st, r.to);
        auto app = find_app(st, r.to);
        if (!app)
          return app_message_response{app_message_status::NO_SUCH_APPLICATION, {}};
        return forward<app_message_response>(self, app, std::move(r));
      },
      // -- between the routers of one AS --------------------------------------
      [self](home_atom, caf::message& inner) -> caf::result<caf::message> {
        // Sent here because the sender's view made this node home; if ours
        // disagrees (owners are changing), it waits here until this node is
        // its home (and serves), else is refused: never passed on again nor
        // activated here while another node may be its home.
        std::string target; // CAF's match_element does not check the size
        if (inner.size() == 4 && inner.match_elements<open_atom, std::string, std::string,
                                                      session_ref>())
          target = inner.get_as<std::string>(1);
        else if (inner.size() == 1 && inner.match_element<push_request>(0))
          target = inner.get_as<push_request>(0).to;
        else if (inner.size() == 1 && inner.match_element<direct_request>(0))
          target = inner.get_as<direct_request>(0).to;
        else
          return caf::make_error(caf::sec::unexpected_message);
        if (home_router(self, target))
          return hold<caf::message>(self, target, std::move(inner), true);
        self->delegate(caf::actor_cast<caf::actor>(self), std::move(inner));
        return caf::delegated<caf::message>{};
      },
      [self](notify_atom, const std::string& address, caf::message& msg) -> caf::result<bool> {
        auto& st = self->state;
        if (home_router(self, address, false))
          return true; // moved meanwhile: it hears it when it activates there
        auto i = st.principals.find(address);
        if (i == st.principals.end())
          return true; // inactive: nothing to tell
        if (msg.match_elements<gone_atom>()) {
          self->send(i->second.handle, gone_atom::value);
          st.principals.erase(i);
          return true;
        }
        ++i->second.sent;
        if (msg.match_elements<bound_atom, std::string>()
            || msg.match_elements<unbound_atom, std::string>()) {
          self->delegate(i->second.handle, std::move(msg)); // answers once taken in
          return caf::delegated<bool>{};
        }
        self->send(i->second.handle, msg);
        return true;
      },
      [](bool) {
        // The answer of an actor to binding news that nobody waits for.
      },
      [](caf::get_atom) {
        return true; // the cluster view's "have you taken in what I sent?"
      },
      [self](sm_find_atom a, const std::string& address, const std::string& id,
             bool from_peer) -> caf::result<session_ref> {
        // XEP-0198 on another node: the account's actor knows its sessions'
        // resumption ids. Never activates one (no actor: nothing to resume).
        auto& st = self->state;
        auto normal = normalise(st, address);
        if (normal.empty())
          return session_ref{};
        if (auto home = home_router(self, normal, false)) {
          if (from_peer || unsettled(st, home))
            return session_ref{};
          self->delegate(home, a, normal, id, true);
          return caf::delegated<session_ref>{};
        }
        auto i = st.principals.find(normal);
        if (i == st.principals.end())
          return session_ref{};
        self->delegate(i->second.handle, a, id);
        return caf::delegated<session_ref>{};
      },
      [self](release_atom) {
        self->state.release_pending = false;
        release_held(self);
      },
      [self](owners_atom, const std::string& me, std::vector<std::string>& names,
             std::vector<caf::actor>& routers) {
        self->state.node_name = me;
        self->state.clustered = true;
        change_owners(self, std::move(names), std::move(routers));
      },
      [self](peer_app_atom, const std::string& node) {
        // A router that just saw this node (again) asks for its applications.
        auto i = self->state.peers.find(node);
        if (i != self->state.peers.end() && i->second)
          tell_apps(self, i->second);
      },
      [self](peer_app_atom, const std::string& node, const std::string& name,
             const caf::actor& app, const subscription& s) {
        auto& instances = self->state.peer_apps[name];
        for (auto& a : instances)
          if (a.node == node) {
            a.handle = app;
            a.subscribed = s;
            return;
          }
        instances.push_back(peer_app{node, app, s});
      },
      [self](shadow_atom, const presence_event& ev, std::vector<caf::node_id>& session_nodes) {
        keep_shadow(self, ev, std::move(session_nodes)); // from an actor homed here
      },
      [self](shadow_atom, const presence_event& ev, const std::string& home,
             std::vector<caf::node_id>& session_nodes) {
        auto& shadows = self->state.shadows;
                    if (ev.present())
          shadows[ev.address] = shadow_entry{ev, home, std::move(session_nodes)};
        else
          shadows.erase(ev.address);
      },
      [self](passivate_atom, const std::string& address, std::uint64_t received) {
        // Only when nothing the router sent is still on its way: otherwise a
        // second actor for the same account could be activated beside it.
        auto& st = self->state;
        auto i = st.principals.find(address);
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (i == st.principals.end() || i->second.handle != sender
            || i->second.sent != received)
          return false;
        self->demonitor(i->second.handle);
        st.principals.erase(i);
        return true;
      },
    };
  });
}

} // namespace irsp::message
