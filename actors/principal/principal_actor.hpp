// ISO/IEC 14543-5-8 users and devices: one actor per account, owning its
// sessions, its online/offline state and its bindings (DESIGN.md §2, §5).
#pragma once

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/principal/principal_module.hpp"

namespace irsp::principal {

/// What a user/device actor is wired to.
struct principal_config {
  caf::actor router;    ///< where routed traffic comes from and goes to
  caf::actor accounts;  ///< the account server: loads the account and its bindings
  /// Features on its message path (offline delivery, ...); none: what finds
  /// no session is dropped (queue-full).
  principal_modules modules;
  /// How long an actor with no session waits before asking to passivate.
  std::chrono::milliseconds idle_timeout{30000};
  /// Where its transitions are written first (issue 15): the lifecycle
  /// writer, which answers in the order it was asked.
  caf::actor lifecycle;
};

/// Spawns the actor of `address` (normalised). It loads its account and
/// bindings before handling anything else, and answers for an account that
/// does not exist with no-such-account; for one that could not be read, with
/// storage-failure (a session open gets an error). Either is loaded again
/// before the next request that depends on it, so a storage fault that clears
/// or an account registered since is seen at once.
///
/// Routed to it by the router (counted for safe passivation):
/// - (open_atom, address, resource, session_ref session) -> session_opened
/// - push_request -> push_response, to every session (or, with none, to the
///   modules: offline delivery keeps it)
/// - direct_request -> direct_response: to the session of its resource if it
///   names one (RFC 6121 §8.5.3), else, or by its if_absent, like a push
/// - presence_event (a bound peer's transition), forwarded to the sessions
/// - (bound_atom | unbound_atom, peer) -> true once taken in, forwarded to
///   the sessions (on a new binding, an online actor also tells the new peer
///   its presence: in a cluster the peer's probe may have come first)
/// - (probe_atom, requester): if online, answers the requester (a bound
///   peer) with its current presence_event, through the router
/// - presence_event (a bound peer's, transition or probe answer): kept as the
///   newest known state of that peer and forwarded unless older than it
/// - (gone_atom): the account was deleted; sessions get (gone_atom), it stops
/// From its sessions:
/// - (send_atom, direct_request): authorised against the bindings, then routed
/// - (close_atom, resource, session_ref): that session ended (a later
///   session of the same resource stays); a session whose host dies ends
///   the same way
/// - (sm_id_atom, resource, id, session_ref): the XEP-0198 id that resumes
///   that session; (sm_find_atom, id) -> session_ref answers it (empty:
///   none), for a client that resumes on another node
/// To the router it sends each transition as (presence_event, the nodes its
/// sessions live on), and while online (shadow_atom, presence_event, nodes)
/// whenever its peers or sessions change: the node that takes the account
/// over if this one dies reports it offline from that (cluster/README.md).
/// On its first session (and each new binding) it probes its peers; every
/// new session gets the online peers it knows. To its sessions: delivery,
/// presence_event, (bound_atom|unbound_atom, peer),
/// (close_atom, reason) when replaced by a newer session of the same resource,
/// (gone_atom).
caf::actor spawn_principal(caf::actor_system& system, std::string address,
                           principal_config config);

} // namespace irsp::principal
