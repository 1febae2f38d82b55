// Message tags between the nodes of one AS (CAF 0.17 atoms: at most 10 chars).
#pragma once

#include <caf/atom.hpp>

namespace irsp::cluster {

/// A node introduces itself to a member: (join_atom, member_info) ->
/// std::vector<member_info>, every member the receiver knows alive.
using join_atom = caf::atom_constant<caf::atom("join")>;
/// Liveness between members: (ping_atom, name) answered by (pong_atom, name).
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using pong_atom = caf::atom_constant<caf::atom("pong")>;
/// Heartbeat timer of the membership actor.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
/// (subscribe_atom, listener): the listener gets (member_up_atom,
/// member_info) and (member_down_atom, member_info) from now on, beginning
/// with every member alive.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using member_up_atom = caf::atom_constant<caf::atom("memberup")>;
using member_down_atom = caf::atom_constant<caf::atom("memberdown")>;
/// (store_primary_atom, uint32 shard, name, uint64 epoch) -> bool: the node
/// serving a shard of the account store changed ("" and 0: none now);
/// fenced by etcd.
using store_primary_atom = caf::atom_constant<caf::atom("storeprim")>;
/// (status_atom) -> std::vector<member_status>
using status_atom = caf::atom_constant<caf::atom("status")>;

} // namespace irsp::cluster
