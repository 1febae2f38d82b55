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
#include <vector>

namespace irsp::account {
class replication_source;
} // namespace irsp::account

namespace irsp::cluster {

/// This node's end of one shard of the account store.
struct shard_role {
  /// The node named to serve the shard (by name or listen address): the
  /// one that serves it without etcd, the first one with etcd.
  std::string first_primary;
  /// The shard's primary end on this node: without etcd only on
  /// `first_primary` (already the store's replicator); with etcd on every
  /// node, switched on by `promote` when this node takes the shard over.
  std::shared_ptr<account::replication_source> replication;
  std::function<void()> promote;
};

struct view_config {
  member_info self;            ///< this node, with its local services
  caf::actor membership;       ///< subscribed to for members up and down
  caf::actor router;           ///< told (owners_atom, names, routers)
  caf::actor accounts_proxy;   ///< told (put_atom, uint32 shard, account server)
  caf::actor offline_proxy;    ///< told (put_atom, uint32 shard, offline queue)
  caf::actor lifecycle_proxy;  ///< told (put_atom, lifecycle writer of shard 0's node)
  std::vector<shard_role> shards; ///< at least one
  /// How often a missing backup is looked for.
  std::chrono::milliseconds backup_check{1000};
  /// Fenced by etcd: the owners are the members holding a live lease there
  /// (sent by the lease keeper as (owners_atom, names)), not those alive;
  /// and who serves each shard is what etcd says (store_primary_atom), the
  /// backup a primary attaches first written to etcd (`etcd`, `domain`:
  /// the keys of cluster/store_primary.hpp).
  bool fenced = false;
  std::string etcd;
  std::string domain;
};

/// Spawns the view. Fenced by etcd, the owners are exactly the members with
/// a live lease in etcd; one this node cannot reach is passed on with a null
/// router, so that its accounts answer an error rather than move here.
/// Without a coordination service, every member alive owns accounts
/// (placement follows membership at once).
///
/// The account store is in shards (cluster/shard_map.hpp), each served by
/// one node (its primary) while it is alive — while none is, the proxies
/// answer storage-unavailable for that shard's accounts — and copied to one
/// other member (its backup: the alive member that ranks first for the
/// shard by rendezvous hashing); when the backup dies the primary snapshots
/// the shard to the next, and changes wait for that (or are refused:
/// storage-unavailable) rather than be acknowledged on one copy. Without
/// etcd, who serves a shard changes only by the operator (`--storage-node`
/// on restart): the log names the backup holding the newest complete copy.
/// Fenced by etcd, a shard's primary holds a key under its lease and names
/// its backup in etcd before that copy counts; when the primary's lease is
/// gone the named backup takes the key (cluster/store_primary.hpp) and this
/// view switches it to primary: its applier first refuses the old primary
/// (a newer epoch, the key's create revision), then it serves the shard and
/// attaches a backup of its own.
caf::actor spawn_cluster_view(caf::actor_system& system, view_config config);

} // namespace irsp::cluster
