// irsp-bench: what one run is asked to do, and the command line that says it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/irsp_bench/cluster_routing.hpp"

namespace irsp::bench {

/// What the connected clients do once logged in.
enum class scenario_kind {
  /// Log in and hold the sessions; nothing else.
  connect,
  /// IRSP only: upload to `echo@apps.DOMAIN` and wait for its push back.
  echo,
  /// Any server: a chat message to the client's own bare JID, and back.
  message,
};

/// The name of `kind` as the command line spells it.
const char* to_string(scenario_kind kind) noexcept;

/// Which SASL mechanism the clients use.
enum class sasl_choice {
  /// SCRAM-SHA-256, else SCRAM-SHA-1, else PLAIN (over TLS only).
  best,
  /// Exactly this one; fail the login if the server lacks it.
  scram_sha_256,
  /// See scram_sha_256.
  scram_sha_1,
  /// See scram_sha_256.
  plain,
};

/// One run of irsp-bench, as given on the command line.
struct bench_options {
  /// Server addresses: IPv4 literals in 127.0.0.0/8, "::1" ("localhost" is
  /// read as 127.0.0.1).
  std::vector<std::string> hosts{"127.0.0.1"};
  /// Server ports (5222 for STARTTLS, 5223 by convention for direct TLS).
  /// The servers are every (host, port) pair; account i goes to pair
  /// i mod their number.
  std::vector<std::uint16_t> ports{5222};
  /// The XMPP domain the accounts live in (the stream's `to`).
  std::string domain = "localhost";
  /// `echo`: the domain of the echo application (echo@apps.<it>); empty:
  /// `domain`. Another AS's domain measures the round trip over an AS link.
  std::string echo_domain;
  /// Number of accounts, one first login each (0: no client, e.g. to
  /// sample an idle server).
  int users = 100;
  /// Fraction of the accounts that log in a second time after the first
  /// logins, with the same resource, replacing their first session.
  double replace_fraction = 0;
  /// Send the legacy session IQ (RFC 3921 §3) after binding, as older
  /// clients and tsung do.
  bool legacy_session = false;
  /// Worker processes (0: as many as needed for at most 9000 connections
  /// each).
  int processes = 0;
  /// Loopback source addresses 127.0.0.1, .2, … (0: one per 20 000
  /// connections; 1: let the kernel choose).
  int sources = 0;
  /// File of cached SCRAM SaltedPasswords; empty: run PBKDF2 on every login.
  std::string key_cache_path;
  /// Account i is PREFIX + i (bench0, bench1, …).
  std::string prefix = "bench";
  /// The one password of every account.
  std::string password = "bench-password";
  /// TLS from the first byte (XEP-0368) instead of STARTTLS.
  bool direct_tls = false;
  /// XEP-0077: register each account in-band before logging in.
  bool register_first = false;
  /// New connections opened per second.
  double ramp = 200;
  /// Seconds to hold the sessions (connect) or to send traffic (echo, message).
  double duration = 10;
  /// Seconds at the start of the traffic not counted in the figures.
  double warmup = 1;
  /// What the clients do once logged in.
  scenario_kind scenario = scenario_kind::connect;
  /// Messages per second per connection; 0: each connection keeps exactly
  /// one round trip outstanding (closed loop).
  double rate = 0;
  /// Bytes of message body or upload payload (at least the timestamp's).
  int payload_bytes = 64;
  /// SASL mechanism policy.
  sasl_choice mechanism = sasl_choice::best;
  /// Seconds a connection may take from TCP connect to bound session.
  double login_timeout = 60;
  /// Seconds a round trip may take before it counts as lost.
  double reply_timeout = 10;
  /// Event-loop threads per worker process (1 or 2).
  int threads = 1;
  /// On an IRSP cluster: the members' names (--cluster-listen host:port),
  /// one per endpoint in endpoint order; needed by `connect_to` other than
  /// spread.
  std::vector<std::string> cluster_nodes;
  /// Which endpoint each account connects to: spread (a mod endpoints), or
  /// its actor's home node, or another node.
  connect_choice connect_to = connect_choice::spread;
  /// Server processes to sample (VmRSS, CPU time, summed) from /proc.
  std::vector<int> server_pids;
  /// Print one JSON object instead of the text report.
  bool json = false;
  /// A label for the server under test, carried into the report.
  std::string label;
};

/// Parses argv into options. Returns nullopt after printing help or an error;
/// `exit_code` is then what main should return.
std::optional<bench_options> parse_options(int argc, char** argv, int& exit_code);

/// `hosts` and `ports` as one "a:p, b:q" line for reports.
std::string targets_text(const bench_options& options);

/// True when `host` is a loopback literal this tool may target (127.0.0.0/8,
/// ::1) or "localhost"; fills `resolved` with the literal to connect to.
bool loopback_target(const std::string& host, std::string& resolved);

} // namespace irsp::bench
