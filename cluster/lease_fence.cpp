// Lease-based fencing of ownership: the deadline arithmetic (lease_fence.hpp).
#include "cluster/lease_fence.hpp"

#include <algorithm>

namespace irsp::cluster {

lease_fence::lease_fence(std::int64_t lease_id, std::int64_t epoch, clock::time_point sent_at,
                         std::chrono::seconds ttl, clock::duration safety_margin)
  : lease_id_(lease_id), epoch_(epoch), margin_(safety_margin), deadline_(clock::time_point::min()) {
  renewed(sent_at, ttl);
}

void lease_fence::renewed(clock::time_point sent_at, std::chrono::seconds ttl) {
  if (ttl <= std::chrono::seconds::zero()) {
    lost_ = true;
    return;
  }
  // Replies may arrive out of order; each one proves the lease alive until its
  // own sent_at + ttl, so the latest of those bounds is the one that holds.
  deadline_ = std::max(deadline_, sent_at + ttl - margin_);
}

} // namespace irsp::cluster
