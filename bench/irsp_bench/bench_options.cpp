#include "bench/irsp_bench/bench_options.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <map>

#include <CLI/CLI.hpp>

#include "bench/irsp_bench/connection_plan.hpp"

namespace irsp::bench {

const char* to_string(scenario_kind kind) noexcept {
  switch (kind) {
    case scenario_kind::connect:
      return "connect";
    case scenario_kind::echo:
      return "echo";
    case scenario_kind::message:
      return "message";
  }
  return "?";
}

std::string targets_text(const bench_options& options) {
  std::string text;
  for (const auto& host : options.hosts)
    for (auto port : options.ports)
      text += (text.empty() ? "" : ", ")
              + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":"
              + std::to_string(port);
  return text;
}

bool loopback_target(const std::string& host, std::string& resolved) {
  // No name resolution: a resolver could hand back any address, and this
  // tool must never send load anywhere but this machine.
  if (host == "localhost") {
    resolved = "127.0.0.1";
    return true;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    resolved = host;
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    resolved = host;
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

std::optional<bench_options> parse_options(int argc, char** argv, int& exit_code) {
  bench_options opt;
  CLI::App app{
    "irsp-bench: XMPP client-to-server load generator for any XMPP server on this machine.\n"
    "Logs in --users accounts over real TCP + TLS (STARTTLS or direct TLS), SASL SCRAM-SHA-256\n"
    "(SCRAM-SHA-1, then PLAIN over TLS as fallbacks), resource binding and initial presence,\n"
    "then runs a scenario and reports rates, latency percentiles and, with --server-pid, the\n"
    "server's memory per connection and CPU time.\n"
    "Targets only loopback addresses (127.0.0.0/8, ::1). Server certificates are NOT verified\n"
    "(self-signed certificates are accepted): this is a local benchmark, not a client to trust."};
  app.get_formatter()->column_width(34);

  std::string hosts = "127.0.0.1", ports = "5222";
  app.add_option("--host", hosts,
                 "server address(es), comma-separated: 127.0.0.0/8, ::1 or localhost")
      ->capture_default_str();
  app.add_option("--port", ports,
                 "server port(s), comma-separated; account i goes to (host, port) pair i mod "
                 "their number")
      ->capture_default_str();
  app.add_option("--domain", opt.domain, "XMPP domain of the accounts")->capture_default_str();
  app.add_option("--echo-domain", opt.echo_domain,
                 "echo: upload to echo@apps.DOMAIN of this domain (another AS: over its AS "
                 "link; default: --domain)");
  app.add_option("--users", opt.users,
                 "accounts, one connection each (account i is PREFIX+i); 0 with --scenario "
                 "connect samples an idle server")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_option("--replace-fraction", opt.replace_fraction,
                 "this fraction of the accounts logs in again after the first logins, same "
                 "resource: the server replaces (conflict) their first session")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--legacy-session", opt.legacy_session,
               "send the RFC 3921 session IQ after binding (as tsung and old clients do)");
  app.add_option("--processes", opt.processes,
                 "worker processes (0: one per 9000 connections)")
      ->capture_default_str()
      ->check(CLI::Range(0, 200));
  app.add_option("--source-addresses", opt.sources,
                 "loopback source addresses 127.0.0.1, .2, ... (0: one per 20000 connections; "
                 "1: the kernel's choice)")
      ->capture_default_str()
      ->check(CLI::Range(0, 250));
  app.add_option("--cache-scram-keys", opt.key_cache_path,
                 "FILE of cached SCRAM SaltedPasswords (created if missing, updated after the "
                 "run): logins whose key is cached run no PBKDF2, as real clients do");
  app.add_option("--prefix", opt.prefix, "account name prefix")->capture_default_str();
  app.add_option("--password", opt.password, "password of every account")->capture_default_str();
  auto* direct = app.add_flag("--direct-tls", opt.direct_tls,
                              "TLS from the first byte (XEP-0368, port 5223 style)");
  bool starttls = false;
  app.add_flag("--starttls", starttls, "STARTTLS on a plain port (the default)")->excludes(direct);
  app.add_flag("--register", opt.register_first,
               "XEP-0077 in-band registration before login (an existing account counts as success)");
  app.add_option("--ramp", opt.ramp, "new connections per second")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 100000.0));
  app.add_option("--duration", opt.duration,
                 "seconds to hold the sessions (connect) or to send (echo, message)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--warmup", opt.warmup, "seconds at the start of the traffic, or of the hold (connect: the idle window starts after them), not counted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  std::string scenario = "connect";
  app.add_option("--scenario", scenario,
                 "connect: log in and hold; echo: IRSP upload to echo@apps.DOMAIN and its push "
                 "back (IRSP only); message: chat message to one's own bare JID (any server)")
      ->capture_default_str()
      ->check(CLI::IsMember({"connect", "echo", "message"}));
  app.add_option("--rate", opt.rate,
                 "messages per second per connection; 0 = closed loop (one round trip in flight)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10000.0));
  app.add_option("--payload", opt.payload_bytes, "bytes of body / upload payload")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  std::string mechanism = "best";
  app.add_option("--mechanism", mechanism,
                 "SASL: best (SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN), SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN")
      ->capture_default_str()
      ->check(CLI::IsMember({"best", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
  app.add_option("--login-timeout", opt.login_timeout, "seconds from TCP connect to bound session")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  app.add_option("--reply-timeout", opt.reply_timeout, "seconds before a round trip counts as lost")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--threads", opt.threads, "event-loop threads per worker process (1 or 2)")
      ->capture_default_str()
      ->check(CLI::Range(1, 2));
  std::string cluster_nodes, connect_to = "spread";
  app.add_option("--cluster-nodes", cluster_nodes,
                 "IRSP cluster: the members' names (their --cluster-listen host:port), "
                 "comma-separated, one per server endpoint in the same order");
  app.add_option("--connect-to", connect_to,
                 "spread: account i to endpoint i mod endpoints; home: to the node its actor "
                 "lives on; away: to the node after that (needs --cluster-nodes)")
      ->capture_default_str()
      ->check(CLI::IsMember({"spread", "home", "away"}));
  std::string server_pids;
  app.add_option("--server-pid", server_pids,
                 "server process(es) to sample, comma-separated (summed): VmRSS before/after "
                 "connecting (memory per connection) and CPU time per phase, from /proc/PID");
  app.add_option("--label", opt.label, "name of the server under test, copied into the report");
  app.add_flag("--json", opt.json, "print one JSON object instead of the text report");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  }
  const std::map<std::string, scenario_kind> scenarios{{"connect", scenario_kind::connect},
                                                       {"echo", scenario_kind::echo},
                                                       {"message", scenario_kind::message}};
  opt.scenario = scenarios.at(scenario);
  const std::map<std::string, sasl_choice> mechanisms{{"best", sasl_choice::best},
                                                      {"SCRAM-SHA-256", sasl_choice::scram_sha_256},
                                                      {"SCRAM-SHA-1", sasl_choice::scram_sha_1},
                                                      {"PLAIN", sasl_choice::plain}};
  opt.mechanism = mechanisms.at(mechanism);
  auto refuse = [&](const std::string& why) {
    std::fprintf(stderr, "irsp-bench: %s\n", why.c_str());
    exit_code = 2;
    return std::nullopt;
  };
  opt.hosts.clear();
  for (const auto& host : split_list(hosts)) {
    std::string resolved;
    if (!loopback_target(host, resolved))
      return refuse("refusing --host '" + host
                    + "': only loopback targets (127.0.0.0/8, ::1, localhost) may be loaded");
    opt.hosts.push_back(resolved);
  }
  std::string error;
  auto port_list = parse_port_list(ports, error);
  if (!port_list)
    return refuse("--port: " + error);
  opt.ports = *port_list;
  for (const auto& piece : server_pids.empty() ? std::vector<std::string>{}
                                               : split_list(server_pids)) {
    if (piece.empty() || piece.size() > 9
        || piece.find_first_not_of("0123456789") != std::string::npos)
      return refuse("--server-pid: not a process id: '" + piece + "'");
    opt.server_pids.push_back(std::stoi(piece));
  }
  const std::map<std::string, connect_choice> choices{{"spread", connect_choice::spread},
                                                      {"home", connect_choice::home},
                                                      {"away", connect_choice::away}};
  opt.connect_to = choices.at(connect_to);
  if (!cluster_nodes.empty())
    opt.cluster_nodes = split_list(cluster_nodes);
  for (const auto& name : opt.cluster_nodes)
    if (name.empty())
      return refuse("--cluster-nodes: an empty name");
  if (!opt.cluster_nodes.empty()
      && opt.cluster_nodes.size() != opt.hosts.size() * opt.ports.size())
    return refuse("--cluster-nodes names " + std::to_string(opt.cluster_nodes.size())
                  + " nodes but there are "
                  + std::to_string(opt.hosts.size() * opt.ports.size())
                  + " server endpoints (one name per --host x --port pair, in order)");
  if (opt.connect_to != connect_choice::spread && opt.cluster_nodes.empty())
    return refuse("--connect-to home/away needs --cluster-nodes");
  if (opt.connect_to == connect_choice::away && opt.cluster_nodes.size() < 2)
    return refuse("--connect-to away needs at least two --cluster-nodes");
  if (opt.users == 0 && opt.scenario != scenario_kind::connect)
    return refuse("--users 0 only with --scenario connect (an idle server)");
  if (opt.sources != 1)
    for (const auto& host : opt.hosts)
      if (host.find(':') != std::string::npos && (opt.sources > 1 || opt.users > 20000))
        return refuse("several source addresses need IPv4 loopback targets (::1 is one address)");
  // The domain goes into the stream header and every JID as it is.
  if (opt.domain.empty()
      || opt.domain.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
             != std::string::npos) {
    std::fprintf(stderr, "irsp-bench: --domain must be a plain DNS name\n");
    exit_code = 2;
    return std::nullopt;
  }
  if (opt.echo_domain.empty())
    opt.echo_domain = opt.domain;
  if (opt.echo_domain.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
      != std::string::npos) {
    std::fprintf(stderr, "irsp-bench: --echo-domain must be a plain DNS name\n");
    exit_code = 2;
    return std::nullopt;
  }
  if (opt.prefix.empty()
      || opt.prefix.find_first_of("\"&'/:<>@ \t\r\n") != std::string::npos) {
    std::fprintf(stderr, "irsp-bench: --prefix must be a non-empty XMPP localpart\n");
    exit_code = 2;
    return std::nullopt;
  }
  if (opt.warmup >= opt.duration && opt.scenario != scenario_kind::connect) {
    std::fprintf(stderr, "irsp-bench: --warmup must be shorter than --duration\n");
    exit_code = 2;
    return std::nullopt;
  }
  exit_code = 0;
  return opt;
}

} // namespace irsp::bench
