// Built-in application `last-seen` (§8.3.2): when a device was last seen,
// answered from the lifecycle stream (issue 15), so it survives restarts.
#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace irsp::message {
struct presence_event;
} // namespace irsp::message

namespace irsp::app {

/// Spawns `last-seen`; the caller registers it with the router as an
/// application (it subscribes to nothing). Upload (or send as an application
/// message) a device's address; the reply is JSON:
/// {"device":"tv1@localhost","seen":true,"state":"offline","online":false,
/// "at_ms":...,"epoch":...,"sequence":...,"cursor":...}, the device's latest
/// stored transition, or {"device":...,"seen":false} when it has none (never
/// connected, or not within the stream's retention). A read that fails answers
/// application-failure, never a wrong "not seen". `accounts` serves the stream.
caf::actor spawn_last_seen(caf::actor_system& system, caf::actor accounts);

/// The reply for one device's latest transition (`seen`: it has one).
std::string describe_last_seen(const std::string& device, bool seen,
                               const message::presence_event& latest);

} // namespace irsp::app
