// Lease-based fencing of ownership (etcd v3 leases; Kleppmann's fencing tokens).
//
// Why it is sound: etcd starts a lease's new TTL when it RECEIVES a grant or
// keepalive, which is after we SENT it; so etcd cannot expire the lease (and
// let another node create our keys) before sent_at + ttl on our clock. We stop
// trusting ownership at sent_at + ttl - margin, the margin covering clock-rate
// drift and the time to notice. A process stalled past that (GC, SIGSTOP, swap)
// finds itself invalid on waking, before it serves anything; a reply that
// arrives late cannot revalidate it, because the deadline counts from sending.
#pragma once

#include <chrono>
#include <cstdint>

namespace irsp::cluster {

/// Whether this node may still act as the holder of one etcd lease. Pure
/// logic: the caller passes the time, so tests drive it with a fake clock.
class lease_fence {
public:
  using clock = std::chrono::steady_clock;

  /// A fence for lease `lease_id`, granted by a request sent at `sent_at`
  /// with the granted `ttl`. `epoch` is the etcd header revision at grant:
  /// a token that only grows across grants (two grants with no write between
  /// them share it; per key, the key's create_revision is the strict token).
  lease_fence(std::int64_t lease_id, std::int64_t epoch, clock::time_point sent_at,
              std::chrono::seconds ttl, clock::duration safety_margin);

  /// Records a keepalive whose request was sent at `sent_at` and that etcd
  /// answered with `ttl`. A ttl of 0 means the lease is gone: the fence is
  /// then invalid for good, whatever comes later.
  void renewed(clock::time_point sent_at, std::chrono::seconds ttl);

  /// Marks the lease as gone (revoked, or etcd said it expired).
  void lost() { lost_ = true; }

  /// True only while `now` < last sent_at + ttl - safety_margin and the lease
  /// has not been lost.
  bool valid(clock::time_point now) const { return !lost_ && now < deadline_; }

  /// The instant after which this node must no longer act as the holder.
  clock::time_point deadline() const { return deadline_; }

  /// The etcd lease id.
  std::int64_t lease_id() const { return lease_id_; }

  /// The fencing token: the etcd revision at grant.
  std::int64_t epoch() const { return epoch_; }

private:
  std::int64_t lease_id_;
  std::int64_t epoch_;
  clock::duration margin_;
  clock::time_point deadline_;
  bool lost_ = false;
};

} // namespace irsp::cluster
