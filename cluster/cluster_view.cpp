// A node's view of its cluster, from membership.
#include "cluster/cluster_view.hpp"

#include <caf/all.hpp>

#include <cstdio>
#include <map>

#include "actors/account/replica_atoms.hpp"
#include "actors/account/replication.hpp"
#include "actors/atoms.hpp"
#include "actors/service_actor.hpp"
#include "cluster/cluster_atoms.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/placement.hpp"

namespace irsp::cluster {

namespace {

using backup_atom = caf::atom_constant<caf::atom("backup")>;

struct view_state {
  view_config cfg;
  std::map<std::string, member_info> alive; // others, by name
  std::vector<std::string> leased; // fenced: the members etcd says own
  std::string backup;     // the member being or made the store's backup
  bool attaching = false; // a snapshot to it is running
  // Fenced: the store's primary as etcd says, and whether it is this node.
  std::string primary;
  std::uint64_t primary_epoch = 0;
  bool serving_store = false;
  static inline const char* name = "irsp.cluster_view";
};

using view_actor = caf::stateful_actor<view_state>;

void publish_view(view_actor* self) {
  auto& st = self->state;
  std::vector<std::string> names;
  std::vector<caf::actor> routers;
  if (st.cfg.fenced) {
    for (auto& name : st.leased) {
      names.push_back(name);
      auto i = st.alive.find(name);
      routers.push_back(name == st.cfg.self.name ? st.cfg.self.router
                        : i != st.alive.end()    ? i->second.router
                                                 : caf::actor{});
    }
  } else {
    names.push_back(st.cfg.self.name);
    routers.push_back(st.cfg.self.router);
    for (auto& [name, m] : st.alive) {
      names.push_back(name);
      routers.push_back(m.router);
    }
  }
  self->send(st.cfg.router, owners_atom::value, st.cfg.self.name, std::move(names),
             std::move(routers));
  caf::actor accounts, offline, lifecycle;
  // --storage-node names a member by name or by its listen address (the
  // default, the first seed, is an address).
  auto is_storage = [&st](const member_info& m) {
    if (st.cfg.fenced)
      return !st.primary.empty() && m.name == st.primary;
    return m.name == st.cfg.storage_node || m.address.to_string() == st.cfg.storage_node;
  };
  if (is_storage(st.cfg.self)) {
    accounts = st.cfg.self.accounts;
    offline = st.cfg.self.offline;
    lifecycle = st.cfg.self.lifecycle;
  } else {
    for (auto& [name, m] : st.alive)
      if (is_storage(m)) {
        accounts = m.accounts;
        offline = m.offline;
        lifecycle = m.lifecycle;
      }
  }
  self->send(st.cfg.accounts_proxy, caf::put_atom::value, accounts);
  self->send(st.cfg.offline_proxy, caf::put_atom::value, offline);
  if (st.cfg.lifecycle_proxy)
    self->send(st.cfg.lifecycle_proxy, caf::put_atom::value, lifecycle);
}

// The member that should hold the store's copy: the current backup while it
// lives, else the alive member that ranks first for the store.
std::string choose_backup(const view_state& st) {
  if (!st.backup.empty() && st.alive.count(st.backup) != 0)
    return st.backup;
  std::vector<std::string> candidates;
  for (auto& [name, m] : st.alive)
    if (m.replica)
      candidates.push_back(name);
  auto* best = home_of("account-store", candidates);
  return best ? *best : std::string{};
}

// On the storage node: makes sure a backup is attached; a snapshot runs on a
// thread of its own (it blocks), changes wait for it meanwhile.
void check_backup(view_actor* self) {
  auto& st = self->state;
  if (!st.cfg.replication || st.attaching || (st.cfg.fenced && !st.serving_store)
      || st.cfg.replication->live())
    return;
  auto name = choose_backup(st);
  if (name.empty())
    return;
  auto applier = st.alive[name].replica;
  st.backup = name;
  st.attaching = true;
  auto source = st.cfg.replication;
  // A restarted primary is a newer one; fenced, a later primary has a later
  // create revision of the primary key.
  auto epoch = st.cfg.fenced ? st.primary_epoch : st.cfg.self.incarnation;
  std::function<bool()> confirm;
  if (st.cfg.fenced)
    confirm = [cfg = st.cfg, name] {
      // Named in etcd before its copy counts, and only while we still are
      // the primary: only a named backup may take over.
      etcd_client etcd{cfg.etcd, std::chrono::milliseconds(2000)};
      auto put = etcd.put_guarded(cfg.store_backup_key, name, cfg.store_primary_key,
                                  cfg.self.name);
      return put && put->applied;
    };
  auto view = caf::actor_cast<caf::actor>(self);
  self->system().spawn<caf::detached>([source, applier, epoch, view, name, confirm] {
    caf::scoped_actor asker{view.home_system()};
    bool told = false;
    asker->request(applier, std::chrono::seconds(5), account::replica_epoch_atom::value, epoch)
      .receive([&](std::uint64_t) { told = true; }, [](caf::error&) {});
    bool ok = told && source->attach_backup(applier, epoch, confirm);
    std::fprintf(stderr, "irsp-node: account store: %s %s (epoch %llu)\n",
                 ok ? "backup is" : "could not make backup", name.c_str(),
                 static_cast<unsigned long long>(epoch));
    caf::anon_send(view, backup_atom::value, ok);
  });
}

// Fenced: etcd named a new primary (or none). Taking over, the applier
// first refuses the old primary (a newer epoch): nothing it writes from then
// on counts, so this copy holds every change ever acknowledged.
caf::result<bool> change_primary(view_actor* self, const std::string& name,
                                 std::uint64_t epoch) {
  auto& st = self->state;
  std::fprintf(stderr, "irsp-node: account store: %s\n",
               name.empty() ? "no primary now"
                            : ("primary is " + name + " (epoch " + std::to_string(epoch) + ")")
                                .c_str());
  bool mine = name == st.cfg.self.name;
  if (!mine && st.serving_store) {
    st.serving_store = false;
    st.cfg.replication->detach(); // every local change refused from now on
  }
  st.primary = name;
  st.primary_epoch = epoch;
  if (!mine || st.serving_store || !st.cfg.replication) {
    publish_view(self);
    return true;
  }
  auto rp = self->make_response_promise<bool>();
  self->request(st.cfg.self.replica, std::chrono::seconds(5), account::replica_epoch_atom::value,
                epoch)
    .then(
      [self, rp, epoch](std::uint64_t) mutable {
        auto& st = self->state;
        if (st.primary != st.cfg.self.name || st.primary_epoch != epoch) {
          rp.deliver(true); // superseded meanwhile
          return;
        }
        if (st.cfg.promote)
          st.cfg.promote();
        st.serving_store = true;
        publish_view(self);
        check_backup(self);
        rp.deliver(true);
      },
      [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

} // namespace

caf::actor spawn_cluster_view(caf::actor_system& system, view_config config) {
  return system.spawn([config](view_actor* self) -> caf::behavior {
    self->state.cfg = config;
    ignore_stray_errors(self);
    self->send(config.membership, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
    publish_view(self);
    if (self->state.cfg.replication)
      self->send(self, tick_atom::value);
    return {
      [self](member_up_atom, const member_info& m) {
        self->state.alive[m.name] = m;
        publish_view(self);
        check_backup(self);
      },
      [self](owners_atom, std::vector<std::string>& leased) -> caf::result<bool> {
        self->state.leased = std::move(leased);
        publish_view(self);
        // Answered once the router has switched: it handles our message
        // before anything we relay after it.
        auto rp = self->make_response_promise<bool>();
        self->request(self->state.cfg.router, std::chrono::seconds(5), caf::get_atom::value)
          .then([rp](bool) mutable { rp.deliver(true); },
                [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](store_primary_atom, const std::string& name,
             std::uint64_t epoch) -> caf::result<bool> {
        return change_primary(self, name, epoch);
      },
      [self](backup_atom, bool) { // a snapshot job ended
        self->state.attaching = false;
        check_backup(self);
      },
      [self](tick_atom) { // a backup that refused a change is dropped: find one
        check_backup(self);
        self->delayed_send(self, self->state.cfg.backup_check, tick_atom::value);
      },
      [self](member_down_atom, const member_info& m) {
        auto& alive = self->state.alive;
        auto i = alive.find(m.name);
        if (i == alive.end() || i->second.incarnation != m.incarnation)
          return;
        alive.erase(i);
        publish_view(self);
        check_backup(self);
      },
    };
  });
}

} // namespace irsp::cluster
