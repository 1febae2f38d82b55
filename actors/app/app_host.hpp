// IRSP §7.3 application server: hosts one application (an irsp::application
// handler, as embedders and the built-in applications write them) as an actor.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace irsp {
class application;
struct device_status;
namespace message {
struct presence_event;
} // namespace message
} // namespace irsp

namespace irsp::app {

/// Above this many waiting messages an application answers
/// application-busy instead of queueing more work.
constexpr std::size_t default_max_backlog = 10000;

/// The public form of a transition.
device_status device_status_of(const message::presence_event& ev);

/// Issue 15: an application fed from the lifecycle stream rather than live.
struct durable_feed {
  caf::actor accounts;       ///< serves the stream; null: not durable
  std::string subscriber;    ///< the key its acknowledgements are kept under
  std::uint64_t from_cursor = 0; ///< 0: after its last acknowledgement
  bool all_devices = false;  ///< which devices' transitions it takes
  std::vector<std::string> devices;
};

/// Spawns the host of `handler` under `name`. The caller registers it with
/// the router: (app_atom, name, host, subscription).
///
/// Handles: upload_request -> upload_response (§8.3.1); presence_event of
/// subscribed devices (§8.3.2); app_message_request -> app_message_response
/// (§8.4). The handler's pushes and messages go to `router`. With a durable
/// `feed`, a presence_event only says the stream has grown: the host reads
/// the stream from its cursor, hands the subscribed devices' transitions to
/// the handler in order, and acknowledges each batch once handled. The
/// handler's send_external and external_status go to `outbox` (§8.8.2; null:
/// they answer not-available).
caf::actor spawn_app_host(caf::actor_system& system, std::string name,
                          std::shared_ptr<application> handler, caf::actor router,
                          std::size_t max_backlog = default_max_backlog,
                          durable_feed feed = {}, caf::actor outbox = {});

} // namespace irsp::app
