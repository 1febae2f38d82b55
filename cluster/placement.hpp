// Placement of user/device actors on the nodes of one AS (DESIGN.md §2):
// rendezvous (highest random weight) hashing over the owning members.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace irsp::cluster {

/// The weight of `node` for `key`; stable across processes, builds and
/// versions (a rolling upgrade must not move accounts), so not std::hash.
std::uint64_t placement_weight(std::string_view node, std::string_view key);

/// The node with the highest weight for `key`: the home of its actor.
/// Removing a node moves only the keys it was home to; adding one takes
/// about 1/n of the keys from each. Null when `nodes` is empty.
const std::string* home_of(std::string_view key, const std::vector<std::string>& nodes);

} // namespace irsp::cluster
