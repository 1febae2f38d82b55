// Lease-based fencing (cluster/lease_fence.hpp), driven by a fake clock.
#include <catch2/catch.hpp>

#include "cluster/lease_fence.hpp"

using irsp::cluster::lease_fence;
using namespace std::chrono_literals;
using clock_t_ = lease_fence::clock;

namespace {
const clock_t_::time_point t0 = clock_t_::time_point(1000s); // an arbitrary "now"
}

TEST_CASE("a fresh lease is valid until sent + ttl - margin, and not after") {
  lease_fence fence(42, 7, t0, 5s, 500ms);
  CHECK(fence.lease_id() == 42);
  CHECK(fence.epoch() == 7);
  CHECK(fence.deadline() == t0 + 4500ms);
  CHECK(fence.valid(t0));
  CHECK(fence.valid(t0 + 4499ms));
  CHECK_FALSE(fence.valid(t0 + 4500ms));
  CHECK_FALSE(fence.valid(t0 + 5s));
  CHECK_FALSE(fence.valid(t0 + 1h));
}

TEST_CASE("the safety margin is taken off the lease's ttl") {
  lease_fence wide(1, 1, t0, 5s, 2s);
  CHECK(wide.valid(t0 + 2999ms));
  CHECK_FALSE(wide.valid(t0 + 3s)); // still inside etcd's ttl, but within the margin
  lease_fence none(1, 1, t0, 5s, 0ms);
  CHECK(none.valid(t0 + 4999ms));
  CHECK_FALSE(none.valid(t0 + 5s));
  lease_fence useless(1, 1, t0, 2s, 3s); // margin larger than the ttl: never valid
  CHECK_FALSE(useless.valid(t0));
}

TEST_CASE("a keepalive extends validity from when it was sent, not received") {
  lease_fence fence(1, 1, t0, 5s, 1s);
  fence.renewed(t0 + 3s, 5s);
  CHECK(fence.deadline() == t0 + 7s);
  CHECK(fence.valid(t0 + 6999ms));
  CHECK_FALSE(fence.valid(t0 + 7s));
}

TEST_CASE("a keepalive sent before a long stall does not revalidate past sent + ttl") {
  lease_fence fence(1, 1, t0, 5s, 1s);
  // Sent at t0+3s; the process is then stopped for a minute and the reply
  // is processed on waking: the lease may have expired in etcd meanwhile.
  auto sent = t0 + 3s;
  auto woke = sent + 60s;
  fence.renewed(sent, 5s);
  CHECK_FALSE(fence.valid(woke));
  CHECK(fence.deadline() == sent + 4s);
}

TEST_CASE("an older keepalive answered late does not shorten the deadline") {
  lease_fence fence(1, 1, t0, 5s, 1s);
  fence.renewed(t0 + 3s, 5s);
  fence.renewed(t0 + 1s, 5s); // reply to an earlier request, arriving after
  CHECK(fence.deadline() == t0 + 7s);
}

TEST_CASE("a lease etcd reports gone stays invalid for good") {
  lease_fence fence(1, 1, t0, 5s, 1s);
  fence.renewed(t0 + 1s, 0s);
  CHECK_FALSE(fence.valid(t0 + 1s));
  fence.renewed(t0 + 2s, 5s); // a later success cannot bring a lost lease back
  CHECK_FALSE(fence.valid(t0 + 2s));

  lease_fence revoked(2, 1, t0, 5s, 1s);
  revoked.lost();
  CHECK_FALSE(revoked.valid(t0));
}
