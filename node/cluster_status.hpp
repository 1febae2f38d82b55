// irsp-node cluster status: asks a running member how it sees the cluster.
#pragma once

#include <iosfwd>
#include <string>

namespace irsp::cli {

/// Connects to the member listening at `node` (host:port) with the
/// certificates in `cluster_dir`, and prints its view, one member a line.
/// Returns the exit code: 0, or 1 with one line on `err` naming the problem.
int print_cluster_status(const std::string& node, const std::string& cluster_dir,
                         std::ostream& out, std::ostream& err);

} // namespace irsp::cli
