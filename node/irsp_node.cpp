// irsp-node: starts an IRSP node, or runs an operator command on its data dir.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "irsp/node.hpp"
#include "node/account_cli.hpp"
#include "node/endpoint_cli.hpp"
#include "node/events_cli.hpp"
#include "node/cluster_cli.hpp"
#include "node/cluster_status.hpp"
#include "node/http/key_cli.hpp"

namespace {

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

// SIGINT and SIGTERM are taken synchronously by the main thread, so no
// handler runs inside the actor system's threads.
int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

} // namespace

int main(int argc, char** argv) {
  irsp::node_options o;
  CLI::App app{"irsp-node: an IRSP node (ISO/IEC 14543-5-9 remote access service platform)."
               "\nWithout a subcommand it runs a node until SIGINT or SIGTERM.",
               "irsp-node"};
  app.set_config("--config", "", "read options from an INI/TOML file (keys as the long "
                                 "options, e.g. data-dir = \"/var/lib/irsp\")");
  app.add_option("--data-dir", o.data_dir, "accounts, queues and TLS files live here")
    ->capture_default_str();
  app.add_option("--domain", o.domain, "the AS's domain (default: the data dir's, or "
                                       "localhost for a new one)");
  app.add_option("--cert", o.cert_file, "PEM certificate (default: <data-dir>/tls/cert.pem, "
                                        "self-signed on first start)");
  app.add_option("--key", o.key_file, "PEM private key (default: <data-dir>/tls/key.pem)");
  app.add_option("--c2s-address", o.c2s_address, "address the XMPP listeners bind")
    ->capture_default_str();
  app.add_option("--c2s-port", o.c2s_port, "XMPP port (STARTTLS)")->capture_default_str();
  app.add_option("--c2s-tls-port", o.c2s_tls_port, "XMPP port (direct TLS)")
    ->capture_default_str();
  bool closed = false;
  app.add_flag("--closed-registration", closed, "refuse in-band registration by clients");
  app.add_option("--registrations-per-hour", o.registrations_per_hour,
                 "in-band registrations per client address and hour (0: no limit; "
                 "127.0.0.1 and ::1 are exempt)")
    ->capture_default_str();
  app.add_flag("--log-logins", o.log_logins,
               "log each successful client login with its SASL mechanism");
  app.add_option("--threads", o.threads, "actor scheduler threads (0: half the cores, at least one)")
    ->capture_default_str();
  app.add_option("--io-threads", o.io_threads,
                 "threads serving client connections (0: one per core)")
    ->capture_default_str()->check(CLI::Range(0u, 256u));
  app.add_option("--work-threads", o.work_threads,
                 "threads for TLS handshakes and password hashing (0: one per core)")
    ->capture_default_str()->check(CLI::Range(0u, 256u));
  app.add_option("--max-logins", o.max_logins_in_progress,
                 "connections at once between accept and a bound session; more are "
                 "refused at once (resource-constraint)")
    ->capture_default_str()->check(CLI::Range(1u, 1000000u));
  app.add_option("--account-workers", o.account_workers,
                 "concurrent durable account writers")
    ->capture_default_str()->check(CLI::Range(1u, 64u));
  app.add_option("--scram-iterations", o.scram_iterations,
                 "PBKDF2 iterations for new credentials")
    ->capture_default_str()->check(CLI::Range(4096u, 10000000u));
  app.add_option("--max-payload", o.max_payload, "largest upload/push/message payload (octets)")
    ->capture_default_str()->check(CLI::Range(1u, 16u * 1024 * 1024));
  app.add_option("--offline-max", o.offline_max_per_account,
                 "messages kept per offline account; more are refused (queue-full)")
    ->capture_default_str();
  app.add_option("--offline-ttl", o.offline_ttl_seconds, "seconds an offline message is kept")
    ->capture_default_str();
  app.add_flag("--reset-unbinds", o.reset_unbinds,
               "resetting a device's code also removes its bindings");
  app.add_option("--idle-seconds", o.idle_seconds,
                 "seconds an account's actor stays in memory with no session")
    ->capture_default_str()->check(CLI::Range(1u, 86400u));
  // Seconds with a fraction (tests use tenths), kept as milliseconds.
  double ping_interval = o.ping_interval_ms / 1000.0;
  double suspect_grace = o.suspect_grace_ms / 1000.0;
  app.add_option("--ping-interval", ping_interval,
                 "seconds of silence before a client session is checked (XEP-0198 <r/> or "
                 "XEP-0199 ping), and it is suspect without an answer within as long again; "
                 "fractions allowed, 0: no checks")
    ->capture_default_str()->check(CLI::Range(0.0, 86400.0));
  app.add_option("--suspect-grace", suspect_grace,
                 "seconds a suspect session is kept before it is ended (connection-timeout); "
                 "fractions allowed")
    ->capture_default_str()->check(CLI::Range(0.0, 86400.0));
  app.add_option("--events-max", o.lifecycle_max_events,
                 "transitions the lifecycle stream keeps (older ones are dropped)")
    ->capture_default_str()->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  app.add_option("--events-max-age-hours", o.lifecycle_max_age_hours,
                 "hours the lifecycle stream keeps a transition")
    ->capture_default_str()->check(CLI::Range(1u, 24u * 3650));
  double backoff_base = o.outbound_backoff_base_ms / 1000.0;
  double backoff_max = o.outbound_backoff_max_ms / 1000.0;
  double outbound_timeout = o.outbound_timeout_ms / 1000.0;
  app.add_option("--outbound-backoff-base", backoff_base,
                 "seconds: the retry delay's ceiling after a first failed delivery to an "
                 "external endpoint; doubles per failure (full jitter)")
    ->capture_default_str()->check(CLI::Range(0.001, 3600.0));
  app.add_option("--outbound-backoff-max", backoff_max,
                 "seconds: the largest retry delay's ceiling")
    ->capture_default_str()->check(CLI::Range(0.001, 86400.0));
  app.add_option("--outbound-timeout", outbound_timeout,
                 "seconds one delivery attempt may take")
    ->capture_default_str()->check(CLI::Range(0.1, 3600.0));
  app.add_option("--metrics-listen", o.metrics_listen,
                 "host:port (or a port, on 127.0.0.1) of the operator's HTTP listener: "
                 "GET /metrics (Prometheus) and GET /health (docs/operations.md); "
                 "unset: none")->type_name("HOST:PORT");
  bool no_builtin_apps = false;
  app.add_flag("--no-builtin-apps", no_builtin_apps,
               "do not start the echo, last-seen and notify apps");
  app.add_option("--https-listen", o.https_listen,
                 "host:port of the inbound HTTPS listener for external application servers "
                 "(docs/protocol.md, §8.8.3); unset: off");
  auto* cl = "Cluster (docs/cluster.md)";
  app.add_option("--cluster-listen", o.cluster_listen,
                 "host:port of this node's cluster listener (mutual TLS); unset: a lone node")
    ->group(cl);
  app.add_option("--seed", o.cluster_seeds,
                 "a member to join, host:port (repeat for several)")->group(cl);
  app.add_option("--node-name", o.node_name,
                 "this node's unique name in the cluster (default: its listen address)")
    ->group(cl);
  app.add_option("--cluster-dir", o.cluster_dir,
                 "ca.pem, node.pem, node-key.pem (default: <data-dir>/cluster)")->group(cl);
  app.add_option("--storage-node", o.storage_nodes,
                 "a node serving a shard of the account store, by name or address; repeat "
                 "for one shard each (default: one shard per seed, or this node)")
    ->group(cl);
  app.add_option("--etcd", o.etcd, "etcd's client URL: account ownership is fenced by etcd "
                                  "leases (default: by membership)")->group(cl);
  app.add_option("--lease-seconds", o.lease_seconds, "time to live of this node's etcd lease")
    ->capture_default_str()->check(CLI::Range(2u, 3600u))->group(cl);
  app.add_option("--heartbeat-ms", o.heartbeat_ms, "how often members are pinged")
    ->capture_default_str()->check(CLI::Range(10u, 60000u))->group(cl);
  app.add_option("--failure-ms", o.failure_ms, "a member silent this long is dead")
    ->capture_default_str()->check(CLI::Range(50u, 600000u))->group(cl);
  auto* fed = "Links to other ASs (docs/federation.md)";
  app.add_option("--as-peer", o.as_peers,
                 "a peer AS: domain=D,ca=PEM[,connect=HOST:PORT][,listen=HOST:PORT] "
                 "(repeat for several)")->group(fed);
  app.add_option("--as-cert", o.as_cert,
                 "this AS's link certificate (default: <cluster-dir>/node.pem)")->group(fed);
  app.add_option("--as-key", o.as_key,
                 "its key (default: <cluster-dir>/node-key.pem)")->group(fed);
  app.fallthrough(); // subcommands accept the options above too

  irsp::cli::store_location where;
  int exit_code = 0;
  auto* account = app.add_subcommand("account", "manage accounts of a stopped node");
  irsp::cli::add_account_commands(*account, where, exit_code);
  auto* events = app.add_subcommand("events", "print a stopped node's lifecycle stream as JSON lines");
  irsp::cli::add_events_command(*events, where, exit_code);
  auto* endpoint = app.add_subcommand("endpoint", "external endpoints applications send to "
                                                  "(§8.8.2), on a stopped node");
  irsp::cli::add_endpoint_commands(*endpoint, where, exit_code);
  auto* key = app.add_subcommand("key", "API keys of external application servers, on a "
                                        "stopped node (inbound HTTPS)");
  irsp::cli::add_key_commands(*key, where, exit_code);
  irsp::cli::cluster_location cluster_where;
  auto* cluster = app.add_subcommand("cluster", "the cluster of this AS: certificates, status (docs/cluster.md)");
  irsp::cli::add_cluster_commands(*cluster, cluster_where, exit_code);
  std::string status_node;
  auto* status = cluster->add_subcommand("status", "how a running member sees the cluster");
  status->add_option("--node", status_node, "the member to ask, host:port of its cluster "
                                            "listener")->required();
  app.parse_complete_callback([&] {
    where = {o.data_dir, o.domain, o.scram_iterations};
    cluster_where = {o.data_dir};
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "irsp-node: error: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (status->parsed()) {
    auto dir = o.cluster_dir.empty() ? o.data_dir + "/cluster" : o.cluster_dir;
    return irsp::cli::print_cluster_status(status_node, dir, std::cout, std::cerr);
  }
  if (account->parsed() || events->parsed() || cluster->parsed() || endpoint->parsed()
      || key->parsed())
    return exit_code;

  // Below 10 ms a check would go out faster than the I/O loop's timers
  // resolve (50 ms) and flood every client; 0 is the explicit "no checks".
  if (ping_interval > 0 && ping_interval < 0.01) {
    std::cerr << "irsp-node: error: --ping-interval: " << ping_interval
              << " is below 0.01 s (0 disables the checks) (see --help)\n";
    return 2;
  }
  o.ping_interval_ms = static_cast<std::uint32_t>(ping_interval * 1000 + 0.5);
  o.suspect_grace_ms = static_cast<std::uint32_t>(suspect_grace * 1000 + 0.5);
  o.outbound_backoff_base_ms = static_cast<std::uint32_t>(backoff_base * 1000 + 0.5);
  o.outbound_backoff_max_ms = static_cast<std::uint32_t>(backoff_max * 1000 + 0.5);
  o.outbound_timeout_ms = static_cast<std::uint32_t>(outbound_timeout * 1000 + 0.5);
  o.open_registration = !closed;
  o.builtin_apps = !no_builtin_apps;
  block_stop_signals();
  irsp::node n{o};
  if (!n.start()) {
    std::cerr << "irsp-node: error: " << n.error() << "\n";
    return 1;
  }
  const auto& in_force = n.options();
  std::cerr << "irsp-node: xmpp clients on " << in_force.c2s_address << ":" << in_force.c2s_port
            << " (STARTTLS) and " << in_force.c2s_address << ":" << in_force.c2s_tls_port
            << " (direct TLS)\n";
  if (!in_force.cluster_listen.empty())
    std::cerr << "irsp-node: cluster member " << in_force.node_name << " on "
              << in_force.cluster_listen << ", account store in "
              << in_force.storage_nodes.size() << " shard(s) on "
              << (in_force.etcd.empty() ? "" : "the nodes etcd names, first ")
              << join(in_force.storage_nodes) << "\n";
  if (!in_force.https_listen.empty())
    std::cerr << "irsp-node: https inbound on " << in_force.https_listen << "\n";
  if (!in_force.metrics_listen.empty())
    std::cerr << "irsp-node: metrics and health on http://" << in_force.metrics_listen
              << "/metrics and /health\n";
  std::cerr << "irsp-node: running for domain " << in_force.domain << ", data in "
            << in_force.data_dir << ", certificate " << in_force.cert_file << "\n";
  int sig = wait_for_stop_signal();
  std::cerr << "irsp-node: stopping on signal " << sig << "\n";
  n.stop();
  return 0;
}
