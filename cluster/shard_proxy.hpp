// Issue 14: the account store of a cluster, sharded by account: one local
// actor that hands each request to the node serving its account's shard.
#pragma once

#include <cstddef>
#include <string>

#include <caf/fwd.hpp>

namespace irsp::cluster {

/// Spawns the stand-in for the account servers of `shards` shards
/// (cluster/shard_map.hpp). (caf::put_atom, uint32 shard, caf::actor target)
/// sets where that shard's requests go; while a shard has no target its
/// requests are answered at once with the error "storage-unavailable", never
/// left to hang. A request about one account goes to its shard (the answer
/// straight to the asker); the lifecycle stream's requests go to shard 0,
/// which holds the stream. What spans two shards is done here in steps:
/// - bind: the user is checked on its shard, the device's half is written on
///   the device's shard (which checks the code), then the user's half; a
///   binding is in force only where both halves are (each actor checks its
///   own), so a crash between the steps leaves no binding, and binding again
///   completes it;
/// - unbind: both halves are removed;
/// - delete, and a code reset that revokes bindings: the peers' halves on
///   other shards are removed after the account's shard answered.
caf::actor spawn_account_shards(caf::actor_system& system, std::string domain,
                                std::size_t shards);

/// The same for the offline queues: (enqueue_atom | drain_atom | ack_atom,
/// address, ...) go to the address's shard.
caf::actor spawn_offline_shards(caf::actor_system& system, std::string domain,
                                std::size_t shards);

} // namespace irsp::cluster
