// IRSP §8.8.2: registering external endpoints from the command line.
#include "node/endpoint_cli.hpp"

#include <CLI/CLI.hpp>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "actors/account/account_store.hpp"
#include "actors/outbox/endpoint_rules.hpp"
#include "actors/outbox/outbox_store.hpp"
#include "node/account_cli.hpp"
#include "node/node_local_store.hpp"

namespace irsp::cli {

namespace {

// The CA file must hold at least one PEM certificate, read now, so that a
// typo is an error here rather than failed deliveries later.
std::string check_ca_file(const std::string& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> f{std::fopen(path.c_str(), "r"), std::fclose};
  if (!f)
    return "--ca-file " + path + ": cannot be read";
  X509* cert = PEM_read_X509(f.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr)
    return "--ca-file " + path + ": no PEM certificate in it";
  X509_free(cert);
  return {};
}

} // namespace

void add_endpoint_commands(CLI::App& endpoint, const store_location& where, int& exit_code) {
  endpoint.require_subcommand(1);
  auto e = std::make_shared<outbox::external_endpoint>();
  auto* add = endpoint.add_subcommand("add", "register an external application server's "
                                             "HTTPS endpoint");
  add->add_option("--name", e->name, "the name applications send to")->required();
  add->add_option("--url", e->url, "https:// URL the messages are POSTed to")->required();
  add->add_option("--ca-file", e->ca_file,
                  "PEM CA certificates to verify the endpoint by (default: the system's)");
  add->add_option("--concurrency", e->concurrency,
                  "requests at once (order per endpoint holds only at 1)")
    ->capture_default_str();
  add->add_option("--max-attempts", e->max_attempts,
                  "attempts before a message is dead-lettered")
    ->capture_default_str();
  add->callback([e, &where, &exit_code] {
    auto bad = outbox::check_endpoint(*e);
    if (bad.empty() && !e->ca_file.empty()) {
      bad = check_ca_file(e->ca_file);
      // Kept absolute: the node may run from another directory.
      e->ca_file = std::filesystem::absolute(e->ca_file).string();
    }
    if (!bad.empty()) {
      std::cerr << "irsp-node: error: " << bad << "\n";
      exit_code = 2;
      return;
    }
    auto local = open_node_local_store(where.data_dir, where.domain, exit_code);
    if (!local)
      return;
    switch (outbox::outbox_store{local}.add_endpoint(*e)) {
      case outbox::endpoint_change::ok: std::cout << e->name << "\n"; return;
      case outbox::endpoint_change::exists: std::cerr << "exists\n"; exit_code = 1; return;
      default: std::cerr << "storage-failure\n"; exit_code = 1; return;
    }
  });
  auto name = std::make_shared<std::string>();
  auto* remove = endpoint.add_subcommand("remove", "unregister an endpoint (its undelivered "
                                                   "messages are dead-lettered at the next "
                                                   "start)");
  remove->add_option("NAME", *name, "the endpoint")->required();
  remove->callback([name, &where, &exit_code] {
    auto local = open_node_local_store(where.data_dir, where.domain, exit_code);
    if (!local)
      return;
    switch (outbox::outbox_store{local}.remove_endpoint(*name)) {
      case outbox::endpoint_change::ok: return;
      case outbox::endpoint_change::no_such_endpoint:
        std::cerr << "no-such-endpoint\n";
        exit_code = 1;
        return;
      default: std::cerr << "storage-failure\n"; exit_code = 1; return;
    }
  });
  auto* list = endpoint.add_subcommand("list", "\"name url concurrency max-attempts ca-file\" "
                                               "per line");
  list->callback([&where, &exit_code] {
    auto local = open_node_local_store(where.data_dir, where.domain, exit_code);
    if (!local)
      return;
    auto all = outbox::outbox_store{local}.endpoints();
    if (!all) {
      std::cerr << "irsp-node: error: the endpoints could not be read\n";
      exit_code = 2;
      return;
    }
    for (auto& x : *all)
      std::cout << x.name << " " << x.url << " " << x.concurrency << " " << x.max_attempts
                << " " << (x.ca_file.empty() ? "-" : x.ca_file) << "\n";
  });
}

} // namespace irsp::cli
