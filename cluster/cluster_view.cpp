// A node's view of its cluster, from membership.
#include "cluster/cluster_view.hpp"

#include <caf/all.hpp>

#include <map>

#include "actors/atoms.hpp"
#include "actors/service_actor.hpp"
#include "cluster/cluster_atoms.hpp"

namespace irsp::cluster {

namespace {

struct view_state {
  view_config cfg;
  std::map<std::string, member_info> alive; // others, by name
  static inline const char* name = "irsp.cluster_view";
};

using view_actor = caf::stateful_actor<view_state>;

void publish_view(view_actor* self) {
  auto& st = self->state;
  std::vector<std::string> names{st.cfg.self.name};
  std::vector<caf::actor> routers{st.cfg.self.router};
  for (auto& [name, m] : st.alive) {
    names.push_back(name);
    routers.push_back(m.router);
  }
  self->send(st.cfg.router, owners_atom::value, std::move(names), std::move(routers));
  caf::actor accounts, offline;
  if (st.cfg.storage_node == st.cfg.self.name) {
    accounts = st.cfg.self.accounts;
    offline = st.cfg.self.offline;
  } else if (auto i = st.alive.find(st.cfg.storage_node); i != st.alive.end()) {
    accounts = i->second.accounts;
    offline = i->second.offline;
  }
  self->send(st.cfg.accounts_proxy, caf::put_atom::value, accounts);
  self->send(st.cfg.offline_proxy, caf::put_atom::value, offline);
}

} // namespace

caf::actor spawn_cluster_view(caf::actor_system& system, view_config config) {
  return system.spawn([config](view_actor* self) -> caf::behavior {
    self->state.cfg = config;
    ignore_stray_errors(self);
    self->send(config.membership, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
    publish_view(self);
    return {
      [self](member_up_atom, const member_info& m) {
        self->state.alive[m.name] = m;
        publish_view(self);
      },
      [self](member_down_atom, const member_info& m) {
        auto& alive = self->state.alive;
        auto i = alive.find(m.name);
        if (i == alive.end() || i->second.incarnation != m.incarnation)
          return;
        alive.erase(i);
        publish_view(self);
      },
    };
  });
}

} // namespace irsp::cluster
