// Cluster membership within one AS (DESIGN.md §2): what one node of the
// cluster tells the others about itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>

#include "schema/wire_form.hpp"

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

/// member_info on the wire: its fields as the schema's ClusterMember
/// (schema/cluster.capnp), its actor handles beside it in `handles`.
std::string member_to_wire(const member_info& x, std::vector<caf::actor>& handles);
/// The reverse; false if `bytes` is no ClusterMember or names a handle that
/// is not there.
bool member_from_wire(std::string_view bytes, const std::vector<caf::actor>& handles,
                      member_info& x);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  if constexpr (std::is_void_v<typename Inspector::result_type>) {
    return f(x.name, x.address, x.incarnation); // printing
  } else if constexpr (Inspector::reads_state) {
    std::vector<caf::actor> handles;
    auto bytes = member_to_wire(x, handles);
    return f(bytes, handles);
  } else {
    std::string bytes;
    std::vector<caf::actor> handles;
    if (auto err = f(bytes, handles))
      return err;
    if (!member_from_wire(bytes, handles, x))
      return caf::make_error(caf::sec::invalid_argument, "not a cluster member");
    return caf::error{};
  }
}

/// A member's state as `cluster status` shows it.
struct member_status {
  std::string name;
  std::string address;
  std::string state;           ///< "self", "alive" or "dead"
  std::uint64_t incarnation = 0;
  std::int64_t since_ms = 0;   ///< how long it has been in this state
};

std::string to_wire(const member_status& x);
bool from_wire(std::string_view bytes, member_status& x);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return schema::as_schema(f, x, x.name, x.address, x.state, x.incarnation, x.since_ms);
}

} // namespace irsp::cluster
