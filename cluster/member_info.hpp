// Cluster membership within one AS (DESIGN.md §2): what one node of the
// cluster tells the others about itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>

namespace irsp::cluster {

/// host:port of a cluster listener.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const endpoint& a, const endpoint& b) {
    return a.port == b.port && a.host == b.host;
  }
};

/// Parses "host:port" (IPv6 as "[::1]:port"); nullopt if it is not one.
std::optional<endpoint> parse_endpoint(std::string_view text);

/// One node as the others know it. `name` is unique in the cluster and is
/// what placement hashes; `incarnation` tells a restarted node (a new
/// process, with none of the old one's actors) from the one that died.
struct member_info {
  std::string name;
  endpoint address;          ///< where its cluster listener accepts
  std::uint64_t incarnation = 0;
  caf::actor member;         ///< its membership actor
  caf::actor router;         ///< its message server
  /// Per shard of the account store (index = shard): its account server,
  /// offline queue, and the applier for when it holds the shard's backup.
  std::vector<caf::actor> accounts;
  std::vector<caf::actor> offline;
  std::vector<caf::actor> replicas;
  caf::actor lifecycle;      ///< its lifecycle stream writer (issue 15; shard 0's)
  caf::actor auth;           ///< its password-check news (cluster/auth_news.hpp)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, endpoint& x) {
  return f(x.host, x.port);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(x.name, x.address, x.incarnation, x.member, x.router, x.accounts, x.offline,
           x.replicas, x.lifecycle, x.auth);
}

/// A member's state as `cluster status` shows it.
struct member_status {
  std::string name;
  std::string address;
  std::string state;           ///< "self", "alive" or "dead"
  std::uint64_t incarnation = 0;
  std::int64_t since_ms = 0;   ///< how long it has been in this state
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(x.name, x.address, x.state, x.incarnation, x.since_ms);
}

} // namespace irsp::cluster
