// A node's view of its cluster, from membership (and etcd when fenced).
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
#include "cluster/store_primary.hpp"

namespace irsp::cluster {

namespace {

using backup_atom = caf::atom_constant<caf::atom("backup")>;

// One shard as this node sees it.
struct shard_view {
  std::string backup;     // the member being or made its backup (on its primary)
  bool attaching = false; // a snapshot to it is running
  // Fenced: its primary as etcd says, and whether that is this node.
  std::string primary;
  std::uint64_t primary_epoch = 0;
  bool serving = false;
};

struct view_state {
  view_config cfg;
  std::map<std::string, member_info> alive; // others, by name
  std::vector<std::string> leased; // fenced: the members etcd says own
  std::vector<shard_view> shards;
  static inline const char* name = "irsp.cluster_view";
};

using view_actor = caf::stateful_actor<view_state>;

void log_shard(std::size_t k, const std::string& what) {
  std::fprintf(stderr, "irsp-node: account store shard %zu: %s\n", k, what.c_str());
}

// Whether `m` serves shard k now.
bool serves(const view_state& st, std::size_t k, const member_info& m) {
  if (st.cfg.fenced)
    return !st.shards[k].primary.empty() && m.name == st.shards[k].primary;
  // --storage-node names a member by name or by its listen address (the
  // default, the seeds, are addresses).
  auto& named = st.cfg.shards[k].first_primary;
  return m.name == named || m.address.to_string() == named;
}

caf::actor at(const std::vector<caf::actor>& xs, std::size_t k) {
  return k < xs.size() ? xs[k] : caf::actor{};
}

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
  for (std::size_t k = 0; k < st.shards.size(); ++k) {
    const member_info* server = serves(st, k, st.cfg.self) ? &st.cfg.self : nullptr;
    for (auto& [name, m] : st.alive)
      if (!server && serves(st, k, m))
        server = &m;
    auto shard = static_cast<std::uint32_t>(k);
    self->send(st.cfg.accounts_proxy, caf::put_atom::value, shard,
               server ? at(server->accounts, k) : caf::actor{});
    self->send(st.cfg.offline_proxy, caf::put_atom::value, shard,
               server ? at(server->offline, k) : caf::actor{});
    if (k == 0 && st.cfg.lifecycle_proxy) // the stream lives in shard 0
      self->send(st.cfg.lifecycle_proxy, caf::put_atom::value,
                 server ? server->lifecycle : caf::actor{});
  }
}

// The member that should hold shard k's copy: the current backup while it
// lives, else the alive member that ranks first for the shard.
std::string choose_backup(const view_state& st, std::size_t k) {
  auto& current = st.shards[k].backup;
  if (!current.empty() && st.alive.count(current) != 0)
    return current;
  std::vector<std::string> candidates;
  for (auto& [name, m] : st.alive)
    if (at(m.replicas, k))
      candidates.push_back(name);
  auto* best = home_of(k == 0 ? std::string{"account-store"}
                              : "account-store-" + std::to_string(k),
                       candidates);
  return best ? *best : std::string{};
}

// On a shard's primary: makes sure a backup is attached; a snapshot runs on
// a thread of its own (it blocks), changes wait for it meanwhile.
void check_backup(view_actor* self, std::size_t k) {
  auto& st = self->state;
  auto& sv = st.shards[k];
  auto source = st.cfg.shards[k].replication;
  if (!source || sv.attaching || (st.cfg.fenced && !sv.serving) || source->live())
    return;
  auto name = choose_backup(st, k);
  if (name.empty())
    return;
  auto applier = at(st.alive[name].replicas, k);
  sv.backup = name;
  sv.attaching = true;
  // A restarted primary is a newer one; fenced, a later primary has a later
  // create revision of the primary key.
  auto epoch = st.cfg.fenced ? sv.primary_epoch : st.cfg.self.incarnation;
  std::function<bool()> confirm;
  if (st.cfg.fenced)
    confirm = [endpoint = st.cfg.etcd, keys = store_keys::of(st.cfg.domain, k),
               me = st.cfg.self.name, name] {
      // Named in etcd before its copy counts, and only while we still are
      // the primary: only a named backup may take over.
      etcd_client etcd{endpoint, std::chrono::milliseconds(2000)};
      auto put = etcd.put_guarded(keys.backup, name, keys.primary, me);
      return put && put->applied;
    };
  auto view = caf::actor_cast<caf::actor>(self);
  auto shard = static_cast<std::uint32_t>(k);
  self->system().spawn<caf::detached>([source, applier, epoch, view, name, confirm, shard] {
    caf::scoped_actor asker{view.home_system()};
    bool told = false;
    asker->request(applier, std::chrono::seconds(5), account::replica_epoch_atom::value, epoch)
      .receive([&](std::uint64_t) { told = true; }, [](caf::error&) {});
    bool ok = told && source->attach_backup(applier, epoch, confirm);
    log_shard(shard, (ok ? "backup is " : "could not make backup ") + name + " (epoch "
                       + std::to_string(epoch) + ")");
    caf::anon_send(view, backup_atom::value, shard, ok);
  });
}

void check_backups(view_actor* self) {
  for (std::size_t k = 0; k < self->state.shards.size(); ++k)
    check_backup(self, k);
}

// Fenced: etcd named a new primary of shard k (or none). Taking over, the
// applier first refuses the old primary (a newer epoch): nothing it writes
// from then on counts, so this copy holds every change ever acknowledged.
caf::result<bool> change_primary(view_actor* self, std::size_t k, const std::string& name,
                                 std::uint64_t epoch) {
  auto& st = self->state;
  if (k >= st.shards.size())
    return false;
  log_shard(k, name.empty() ? std::string{"no primary now"}
                            : "primary is " + name + " (epoch " + std::to_string(epoch) + ")");
  auto& sv = st.shards[k];
  auto& role = st.cfg.shards[k];
  bool mine = name == st.cfg.self.name;
  if (!mine && sv.serving) {
    sv.serving = false;
    role.replication->detach(); // every local change to this shard refused from now on
  }
  sv.primary = name;
  sv.primary_epoch = epoch;
  if (!mine || sv.serving || !role.replication) {
    publish_view(self);
    return true;
  }
  auto rp = self->make_response_promise<bool>();
  self->request(at(st.cfg.self.replicas, k), std::chrono::seconds(5),
                account::replica_epoch_atom::value, epoch)
    .then(
      [self, rp, k, epoch](std::uint64_t) mutable {
        auto& st = self->state;
        auto& sv = st.shards[k];
        if (sv.primary != st.cfg.self.name || sv.primary_epoch != epoch) {
          rp.deliver(true); // superseded meanwhile
          return;
        }
        if (st.cfg.shards[k].promote)
          st.cfg.shards[k].promote();
        sv.serving = true;
        publish_view(self);
        check_backup(self, k);
        rp.deliver(true);
      },
      [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

} // namespace

caf::actor spawn_cluster_view(caf::actor_system& system, view_config config) {
  return system.spawn([config](view_actor* self) -> caf::behavior {
    self->state.cfg = config;
    self->state.shards.resize(config.shards.size());
    ignore_stray_errors(self);
    self->send(config.membership, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
    publish_view(self);
    self->send(self, tick_atom::value);
    return {
      [self](member_up_atom, const member_info& m) {
        // Nodes that split the store differently would look for accounts
        // in different shards: such a member is kept out of this view.
        if (m.accounts.size() != self->state.shards.size()) {
          std::fprintf(stderr,
                       "irsp-node: cluster: member %s has %zu shard(s) of the account store, "
                       "this node %zu: ignored (give every node the same --storage-node list)\n",
                       m.name.c_str(), m.accounts.size(), self->state.shards.size());
          return;
        }
        self->state.alive[m.name] = m;
        publish_view(self);
        check_backups(self);
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
      [self](store_primary_atom, std::uint32_t shard, const std::string& name,
             std::uint64_t epoch) -> caf::result<bool> {
        return change_primary(self, shard, name, epoch);
      },
      [self](backup_atom, std::uint32_t shard, bool) { // a snapshot job ended
        if (shard < self->state.shards.size()) {
          self->state.shards[shard].attaching = false;
          check_backup(self, shard);
        }
      },
      [self](tick_atom) { // a backup that refused a change is dropped: find one
        check_backups(self);
        self->delayed_send(self, self->state.cfg.backup_check, tick_atom::value);
      },
      [self](member_down_atom, const member_info& m) {
        auto& alive = self->state.alive;
        auto i = alive.find(m.name);
        if (i == alive.end() || i->second.incarnation != m.incarnation)
          return;
        alive.erase(i);
        // A shard whose backup died is copied to another member now, not
        // at its next write (which would find the backup gone, be refused
        // and leave the shard without a copy until the next check).
        auto& st = self->state;
        for (std::size_t k = 0; k < st.shards.size(); ++k)
          if (st.shards[k].backup == m.name && st.cfg.shards[k].replication
              && !st.shards[k].attaching)
            st.cfg.shards[k].replication->detach();
        publish_view(self);
        check_backups(self);
      },
    };
  });
}

} // namespace irsp::cluster
