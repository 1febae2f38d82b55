// irsp-bench on an IRSP cluster (issue 14): which node each account connects
// to, relative to the node its actor lives on (cluster/placement.cpp's
// rendezvous hashing), so that a round trip stays on one node or crosses.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace irsp::bench {

/// Which endpoint an account's connections go to.
enum class connect_choice {
  /// Account a to endpoint a mod endpoints, whatever the cluster (default).
  spread,
  /// The endpoint of the node home to the account's actor.
  home,
  /// The endpoint after that home (home + 1 mod nodes): never the home.
  away,
};

/// The name of `choice` as the command line spells it.
const char* to_string(connect_choice choice) noexcept;

/// The endpoint index of each account 0 … users−1 (`PREFIX` + i @ `domain`),
/// where endpoint k is the node named `nodes[k]` (the names the cluster knows
/// its members by: their --cluster-listen host:port). Empty for `spread`.
/// Nullopt and `error` when `nodes` cannot serve `choice` (none given, or
/// one node and `away`).
std::optional<std::vector<int>> account_targets(int users, const std::string& prefix,
                                                const std::string& domain,
                                                const std::vector<std::string>& nodes,
                                                connect_choice choice, std::string& error);

} // namespace irsp::bench
