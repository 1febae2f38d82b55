// `irsp-node cluster ...`: the certificates that admit a node to its AS's cluster
// (mutual TLS between the nodes' CAF actor systems).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace irsp::cli {

/// Where the cluster subcommands work; filled by the parent app once parsed.
struct cluster_location {
  /// The node's data dir; its cluster files live in `<data_dir>/cluster/`.
  std::string data_dir;
};

/// `<data_dir>/cluster`: the node's CA copy, certificate and key.
std::string cluster_dir(const std::string& data_dir);

/// Adds `cluster init|issue` under `cluster`. The chosen command runs from
/// the parser's callback and records its exit status in `exit_code`: 0 done,
/// 1 failed (one line `irsp-node: error: ...` on stderr).
void add_cluster_commands(CLI::App& cluster, const cluster_location& where, int& exit_code);

} // namespace irsp::cli
