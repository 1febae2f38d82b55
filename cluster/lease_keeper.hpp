// Ownership fenced by etcd (issue 14): a node owns accounts only while it
// holds a live etcd lease on its member key; who owns is what etcd says.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>

namespace irsp::cluster {

class store_primary_watch;

/// Whether this node may serve the accounts placed on it now: its lease is
/// valid by lease_fence's rule (the deadline counts from when the last
/// keepalive was SENT, so etcd cannot have let others take over before it
/// passes). Read by any thread; written by the lease keeper.
class serving_fence {
public:
  /// The lease is valid and every owner has applied the same set of owners
  /// (so all compute the same home for every account).
  bool valid() const {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return agreed_.load(std::memory_order_acquire)
           && now < deadline_.load(std::memory_order_acquire);
  }
  void agreed(bool yes) { agreed_.store(yes, std::memory_order_release); }
  void until(std::chrono::steady_clock::time_point t) {
    deadline_.store(t.time_since_epoch().count(), std::memory_order_release);
  }
  void revoke() { deadline_.store(0, std::memory_order_release); }

private:
  std::atomic<std::int64_t> deadline_{0};
  std::atomic<bool> agreed_{false};
};

struct lease_keeper_config {
  std::string endpoint;      ///< etcd's client URL, e.g. http://127.0.0.1:2379
  std::string prefix;        ///< "/irsp/<domain>/members/"
  std::string name;          ///< this node's key under the prefix
  std::string address;       ///< its value: the cluster listener
  std::chrono::seconds ttl{5};
  std::chrono::milliseconds poll{300}; ///< how often the member keys are read
  /// Asked (owners_atom, std::vector<std::string> names) -> bool, answered
  /// once the router routes by them.
  caf::actor view;
  std::shared_ptr<serving_fence> fence;
  /// Stepped once per poll with this node's lease: who serves each shard
  /// of the account store.
  std::vector<std::shared_ptr<store_primary_watch>> store;
};

/// A thread that holds this node's lease and key in etcd and reads the
/// member keys: the view hears every change of the set of live keys (this
/// node's own only while its fence is valid). Once the router routes by a
/// set, the keeper writes its digest under `applied/<name>` (with the
/// lease); the node serves only while every owner's digest equals its own,
/// so two nodes never both take an account for theirs: one that reads a
/// newer set stops serving until all have applied it, and one still on the
/// older set sees the digests differ. When a keepalive fails or the
/// fence lapses (the process was stopped longer than the lease), the node
/// stops serving at once and registers again with a new lease, that is, as a
/// new owner the others place accounts on only after it is back in etcd.
class lease_keeper {
public:
  explicit lease_keeper(lease_keeper_config config);
  ~lease_keeper();
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

private:
  void run();

  lease_keeper_config cfg_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace irsp::cluster
