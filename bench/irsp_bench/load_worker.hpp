// irsp-bench: one thread's share of the connections, driven through the
// run's phases (ramp and login, hold or traffic, drain, close).
#pragma once

#include <cstdint>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "bench/irsp_bench/connection_plan.hpp"
#include "bench/irsp_bench/event_loop.hpp"
#include "bench/irsp_bench/run_control.hpp"
#include "bench/irsp_bench/run_result.hpp"
#include "bench/irsp_bench/sasl_client.hpp"
#include "bench/irsp_bench/scram_key_cache.hpp"
#include "bench/irsp_bench/xmpp_client.hpp"

namespace irsp::bench {

/// Runs connections w, w + W, … of the run (W = plan.workers()) on the
/// calling thread, following `control`'s phases until it says close and
/// every connection is closed.
class load_worker final : public client_observer {
public:
  /// Worker `worker_index` of `plan`, connecting to `targets` (from
  /// `sources` when not empty); `loaded_keys` is the SCRAM key cache read
  /// before the run, or null when caching is off.
  load_worker(const bench_options& options, const connection_plan& plan, run_control& control,
              worker_status& status, const tls::client_context& tls,
              const std::vector<target_endpoint>& targets, std::vector<sockaddr_in> sources,
              const scram_key_cache* loaded_keys, int worker_index);

  /// Runs to the end of the close phase; returns false if the worker could
  /// not start (epoll or gsasl unavailable), with the result's failures
  /// saying why.
  bool run();

  /// What this worker's connections did; read once status().finished.
  const run_result& result() const noexcept {
    return result_;
  }

  /// The SCRAM keys this worker computed; read once status().finished.
  const scram_key_cache& learned_keys() const noexcept {
    return learned_keys_;
  }

  /// Records the login's milestones.
  void on_ready(xmpp_client& client) override;

  /// Counts a failed login, or a session lost later (and stops waiting for
  /// its replies).
  void on_failed(xmpp_client& client, const std::string& reason) override;

  /// Matches a reply to its round trip by the timestamp it carries.
  void on_stanza(xmpp_client& client, const xmpp::element& stanza) override;

private:
  // Per connection, during traffic.
  struct traffic_state {
    std::int64_t in_flight_stamp = 0;    // closed loop: the one outstanding, 0 if none
    bench_clock::time_point in_flight_since;
    std::uint32_t outstanding = 0;       // sent, not yet answered or given up
  };

  void open_due(bench_clock::time_point now);
  void scan_deadlines(bench_clock::time_point now);
  void begin_traffic(bench_clock::time_point now);
  void send_due(bench_clock::time_point now);
  void send_one(int k, std::int64_t stamp, bench_clock::time_point now);
  void complete(int k, std::int64_t stamp, bool ok, bench_clock::time_point now);
  bool sending(bench_clock::time_point now) const;
  int poll_timeout_ms(bench_clock::time_point now) const;

  // The global connection number of this worker's k-th connection.
  int connection_number(std::size_t k) const noexcept {
    return worker_index_ + static_cast<int>(k) * plan_.workers();
  }

  const bench_options& options_;
  const connection_plan& plan_;
  run_control& control_;
  worker_status& status_;
  int worker_index_;
  scram_key_cache learned_keys_;
  event_loop loop_;
  sasl_library sasl_;
  client_environment env_;
  std::vector<std::unique_ptr<xmpp_client>> clients_;
  std::vector<traffic_state> traffic_;
  std::size_t opened_ = 0;
  int resolved_ = 0; // ready or failed logins
  run_result result_;

  bool traffic_begun_ = false;
  std::int64_t traffic_start_ns_ = 0;
  std::int64_t traffic_end_ns_ = 0;
  std::int64_t window_start_ns_ = 0;
  std::int64_t period_ns_ = 0; // open loop: between two sends of one connection
  std::uint64_t outstanding_ = 0;
  // Open loop: (due, connection), earliest first.
  std::priority_queue<std::pair<std::int64_t, int>, std::vector<std::pair<std::int64_t, int>>,
                      std::greater<>>
    schedule_;
  std::string padding_;
  bench_clock::time_point next_scan_;
};

} // namespace irsp::bench
