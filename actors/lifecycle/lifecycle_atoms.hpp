// Issue 15: how the lifecycle stream is asked for things, as CAF messages to
// the account server (which serves the stream beside the accounts, so that a
// cluster reaches both the same way).
#pragma once

#include <caf/atom.hpp>

namespace irsp::lifecycle {

/// (epoch_atom, address) -> uint64: the account's next activation epoch.
using epoch_atom = caf::atom_constant<caf::atom("lcepoch")>;
/// (append_atom, presence_event) -> uint64 cursor; 0: refused as stale.
using append_atom = caf::atom_constant<caf::atom("lcappend")>;
/// (read_atom, uint64 after, uint32 max) -> vector<presence_event>.
using read_atom = caf::atom_constant<caf::atom("lcread")>;
/// (state_atom, address) -> presence_event: the latest transition.
using state_atom = caf::atom_constant<caf::atom("lcstate")>;
/// (ack_atom, subscriber, uint64 cursor) -> bool.
using ack_atom = caf::atom_constant<caf::atom("lcack")>;
/// (cursor_atom, subscriber) -> uint64: what it acknowledged last.
using cursor_atom = caf::atom_constant<caf::atom("lccursor")>;

} // namespace irsp::lifecycle
