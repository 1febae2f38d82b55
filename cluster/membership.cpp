// Membership of the nodes of one AS: seeds, joins, heartbeats, dead members.
#include "cluster/membership.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman_actor.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "actors/service_actor.hpp"
#include "cluster/cluster_atoms.hpp"

namespace irsp::cluster {

namespace {

using clock = std::chrono::steady_clock;

struct known_member {
  member_info info;
  bool alive = false;
  clock::time_point heard;   // last message from it
  clock::time_point since;   // in this state since
};

struct membership_state {
  membership_config cfg;
  std::map<std::string, known_member> members; // by name
  std::set<std::string> connecting;            // endpoints being dialled
  std::vector<caf::actor> listeners;
  clock::time_point started = clock::now();

  static inline const char* name = "irsp.membership";
};

using membership_actor = caf::stateful_actor<membership_state>;

void tell_listeners(membership_actor* self, const caf::message& msg) {
  for (auto& l : self->state.listeners)
    self->send(l, msg);
}

// One line per change of a member's state, for the operator.
void log_state(const membership_state& st, const member_info& m, const char* what) {
  std::fprintf(stderr, "irsp-node: cluster %s: member %s (%s) %s\n", st.cfg.self.name.c_str(),
               m.name.c_str(), m.address.to_string().c_str(), what);
}

void mark_dead(membership_actor* self, known_member& m, const char* why) {
  if (!m.alive)
    return;
  log_state(self->state, m.info, why);
  m.alive = false;
  m.since = clock::now();
  self->demonitor(m.info.member);
  tell_listeners(self, caf::make_message(member_down_atom::value, m.info));
}

// A member introduced itself (or was named by one that did).
void learn(membership_actor* self, const member_info& info) {
  auto& st = self->state;
  if (info.name == st.cfg.self.name || !info.member)
    return;
  auto now = clock::now();
  auto i = st.members.find(info.name);
  if (i != st.members.end() && i->second.info.incarnation == info.incarnation) {
    auto& m = i->second;
    m.heard = now;
    if (!m.alive) { // silent for a while (stopped?), now back
      m.alive = true;
      m.since = now;
      // Every handle afresh: its connection was closed meanwhile (BASP's
      // timeout), which killed the proxies we held for its actors.
      m.info = info;
      self->monitor(m.info.member);
      log_state(st, m.info, "is back");
      tell_listeners(self, caf::make_message(member_up_atom::value, m.info));
    }
    return;
  }
  if (i != st.members.end() && i->second.info.incarnation > info.incarnation)
    return; // news of an older process than the one we know
  if (i != st.members.end())
    mark_dead(self, i->second, "restarted"); // before we saw it die
  auto& m = st.members[info.name];
  m.info = info;
  m.alive = true;
  m.heard = now;
  m.since = now;
  self->monitor(m.info.member);
  log_state(st, m.info, "joined");
  tell_listeners(self, caf::make_message(member_up_atom::value, m.info));
}

// This node, then the others alive by name and address only: a handle of a
// third node's actor received here would make CAF route to it through us,
// and CAF 0.17 drops every proxy of a node when such a route breaks, even
// with a direct connection beside it. Each node learns handles only over
// its own connection to their node.
std::vector<member_info> alive_members(const membership_state& st) {
  std::vector<member_info> out{st.cfg.self};
  for (auto& [name, m] : st.members)
    if (m.alive)
      out.push_back(member_info{m.info.name, m.info.address, m.info.incarnation, {}, {}, {}, {}, {}});
  return out;
}

// Dials `where` and introduces this node to the member listening there.
void dial(membership_actor* self, const endpoint& where) {
  auto& st = self->state;
  auto key = where.to_string();
  if (where == st.cfg.self.address || !st.connecting.insert(key).second)
    return;
  auto timeout = std::max(st.cfg.failure_after, std::chrono::milliseconds{2000});
  self->request(st.cfg.connector, timeout, caf::connect_atom::value, where.host, where.port)
    .then(
      [self, key, timeout](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
        auto peer = caf::actor_cast<caf::actor>(ptr);
        if (!peer) {
          self->state.connecting.erase(key);
          return;
        }
        self->request(peer, timeout, join_atom::value, self->state.cfg.self)
          .then(
            [self, key](std::vector<member_info>& members) {
              self->state.connecting.erase(key);
              if (members.empty())
                return;
              learn(self, members.front()); // the member we dialled
              // Our own connection to each of the others, not a route
              // through this one: their liveness must not depend on its.
              auto& st = self->state;
              for (std::size_t i = 1; i < members.size(); ++i) {
                auto known = st.members.find(members[i].name);
                if (known == st.members.end() || !known->second.alive
                    || known->second.info.incarnation < members[i].incarnation)
                  dial(self, members[i].address);
              }
            },
            [self, key](caf::error&) { self->state.connecting.erase(key); });
      },
      [self, key](caf::error&) { self->state.connecting.erase(key); });
}

bool connected_to(const membership_state& st, const endpoint& where) {
  for (auto& [name, m] : st.members)
    if (m.alive && m.info.address == where)
      return true;
  return false;
}

void tick(membership_actor* self) {
  auto& st = self->state;
  auto now = clock::now();
  for (auto& [name, m] : st.members) {
    if (!m.alive)
      continue;
    if (now - m.heard > st.cfg.failure_after)
      mark_dead(self, m, "is dead: silent");
    else
      self->send(m.info.member, ping_atom::value, st.cfg.self.name);
  }
  for (auto& seed : st.cfg.seeds)
    if (!connected_to(st, seed))
      dial(self, seed);
  // A dead member may come back without a restart (it was stopped, or the
  // network healed): keep asking.
  for (auto& [name, m] : st.members)
    if (!m.alive)
      dial(self, m.info.address);
  self->delayed_send(self, st.cfg.heartbeat, tick_atom::value);
}

} // namespace

caf::actor spawn_membership(caf::actor_system& system, membership_config config) {
  return system.spawn([config](membership_actor* self) -> caf::behavior {
    auto& st = self->state;
    st.cfg = config;
    st.cfg.self.member = caf::actor_cast<caf::actor>(self);
    ignore_stray_errors(self);
    self->set_down_handler([self](caf::down_msg& dm) {
      for (auto& [name, m] : self->state.members)
        if (m.alive && m.info.member.address() == dm.source)
          mark_dead(self, m, "is dead: connection lost");
    });
    return {
      // Published: the port is known (it may have been 0), heartbeats start.
      [self](caf::publish_atom, std::uint16_t port) {
        auto& me = self->state.cfg.self;
        me.address.port = port;
        if (me.name.empty())
          me.name = me.address.to_string();
        tick(self);
      },
      [self](tick_atom) { tick(self); },
      [self](join_atom, member_info& info) {
        learn(self, info);
        return alive_members(self->state);
      },
      [self](ping_atom, const std::string& from) {
        auto& st = self->state;
        auto i = st.members.find(from);
        if (i != st.members.end() && i->second.alive)
          i->second.heard = clock::now();
        return caf::make_message(pong_atom::value, st.cfg.self.name);
      },
      [self](pong_atom, const std::string& from) {
        auto& st = self->state;
        auto i = st.members.find(from);
        if (i == st.members.end())
          return;
        if (i->second.alive)
          i->second.heard = clock::now();
        else
          dial(self, i->second.info.address); // answers again: back, with a fresh handle
      },
      [self](subscribe_atom, const caf::actor& listener) {
        auto& st = self->state;
        st.listeners.push_back(listener);
        for (auto& [name, m] : st.members)
          if (m.alive)
            self->send(listener, member_up_atom::value, m.info);
      },
      [self](status_atom) {
        auto& st = self->state;
        auto now = clock::now();
        auto ms = [now](clock::time_point t) {
          return std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
        };
        std::vector<member_status> out;
        out.push_back({st.cfg.self.name, st.cfg.self.address.to_string(), "self",
                       st.cfg.self.incarnation, ms(st.started)});
        for (auto& [name, m] : st.members)
          out.push_back({name, m.info.address.to_string(), m.alive ? "alive" : "dead",
                         m.info.incarnation, ms(m.since)});
        return out;
      },
    };
  });
}

} // namespace irsp::cluster
