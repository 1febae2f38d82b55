// XEP-0160-style offline delivery as a module of the message path: the
// user/device actor hands it what it cannot deliver, and drains it when the
// account next comes online.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

namespace irsp::offline {

class offline_store;

/// Spawns the offline queue, a detached actor (its writes wait for fsync).
///
/// Handles:
/// - (enqueue_atom, std::string address, delivery) -> int: 0 queued, 1 full,
///   2 failed (storage), 3 no such account, 4 unavailable (no live backup)
/// - (drain_atom, std::string address) -> (std::vector<delivery>, std::string last_key)
/// - (ack_atom, std::string address, std::string last_key) -> bool
caf::actor spawn_offline_queue(caf::actor_system& system, std::shared_ptr<offline_store> store);

} // namespace irsp::offline
