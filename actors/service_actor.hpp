// What a node's long-lived service actors do with an error nobody asked for.
#pragma once

#include <caf/error.hpp>
#include <caf/scheduled_actor.hpp>

namespace irsp {

/// CAF 0.17 stops an event-based actor that gets an error message answering
/// none of its requests (a reply too late for its request, a peer's
/// complaint about something it sent). For the router, the offline queue,
/// the account workers and the application hosts that would take a node
/// apart one service at a time, so they drop such errors.
inline void ignore_stray_errors(caf::scheduled_actor* self) {
  self->set_error_handler([](caf::scheduled_actor*, caf::error&) {});
}

} // namespace irsp
