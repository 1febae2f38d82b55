// Issue 14: which node serves the account store, fenced by etcd — the
// store's backup takes over when the primary's lease is gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <caf/actor.hpp>

namespace irsp::cluster {

class etcd_client;

/// The etcd keys of one AS's store roles.
struct store_keys {
  /// The node serving the store now, held with its member lease: gone
  /// when that node's lease is.
  std::string primary;
  /// The node holding the store's complete copy, written by the primary
  /// (without a lease, so it outlives it) before any change is acknowledged
  /// on that copy: the only node that may take over.
  std::string backup;
  /// The keys of shard `shard`: /irsp/<domain>/store/<shard>/{primary,backup}.
  static store_keys of(const std::string& domain, std::size_t shard);
};

/// Whether `me` may become the store's primary while no node is: only the
/// named backup (it holds every acknowledged change), or, before any backup
/// was ever named, the node the operator named (`--storage-node`).
bool may_take_store(const std::optional<std::string>& backup, const std::string& me,
                    bool named_by_operator);

struct store_primary_config {
  std::uint32_t shard = 0;
  store_keys keys;
  std::string name;            ///< this node
  bool named_by_operator = false;
  /// Whether this node's copy of the store is complete (not a half-received
  /// snapshot); checked before it takes over.
  std::function<bool()> complete;
  /// Asked (store_primary_atom, shard, name, epoch) -> bool on every change
  /// of the shard's primary ("" and 0: none now); answered once the node
  /// acts by it.
  caf::actor view;
};

/// One step per poll of the lease keeper's thread: reads the primary key,
/// tells the view when it changed, and takes the role with `lease` when
/// the key is gone and this node may. The epoch of a primary is the key's
/// create revision, so a later primary always has a larger one.
class store_primary_watch {
public:
  explicit store_primary_watch(store_primary_config config);

  /// `lease` is 0 or not `valid`: this node holds no usable lease.
  void step(etcd_client& etcd, std::int64_t lease, bool valid);

  /// This node's lease lapsed: it is no longer primary, whatever etcd says.
  void lapsed();

  /// The view, when it is spawned after this watch (before the first step).
  void set_view(caf::actor view) { cfg_.view = std::move(view); }

private:
  void tell(const std::string& name, std::int64_t epoch);

  store_primary_config cfg_;
  std::string told_;
  std::int64_t told_epoch_ = -1;
  bool refused_logged_ = false;
};

} // namespace irsp::cluster
