// Message tags of the links between ASs (CAF 0.17 atoms: at most 10 chars).
#pragma once

#include <caf/atom.hpp>

namespace irsp::cluster {

/// (as_link_atom, request) from a link's endpoint to the router: a request of
/// a peer AS, already checked to come from that peer's domain.
/// (as_link_atom, domain, link) from the node to the router: the link to use
/// for that domain.
using as_link_atom = caf::atom_constant<caf::atom("aslink")>;
/// (as_frame_atom, bytes) -> bytes: a LinkRequest to a peer's endpoint, and
/// its LinkReply (schema/federation.capnp). The only message an endpoint
/// serves besides as_hello_atom.
using as_frame_atom = caf::atom_constant<caf::atom("asframe")>;
/// (as_hello_atom, endpoint) from the AS that dialled: its own endpoint, for
/// traffic the other way.
using as_hello_atom = caf::atom_constant<caf::atom("ashello")>;
/// The link actor's redial timer.
using as_dial_atom = caf::atom_constant<caf::atom("asdial")>;

} // namespace irsp::cluster
