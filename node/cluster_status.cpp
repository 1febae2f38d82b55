// irsp-node cluster status: one member's view of the cluster, over the
// cluster's own mutual TLS (the asker shows a certificate of the cluster CA).
#include "node/cluster_status.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/remote_actor.hpp>

#include <cstdio>
#include <filesystem>
#include <ostream>

#include "cluster/cluster_atoms.hpp"
#include "cluster/member_info.hpp"
#include "cluster/wire_types.hpp"

namespace irsp::cli {

int print_cluster_status(const std::string& node, const std::string& cluster_dir,
                         std::ostream& out, std::ostream& err) {
  namespace fs = std::filesystem;
  auto where = cluster::parse_endpoint(node);
  if (!where) {
    err << "irsp-node: error: --node " << node << ": not host:port\n";
    return 1;
  }
  for (auto* f : {"ca.pem", "node.pem", "node-key.pem"})
    if (!fs::exists(fs::path(cluster_dir) / f)) {
      err << "irsp-node: error: no " << (fs::path(cluster_dir) / f).string()
          << " (the cluster's certificates; see `irsp-node cluster init`)\n";
      return 1;
    }
  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.openssl_certificate = (fs::path(cluster_dir) / "node.pem").string();
  cfg.openssl_key = (fs::path(cluster_dir) / "node-key.pem").string();
  cfg.openssl_cafile = (fs::path(cluster_dir) / "ca.pem").string();
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cluster::announce_cluster_types(cfg);
  caf::actor_system sys{cfg};
  auto member = caf::openssl::remote_actor(sys, where->host, where->port);
  if (!member) {
    err << "irsp-node: error: cannot reach the cluster member at " << node << ": "
        << sys.render(member.error()) << "\n";
    return 1;
  }
  caf::scoped_actor self{sys};
  int code = 0;
  self->request(*member, std::chrono::seconds(5), cluster::status_atom::value)
    .receive(
      [&](std::vector<cluster::member_status>& members) {
        char line[256];
        std::snprintf(line, sizeof line, "%-24s %-24s %-6s %10s\n", "NAME", "ADDRESS", "STATE",
                      "FOR");
        out << line;
        for (auto& m : members) {
          std::snprintf(line, sizeof line, "%-24s %-24s %-6s %9.1fs\n", m.name.c_str(),
                        m.address.c_str(), m.state.c_str(), m.since_ms / 1000.0);
          out << line;
        }
      },
      [&](caf::error& e) {
        err << "irsp-node: error: " << node << " did not answer: " << sys.render(e) << "\n";
        code = 1;
      });
  return code;
}

} // namespace irsp::cli
