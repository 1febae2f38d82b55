// The account store of a cluster as every node sees it: one local actor
// that hands each request to wherever the store is served now.
#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace irsp::cluster {

/// Spawns a proxy. (caf::put_atom, caf::actor target) sets where requests
/// go (the account server or offline queue of the node serving the store);
/// a null target means no node serves it now: every request is answered at
/// once with an error "storage-unavailable", never left to hang. Anything
/// else is delegated, so the answer goes straight to the asker.
caf::actor spawn_storage_proxy(caf::actor_system& system, std::string what);

} // namespace irsp::cluster
