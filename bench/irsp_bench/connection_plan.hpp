// irsp-bench: which account, server and source address each connection of a
// run uses, and which worker opens it. Pure arithmetic, so that every worker
// process and thread derives the same plan from the options alone.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace irsp::bench {

/// Most connections one worker process holds: the per-process open-file cap
/// here is 20 000, and the server under test has the same cap, so one
/// client process stays well below it.
constexpr int max_connections_per_process = 9000;

/// Connections per loopback source address before the next one is used: the
/// ephemeral port range (32768–60999) gives ~28 000 ports per source
/// address and destination.
constexpr int connections_per_source_address = 20000;

/// Parses "5222" or "5222,5322,5422" (no spaces, no duplicates, 1–65535).
/// Returns nullopt and sets `error` on bad input.
std::optional<std::vector<std::uint16_t>> parse_port_list(const std::string& text,
                                                          std::string& error);

/// Splits "a,b,c" at commas; empty pieces are kept (so that the caller can
/// refuse them).
std::vector<std::string> split_list(const std::string& text);

/// One server endpoint of the run.
struct target_endpoint {
  /// The address to connect to.
  sockaddr_storage address{};
  /// Its length.
  socklen_t length = 0;
  /// "host:port" for reports.
  std::string name;
};

/// Every (host, port) pair of the two lists, host-major: one host and several
/// ports (several nodes on one machine) or several hosts and one port. Each
/// host must be an IP literal; nullopt and `error` otherwise.
std::optional<std::vector<target_endpoint>> make_targets(const std::vector<std::string>& hosts,
                                                         const std::vector<std::uint16_t>& ports,
                                                         std::string& error);

/// The i-th loopback source address after `first` (127.0.0.1 → 127.0.0.2 …),
/// port 0. `first` must be in 127.0.0.0/8 and i small enough to stay there.
sockaddr_in source_address(const in_addr& first, int i);

/// What the run's connections are and who opens them.
///
/// Connections 0 … users−1 log in accounts 0 … users−1. The `replacements`
/// connections after them log in again accounts spread evenly over the
/// users, with the same resource, so the server replaces (RFC 6120
/// §7.7.2.2, `conflict`) the session those accounts already have.
struct connection_plan {
  /// Accounts, one first login each.
  int users = 0;
  /// Second logins that replace a session.
  int replacements = 0;
  /// Server endpoints; account a always goes to endpoint a mod targets, so a
  /// replacing login reaches the server that holds the session it replaces.
  int targets = 1;
  /// Loopback source addresses; connection i binds source i mod sources
  /// (1: no bind, the kernel picks).
  int sources = 1;
  /// Worker processes.
  int processes = 1;
  /// Event-loop threads per process.
  int threads = 1;

  /// users + replacements.
  int connections() const noexcept {
    return users + replacements;
  }

  /// When not empty, the endpoint of each account (`--connect-to` on a
  /// cluster), instead of account mod targets.
  std::vector<int> account_targets;

  /// Threads over all processes.
  int workers() const noexcept {
    return processes * threads;
  }

  /// The account connection `i` logs in.
  int account(int i) const noexcept;

  /// The endpoint connection `i` connects to.
  int target(int i) const noexcept {
    const int a = account(i);
    return account_targets.empty() ? a % targets
                                   : account_targets[static_cast<std::size_t>(a)];
  }

  /// The source address index of connection `i`.
  int source(int i) const noexcept {
    return i % sources;
  }

  /// The worker (process × threads + thread) that opens connection `i`;
  /// round-robin, so that the workers together keep one ramp.
  int worker(int i) const noexcept {
    return i % workers();
  }

  /// The most connections any one process holds.
  int connections_per_process() const noexcept;
};

/// The plan for `users` accounts, `replace_fraction` of them logging in a
/// second time, over `targets` endpoints. `processes` and `sources` of 0
/// mean "as many as needed" (max_connections_per_process,
/// connections_per_source_address). Nullopt and `error` when the numbers
/// cannot work (a process over the cap, more sources than 127.0.0.0/8 has).
std::optional<connection_plan> make_plan(int users, double replace_fraction, int targets,
                                         int processes, int threads, int sources,
                                         std::string& error);

} // namespace irsp::bench
