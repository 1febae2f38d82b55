// Membership of the nodes of one AS (DESIGN.md §2): who is in the cluster,
// who is alive, found from seeds and kept by heartbeats.
#pragma once

#include <chrono>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cluster/member_info.hpp"

namespace irsp::cluster {

/// What the membership actor of a node needs.
struct membership_config {
  /// This node (its `member` is filled in by the actor itself).
  member_info self;
  /// Where to find the cluster; a seed that is this node is skipped.
  std::vector<endpoint> seeds;
  /// How often members are pinged, seeds and dead members retried.
  std::chrono::milliseconds heartbeat{500};
  /// A member silent this long is dead (a closed connection is at once).
  std::chrono::milliseconds failure_after{3000};
  /// CAF's middleman actor that makes TLS connections (caf::openssl).
  caf::actor connector;
};

/// Spawns the membership actor. It connects to the seeds and to every member
/// they name, introduces this node to each (join), and from then on pings
/// every member each heartbeat. A member is dead when its connection closes
/// or it stays silent for `failure_after`; it is alive again when it answers
/// or joins again (a new incarnation: a restarted process).
///
/// It starts once told the port it listens on: (caf::publish_atom, port);
/// an empty `self.name` then becomes "host:port".
///
/// Handles:
/// - (join_atom, member_info) -> std::vector<member_info>
/// - (ping_atom, name) -> sends (pong_atom, name) back
/// - (subscribe_atom, caf::actor listener): the listener gets
///   (member_up_atom, member_info) for each member alive now and each that
///   comes up later, and (member_down_atom, member_info) for each that dies
/// - (status_atom) -> std::vector<member_status>, this node first
caf::actor spawn_membership(caf::actor_system& system, membership_config config);

} // namespace irsp::cluster
