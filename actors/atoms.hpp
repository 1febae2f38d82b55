// Message tags shared by the actors of IRSP (CAF 0.17 atoms: at most 10 chars).
#pragma once

#include <caf/atom.hpp>

namespace irsp {

/// Asks the account server for an account's public view.
using find_atom = caf::atom_constant<caf::atom("find")>;
/// Asks the account server for SCRAM secrets (authentication).
using scram_atom = caf::atom_constant<caf::atom("scram")>;
/// Asks the account server for what a user/device actor loads on activation.
using load_atom = caf::atom_constant<caf::atom("load")>;
/// The halves of a binding across shards (actors/account/binding_store.hpp):
/// (bind_half_atom, device, user, code) -> bind_status on the device's shard,
/// (bind_half_atom, user, device) -> bind_status on the user's,
/// (unbind_half_atom, account, peer) -> unbind_status on the account's.
using bind_half_atom = caf::atom_constant<caf::atom("bindhalf")>;
using unbind_half_atom = caf::atom_constant<caf::atom("unbindhalf")>;
/// A session attaches to its user/device actor (through the router).
using open_atom = caf::atom_constant<caf::atom("open")>;
/// A session detaches from its user/device actor.
using close_atom = caf::atom_constant<caf::atom("close")>;
/// A session sends a user<->device message through its own account's actor.
using send_atom = caf::atom_constant<caf::atom("send")>;
/// A binding was added / removed (router -> user/device actor -> sessions).
using bound_atom = caf::atom_constant<caf::atom("bound")>;
using unbound_atom = caf::atom_constant<caf::atom("unbound")>;
/// An idle user/device actor asks the router whether it may stop.
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
/// The account is gone: the user/device actor closes its sessions and stops.
using gone_atom = caf::atom_constant<caf::atom("gone")>;
/// Asks bound peers' actors to tell a new session whether they are online.
using probe_atom = caf::atom_constant<caf::atom("probe")>;
/// Idle timer of a user/device actor.
using idle_atom = caf::atom_constant<caf::atom("idle")>;
/// An application registers with the router.
using app_atom = caf::atom_constant<caf::atom("app")>;
/// Offline queue: store, and take out everything stored for an address.
using enqueue_atom = caf::atom_constant<caf::atom("enqueue")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;

// Between the routers of the nodes of one AS (cluster/README.md):
/// (home_atom, caf::message): the sender's router found this node home to
/// the message's account; handled here, never forwarded again.
using home_atom = caf::atom_constant<caf::atom("home")>;
/// (notify_atom, address, caf::message): for the account's actor if active.
using notify_atom = caf::atom_constant<caf::atom("notify")>;
/// (owners_atom, names, routers): the nodes that own accounts now.
using owners_atom = caf::atom_constant<caf::atom("owners")>;
/// (peer_app_atom, node, name, app, subscription): an application of
/// another node; (peer_app_atom, node): that node asks for ours.
using peer_app_atom = caf::atom_constant<caf::atom("peerapp")>;
/// (shadow_atom, presence_event, session nodes): an account's state, kept by
/// the node that becomes its home if its home dies.
using shadow_atom = caf::atom_constant<caf::atom("shadow")>;
/// An account's actor must move to another node (its sessions reopen there).
using moved_atom = caf::atom_constant<caf::atom("moved")>;
/// Issue 15: (suspect_atom | alive_atom, resource, session_ref) from a
/// session to its account's actor: it stopped answering (or was detached
/// awaiting resumption) / it answers again (or was resumed).
using suspect_atom = caf::atom_constant<caf::atom("suspect")>;
using alive_atom = caf::atom_constant<caf::atom("alive")>;

} // namespace irsp
