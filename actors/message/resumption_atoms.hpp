// XEP-0198 across the nodes of a cluster: an account's actor knows the
// resumption id of each of its sessions, so that a client resuming on any
// node finds the connection that holds its session, wherever that is.
#pragma once

#include <caf/atom.hpp>

namespace irsp {

/// (sm_id_atom, resource, id, session_ref): to the account's actor; the
/// session of `resource` (if it is still `session`) may be resumed with `id`.
using sm_id_atom = caf::atom_constant<caf::atom("smid")>;

/// (sm_find_atom, address, id, bool from_peer) -> session_ref: to a router;
/// the session of `address` that `id` resumes, or an empty ref. The router
/// asks the account's actor, on whichever node is its home (`from_peer`:
/// asked by another node's router, which is not asked on).
/// (sm_find_atom, id) -> session_ref: the same, to the account's actor.
using sm_find_atom = caf::atom_constant<caf::atom("smfind")>;

} // namespace irsp
