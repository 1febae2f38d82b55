// The cluster's certificate authority from the command line: `cluster init` on the first
// node, `cluster issue` for each further one (cluster/README.md, "Certificates").
#include "node/cluster_cli.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include <unistd.h>

#include <openssl/rand.h>

#include "node/tls/cluster_ca.hpp"

namespace irsp::cli {

namespace {

namespace fs = std::filesystem;

int fail(const std::string& error) {
  std::cerr << "irsp-node: error: " << error << "\n";
  return 1;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return {};
  return buf;
}

// A CA name no other cluster's CA shares, so an operator (and OpenSSL's
// issuer lookup) can tell two clusters' CAs apart.
std::string new_ca_name() {
  unsigned char id[6] = {};
  RAND_bytes(id, sizeof id);
  std::string name = "IRSP cluster CA ";
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned char b : id) {
    name += hex[b >> 4];
    name += hex[b & 15];
  }
  return name;
}

std::string first_existing(const std::vector<fs::path>& paths) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::exists(p, ec) || ec)
      return p.string() + " exists; refusing to overwrite it";
  }
  return {};
}

void print_node_files(const fs::path& dir, const std::string& node_name) {
  std::cout << "certificate for node " << node_name << ":\n"
            << "  " << (dir / tls::node_ca_file).string() << "  (the cluster CA, public)\n"
            << "  " << (dir / tls::node_cert_file).string() << "\n"
            << "  " << (dir / tls::node_key_file).string() << "  (private key, mode 0600)\n";
}

struct node_args {
  std::string node_name;
  std::string ca_dir;
};

void add_init(CLI::App& cluster, const cluster_location& where, int& exit_code) {
  auto args = std::make_shared<node_args>();
  auto* init = cluster.add_subcommand(
      "init", "make a new cluster CA in <data-dir>/cluster/ca/ and this node's certificate "
              "in <data-dir>/cluster/");
  init->add_option("--node-name", args->node_name,
                   "this node's DNS name in its certificate (default: the host name)");
  init->callback([args, &where, &exit_code] {
    std::string name = args->node_name.empty() ? host_name() : args->node_name;
    fs::path dir = cluster_dir(where.data_dir);
    fs::path ca_dir = dir / "ca";
    // All five checked before anything is written, so a refusal leaves no
    // half-made cluster behind.
    if (auto err = first_existing({ca_dir / tls::cluster_ca_cert_file,
                                   ca_dir / tls::cluster_ca_key_file, dir / tls::node_ca_file,
                                   dir / tls::node_cert_file, dir / tls::node_key_file});
        !err.empty()) {
      exit_code = fail(err);
      return;
    }
    if (auto err = tls::check_node_name(name); !err.empty()) {
      exit_code = fail(err);
      return;
    }
    if (auto err = tls::create_cluster_ca(ca_dir.string(), new_ca_name()); !err.empty()) {
      exit_code = fail(err);
      return;
    }
    if (auto err = tls::issue_node_certificate(ca_dir.string(), dir.string(), name);
        !err.empty()) {
      exit_code = fail(err);
      return;
    }
    std::cout << "cluster CA:\n"
              << "  " << (ca_dir / tls::cluster_ca_cert_file).string() << "\n"
              << "  " << (ca_dir / tls::cluster_ca_key_file).string()
              << "  (private key, mode 0600: keep it here, never copy it to other nodes)\n";
    print_node_files(dir, name);
    std::cout << "next: for each other node, run here\n"
              << "  irsp-node cluster issue --ca-dir " << ca_dir.string()
              << " --data-dir <its data dir> --node-name <its name>\n"
              << "and copy <its data dir>/cluster/ to that node's data dir.\n";
    exit_code = 0;
  });
}

void add_issue(CLI::App& cluster, const cluster_location& where, int& exit_code) {
  auto args = std::make_shared<node_args>();
  auto* issue = cluster.add_subcommand(
      "issue", "make another node's certificate, with the CA in --ca-dir, in <data-dir>/cluster/");
  issue->add_option("--ca-dir", args->ca_dir, "the cluster CA's directory (has ca-key.pem)")
    ->required();
  issue->add_option("--node-name", args->node_name,
                    "that node's DNS name in its certificate (default: this host's name)");
  issue->callback([args, &where, &exit_code] {
    std::string name = args->node_name.empty() ? host_name() : args->node_name;
    fs::path dir = cluster_dir(where.data_dir);
    if (auto err = tls::issue_node_certificate(args->ca_dir, dir.string(), name); !err.empty()) {
      exit_code = fail(err);
      return;
    }
    print_node_files(dir, name);
    exit_code = 0;
  });
}

} // namespace

std::string cluster_dir(const std::string& data_dir) {
  return (fs::path(data_dir) / "cluster").string();
}

void add_cluster_commands(CLI::App& cluster, const cluster_location& where, int& exit_code) {
  cluster.require_subcommand(1);
  add_init(cluster, where, exit_code);
  add_issue(cluster, where, exit_code);
}

} // namespace irsp::cli
