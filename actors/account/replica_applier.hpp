// Issue 14: the backup side of an account shard — applies the primary's
// changes, in the primary's order, to a full local copy.
#pragma once

#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

namespace irsp::account {

class account_store;

/// Spawns the applier that owns the backup's copy of one account shard (a
/// detached actor: its writes wait for fsync). It serves only the primary of
/// the newest epoch it was told of (by `epoch` here, then replica_epoch_atom),
/// so a primary that was replaced cannot write to it any more. Messages are
/// in actors/account/replica_atoms.hpp:
/// - replica_begin / replica_chunk / replica_end: a full snapshot. The
///   store is cleared and marked incomplete (a persistent key, so a node that
///   dies half-way does not serve the half: account_store::open refuses it)
///   in one synced write; the mark goes in the synced write that ends it.
/// - replica_apply (epoch, seq, batch): after a complete snapshot, the
///   batches from its sequence on, each exactly next; a gap stops live
///   application until the next snapshot. Answered with `seq` once synced;
///   concurrent batches share one WAL sync (group commit).
/// Every refusal is an error naming its cause (stale epoch, gap, no snapshot).
caf::actor spawn_replica_applier(caf::actor_system& system,
                                 std::shared_ptr<account_store> store, std::uint64_t epoch);

} // namespace irsp::account
