// IRSP §7.3 application server: hosts one application (an irsp::application
// handler, as embedders and the built-in applications write them) as an actor.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace irsp {
class application;
}

namespace irsp::app {

/// Above this many waiting messages an application answers
/// application-busy instead of queueing more work.
constexpr std::size_t default_max_backlog = 10000;

/// Spawns the host of `handler` under `name`. The caller registers it with
/// the router: (app_atom, name, host, subscription).
///
/// Handles: upload_request -> upload_response (§8.3.1); presence_event of
/// subscribed devices (§8.3.2); app_message_request -> app_message_response
/// (§8.4). The handler's pushes and messages go to `router`.
caf::actor spawn_app_host(caf::actor_system& system, std::string name,
                          std::shared_ptr<application> handler, caf::actor router,
                          std::size_t max_backlog = default_max_backlog);

} // namespace irsp::app
