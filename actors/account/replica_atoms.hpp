// Issue 14: the messages between an account shard's primary
// (replication_source) and its backup (replica_applier).
#pragma once

#include <caf/atom.hpp>

namespace irsp::account {

/// (replica_epoch_atom, uint64 epoch) -> uint64: the role assigner tells the
/// backup the newest epoch; from then on only a primary of that epoch is served.
using replica_epoch_atom = caf::atom_constant<caf::atom("repepoch")>;
/// (replica_apply_atom, uint64 epoch, uint64 seq, std::string batch) -> uint64 seq:
/// one change (rocksdb::WriteBatch::Data()), answered once durable.
using replica_apply_atom = caf::atom_constant<caf::atom("repapply")>;
/// (replica_begin_atom, uint64 epoch) -> uint64: a snapshot starts; the
/// backup's contents go and it is marked incomplete.
using replica_begin_atom = caf::atom_constant<caf::atom("repbegin")>;
/// (replica_chunk_atom, uint64 epoch, std::string batch) -> uint64 keys: a
/// part of the snapshot (a WriteBatch of puts).
using replica_chunk_atom = caf::atom_constant<caf::atom("repchunk")>;
/// (replica_end_atom, uint64 epoch, uint64 seq) -> uint64 seq: the snapshot is
/// whole as of `seq`; live batches follow from seq + 1.
using replica_end_atom = caf::atom_constant<caf::atom("repend")>;
/// (replica_state_atom) -> (uint64 epoch, uint64 applied seq, bool live).
using replica_state_atom = caf::atom_constant<caf::atom("repstate")>;
/// The applier's own group-commit tick.
using replica_sync_atom = caf::atom_constant<caf::atom("repsync")>;

} // namespace irsp::account
