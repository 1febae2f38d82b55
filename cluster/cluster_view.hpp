// A node's view of its cluster: which nodes own accounts, which serves the
// account store, fed to the router and the storage proxies.
#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cluster/member_info.hpp"

namespace irsp::cluster {

struct view_config {
  member_info self;            ///< this node, with its local services
  caf::actor membership;       ///< subscribed to for members up and down
  caf::actor router;           ///< told (owners_atom, names, routers)
  caf::actor accounts_proxy;   ///< told (put_atom, account server)
  caf::actor offline_proxy;    ///< told (put_atom, offline queue)
  /// The node that serves the account store (its name).
  std::string storage_node;
};

/// Spawns the view. Without a coordination service, every member alive owns
/// accounts (placement follows membership at once), and the store is served
/// by `storage_node` while it is alive; while it is not, the proxies answer
/// storage-unavailable.
caf::actor spawn_cluster_view(caf::actor_system& system, view_config config);

} // namespace irsp::cluster
