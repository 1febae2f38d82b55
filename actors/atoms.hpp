// Message tags shared by the actors of IRSP (CAF 0.17 atoms: at most 10 chars).
#pragma once

#include <caf/atom.hpp>

namespace irsp {

/// Asks the account server for an account's public view.
using find_atom = caf::atom_constant<caf::atom("find")>;
/// Asks the account server for SCRAM secrets (authentication).
using scram_atom = caf::atom_constant<caf::atom("scram")>;

} // namespace irsp
