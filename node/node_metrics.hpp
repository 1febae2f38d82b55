// Issue 17 part 3: the node-wide levels /metrics reads at scrape time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/metrics/registry.hpp"

namespace irsp::account {
class account_store;
}
namespace irsp::lifecycle {
class lifecycle_store;
}

namespace irsp {

/// Where the levels come from; each is read only when scraped, so none
/// costs anything between scrapes.
struct node_metric_sources {
  /// Client connections open, and those of them still logging in.
  std::function<std::size_t()> connections;
  std::function<std::size_t()> logins_in_progress;
  /// RocksDB properties of the account store (accounts, bindings, queues
  /// and the lifecycle stream share its database).
  std::shared_ptr<account::account_store> store;
  /// The lifecycle stream's length.
  std::shared_ptr<lifecycle::lifecycle_store> stream;
  /// Cluster members by state ("self", "alive", "dead"); null on a lone node.
  std::function<std::optional<std::vector<std::string>>()> member_states;
};

/// Registers the node's gauges (irsp_sessions, irsp_rocksdb_*, ...;
/// docs/operations.md) in `r`.
void register_node_metrics(metrics::registry& r, node_metric_sources sources);

} // namespace irsp
