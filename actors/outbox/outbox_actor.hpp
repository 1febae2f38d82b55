// IRSP §8.8.2: the actor applications reach the outbox through. Detached,
// since every acceptance waits for a synced write; the HTTPS work is not
// here but on the delivery thread (node/outbound/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace irsp::outbox {

class outbox_store;

/// (send_ext_atom, application, endpoint, key, payload) -> std::uint16_t, a
/// schema::SendExternalStatus.
using send_ext_atom = caf::atom_constant<caf::atom("xsend")>;
/// (ext_status_atom, application, key) -> (state name, endpoint, attempts,
/// last error).
using ext_status_atom = caf::atom_constant<caf::atom("xstatus")>;

/// Spawns the outbox actor. `accepted` runs after each message is stored
/// (it wakes the delivery thread); payloads above `max_payload` octets are
/// refused.
caf::actor spawn_outbox_actor(caf::actor_system& system, std::shared_ptr<outbox_store> store,
                              std::uint32_t max_payload, std::function<void()> accepted);

} // namespace irsp::outbox
