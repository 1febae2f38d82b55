// irsp-bench: what the connections of one run did, merged over threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bench/irsp_bench/latency_samples.hpp"

namespace irsp::bench {

/// Counts and samples gathered by a worker; the report merges them.
struct run_result {
  /// Connections attempted.
  int attempted = 0;
  /// Sessions that became ready.
  int ready = 0;
  /// Ready sessions the server ended because a later login of the same
  /// account and resource replaced them (stream error `conflict`).
  int replaced = 0;
  /// Logins ended by `conflict` before they were ready: a second login of
  /// the account raced them (counted neither as ready nor as failed).
  int replaced_in_login = 0;
  /// Logins that failed, by reason.
  std::map<std::string, int> login_failures;
  /// Ready sessions lost before the run closed them, by reason.
  std::map<std::string, int> dropped;
  /// SASL mechanism used, by name.
  std::map<std::string, int> mechanisms;
  /// TLS protocol version used, by name.
  std::map<std::string, int> tls_versions;
  /// connect() to bound session (registration excluded).
  latency_samples login;
  /// connect() to TCP established.
  latency_samples login_tcp;
  /// TCP established (or STARTTLS proceed) to TLS handshake done, roughly:
  /// measured from TCP established, so it includes the plaintext stream
  /// opening under STARTTLS.
  latency_samples login_tls;
  /// TLS done to SASL success verified (registration excluded).
  latency_samples login_auth;
  /// SASL success to bind result (stream restart, features, bind).
  latency_samples login_bind;
  /// Bind result to the legacy session IQ's result (RFC 3921 §3), when asked for.
  latency_samples login_session;
  /// XEP-0077 registration round trips, when asked for.
  latency_samples registration;
  /// Earliest connect() and latest ready, ns on bench_clock (0: none).
  std::int64_t first_start_ns = 0;
  /// See first_start_ns.
  std::int64_t last_ready_ns = 0;
  /// Earliest ready, ns on bench_clock (0: none).
  std::int64_t first_ready_ns = 0;

  /// SCRAM logins whose SaltedPassword came from the key cache.
  std::uint64_t key_cache_hits = 0;
  /// SCRAM logins that computed it (PBKDF2), with the cache on or off.
  std::uint64_t key_cache_misses = 0;

  /// Round trips sent.
  std::uint64_t sent = 0;
  /// Successful replies received (whenever sent).
  std::uint64_t replies = 0;
  /// Error replies (iq or message of type error).
  std::uint64_t errors = 0;
  /// Error replies by condition.
  std::map<std::string, int> error_conditions;
  /// Echo: iq results acknowledging uploads.
  std::uint64_t acks = 0;
  /// Closed loop: round trips given up after --reply-timeout.
  std::uint64_t timeouts = 0;
  /// Round trips sent inside the measured window and answered.
  std::uint64_t measured = 0;
  /// Latency of the measured round trips.
  latency_samples round_trip;

  /// Adds `other`'s counts and samples to this.
  void merge(const run_result& other);
};

} // namespace irsp::bench
