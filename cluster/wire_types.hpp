// What crosses between the nodes of one AS: the message types BASP must know.
#pragma once

#include <caf/fwd.hpp>

namespace irsp::cluster {

/// Announces to CAF every type that a message between nodes carries: the
/// §8 exchanges, the account server's requests, sessions' deliveries and
/// membership. Both ends of a connection need the same names; a type missing
/// here makes BASP drop the message it is in (CAF logs it), so a test sends
/// each across a real connection.
void announce_cluster_types(caf::actor_system_config& cfg);

} // namespace irsp::cluster
