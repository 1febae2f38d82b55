// A node's view of its cluster: which nodes own accounts, which serves the
// account store, fed to the router and the storage proxies.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cluster/member_info.hpp"

namespace irsp::account {
class replication_source;
} // namespace irsp::account

namespace irsp::cluster {

struct view_config {
  member_info self;            ///< this node, with its local services
  caf::actor membership;       ///< subscribed to for members up and down
  caf::actor router;           ///< told (owners_atom, names, routers)
  caf::actor accounts_proxy;   ///< told (put_atom, account server)
  caf::actor offline_proxy;    ///< told (put_atom, offline queue)
  caf::actor lifecycle_proxy;  ///< told (put_atom, lifecycle writer)
  /// The node that serves the account store (its name).
  std::string storage_node;
  /// When this node is `storage_node`: the store's primary end, which needs
  /// a live backup before it acknowledges any change.
  std::shared_ptr<account::replication_source> replication;
  /// How often a missing backup is looked for.
  std::chrono::milliseconds backup_check{1000};
  /// Fenced by etcd: the owners are the members holding a live lease there
  /// (sent by the lease keeper as (owners_atom, names)), not those alive.
  bool fenced = false;
  /// Fenced: who serves the store is what etcd says (store_primary_atom),
  /// not `storage_node`; this node's primary end (`replication`, not yet
  /// the store's replicator) is switched on by `promote` when it takes
  /// over, and the backup it attaches is first written to etcd here.
  std::string etcd;
  std::string store_primary_key;
  std::string store_backup_key;
  std::function<void()> promote;
};

/// Spawns the view. Fenced by etcd, the owners are exactly the members with
/// a live lease in etcd; one this node cannot reach is passed on with a null
/// router, so that its accounts answer an error rather than move here.
/// Without a coordination service, every member alive owns
/// accounts (placement follows membership at once), and the store is served
/// by `storage_node` while it is alive; while it is not, the proxies answer
/// storage-unavailable. The storage node keeps a full copy on one other
/// member (its backup: the one alive that ranks first for the store by
/// rendezvous hashing); when the backup dies it snapshots the store to the
/// next, and changes wait for that (or are refused: storage-unavailable)
/// rather than be acknowledged on one copy. Without etcd, who serves the
/// store changes only by the operator (`--storage-node` on restart): the log
/// names the backup holding the newest complete copy. Fenced by etcd, the
/// primary holds a key under its lease and names its backup in etcd before
/// that copy counts; when the primary's lease is gone the named backup takes
/// the key (cluster/store_primary.hpp) and this view switches it to
/// primary: its applier first refuses the old primary (a newer epoch, the
/// key's create revision), then it serves and attaches a backup of its own.
caf::actor spawn_cluster_view(caf::actor_system& system, view_config config);

} // namespace irsp::cluster
