// Issue 17 part 3: the node-wide levels /metrics reads at scrape time.
#include "node/node_metrics.hpp"

#include <map>

#include <rocksdb/db.h>

#include "actors/account/account_store.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"

namespace irsp {

namespace {

using metrics::sample;

std::vector<sample> one(double v) {
  return {sample{{}, v}};
}

// A RocksDB integer property; no series when the store is recovering from a
// fault (no database open) or the property is unknown.
std::function<std::vector<sample>()> rocksdb_property(std::shared_ptr<account::account_store> s,
                                                      const char* property) {
  return [s = std::move(s), property] {
    auto db = s->access();
    std::uint64_t v = 0;
    if (!db || !db->GetIntProperty(property, &v))
      return std::vector<sample>{};
    return one(static_cast<double>(v));
  };
}

} // namespace

void register_node_metrics(metrics::registry& r, node_metric_sources src) {
  auto connections = src.connections;
  auto logins = src.logins_in_progress;
  r.add_gauge_callback("irsp_client_connections", "Client connections open.",
                       [connections] { return one(static_cast<double>(connections())); });
  r.add_gauge_callback("irsp_logins_in_progress",
                       "Client connections between accept and a bound session.",
                       [logins] { return one(static_cast<double>(logins())); });
  // Two relaxed loads taken one after the other: a connection accepted in
  // between can show for an instant; never below zero.
  r.add_gauge_callback("irsp_sessions", "Client sessions bound (connections past login).",
                       [connections, logins] {
                         auto c = connections();
                         auto l = logins();
                         return one(static_cast<double>(c > l ? c - l : 0));
                       });
  if (src.stream)
    r.add_gauge_callback("irsp_lifecycle_events_kept",
                         "Transitions the lifecycle stream holds (bounded by --events-max "
                         "and --events-max-age-hours).",
                         [stream = src.stream] {
                           auto n = stream->kept();
                           return n ? one(static_cast<double>(*n)) : std::vector<sample>{};
                         });
  if (src.member_states) {
    r.add_gauge_callback("irsp_cluster_members", "Members of the cluster by state, as this "
                                                 "node sees them (self, alive, dead).",
                         [states = src.member_states] {
                           std::vector<sample> out;
                           auto got = states();
                           if (!got)
                             return out;
                           std::map<std::string, double> by_state{
                             {"self", 0}, {"alive", 0}, {"dead", 0}};
                           for (const auto& s : *got)
                             by_state[s] += 1;
                           for (const auto& [state, n] : by_state)
                             out.push_back({{{"state", state}}, n});
                           return out;
                         });
  }
  if (src.store) {
    r.add_gauge_callback("irsp_rocksdb_estimated_keys",
                         "RocksDB rocksdb.estimate-num-keys of the account store.",
                         rocksdb_property(src.store, "rocksdb.estimate-num-keys"));
    r.add_gauge_callback("irsp_rocksdb_sst_files_bytes",
                         "RocksDB rocksdb.total-sst-files-size of the account store.",
                         rocksdb_property(src.store, "rocksdb.total-sst-files-size"));
    r.add_gauge_callback("irsp_rocksdb_memtables_bytes",
                         "RocksDB rocksdb.cur-size-all-mem-tables of the account store.",
                         rocksdb_property(src.store, "rocksdb.cur-size-all-mem-tables"));
    r.add_gauge_callback("irsp_rocksdb_block_cache_bytes",
                         "RocksDB rocksdb.block-cache-usage of the account store.",
                         rocksdb_property(src.store, "rocksdb.block-cache-usage"));
    r.add_gauge_callback("irsp_rocksdb_pending_compaction_bytes",
                         "RocksDB rocksdb.estimate-pending-compaction-bytes of the account store.",
                         rocksdb_property(src.store, "rocksdb.estimate-pending-compaction-bytes"));
    r.add_counter_callback("irsp_rocksdb_background_errors_total",
                           "RocksDB rocksdb.background-errors of the account store.",
                           rocksdb_property(src.store, "rocksdb.background-errors"));
  }
}

} // namespace irsp
