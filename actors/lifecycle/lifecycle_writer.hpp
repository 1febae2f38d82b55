// Issue 15: the one writer of the lifecycle stream. Every account's actor
// sends it its transitions; it writes all that are waiting as one synced
// batch, so a flapping device or ten thousand devices cost one sync per
// batch, not one per transition, and one account's transitions stay in the
// order it sent them.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

namespace irsp::lifecycle {

class lifecycle_store;

/// Most transitions written as one batch.
constexpr std::size_t max_write_batch = 1024;

/// Spawns the writer (a thread of its own: it blocks on the disk). Handles
/// (append_atom, presence_event) -> uint64 cursor (0: refused as stale) and
/// (epoch_atom, address) -> uint64, in arrival order; answers arrive in the
/// same order. Storage faults answer errors as the account server does.
caf::actor spawn_lifecycle_writer(caf::actor_system& system,
                                  std::shared_ptr<lifecycle_store> store);

} // namespace irsp::lifecycle
