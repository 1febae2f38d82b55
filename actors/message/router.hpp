// IRSP §7.2 message server: the router — the one routing interface from an
// address to the actor that serves it (user/device actor or application).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/principal/principal_module.hpp"

namespace irsp::message {

/// What the router needs.
struct router_config {
  std::string domain;            ///< accounts are name@domain
  caf::actor accounts;           ///< the account server
  /// Features on the message path of every user/device actor (offline
  /// delivery, ...: actors/principal/principal_module.hpp).
  principal::principal_modules modules;
  /// Writes the lifecycle stream (issue 15); null: the account server does.
  caf::actor lifecycle;
  std::size_t max_payload = 64 * 1024;
  std::chrono::milliseconds idle_timeout{30000}; ///< passivation of idle user/device actors
  /// In a cluster fenced by etcd: whether this node may serve the accounts
  /// placed on it now (its lease is valid); empty: always.
  std::function<bool()> serving;
  /// How long a request for an account whose owner is changing (its home
  /// node was lost, or the owners are agreeing on a new set) waits for the
  /// owners to settle before it is refused.
  std::chrono::milliseconds hold_for{10000};
};

/// Spawns the router. Applications live at `name@apps.<domain>`.
///
/// Handles:
/// - (open_atom, address, resource, session_ref session) -> session_opened
/// - upload_request -> upload_response               (§8.3.1, to the application)
/// - push_request -> push_response                   (§8.3.3, to the user/device actor)
/// - app_message_request -> app_message_response     (§8.4)
/// - direct_request -> direct_response  (already authorised by the sender's
///   actor; to the addressee's actor, which picks the session by resource)
/// - presence_event: to subscribed applications (devices only, §8.3.2) and
///   to the bound peers that are active
/// - (probe_atom, requester, std::vector<std::string> peers): asks the active
///   peers for their presence; (probe_atom, presence_event): an answer, to the
///   requester only (ev.bound) and not to applications
/// - bind_request -> bind_status; unbind_request -> unbind_status
/// - modify_request, reset_code_request, delete_request: to the account
///   server, keeping live actors' bindings in step
/// - (app_atom, std::string name, caf::actor app, subscription) -> bool
/// - (passivate_atom, address, std::uint64_t received) -> bool
///
/// In a cluster (cluster/README.md) each account has one home node
/// (rendezvous hashing over the owners the router was last told of with
/// (owners_atom, this node's name, names, routers)); what is meant for an account homed
/// elsewhere goes to that node's router as (home_atom, message) or
/// (notify_atom, address, message), and its answer straight to the asker.
/// While the owners change (a home node lost, or not served yet), an open,
/// push or direct request for its accounts waits here (up to
/// router_config::hold_for) and goes on once they settle.
/// (sm_find_atom, address, id, from_peer) -> session_ref asks the account's
/// actor, wherever its home, which session an XEP-0198 id resumes.
/// Routers tell each other their applications (peer_app_atom), and the
/// transitions of each account go to the node that takes it over should its
/// home die (shadow_atom), which then reports it offline exactly once.
caf::actor spawn_router(caf::actor_system& system, router_config config);

} // namespace irsp::message
