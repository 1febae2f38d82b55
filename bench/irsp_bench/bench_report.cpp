#include "bench/irsp_bench/bench_report.hpp"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

namespace irsp::bench {

namespace {

using nlohmann::json;

const char* transport(const bench_options& o) {
  return o.direct_tls ? "direct TLS" : "STARTTLS";
}

const char* mechanism_text(sasl_choice c) {
  switch (c) {
    case sasl_choice::best:
      return "best";
    case sasl_choice::scram_sha_256:
      return "SCRAM-SHA-256";
    case sasl_choice::scram_sha_1:
      return "SCRAM-SHA-1";
    case sasl_choice::plain:
      return "PLAIN";
  }
  return "?";
}

/// Sessions open at the end of the logins: a replaced one is gone.
int sessions_held(const run_result& r) {
  return r.ready - r.replaced;
}

/// Logins completed per second between the first and the last ready: unlike
/// login_rate, not diluted by one login's latency, which matters for short
/// runs of a slow server; at saturation both tend to the server's rate.
double completion_rate(const run_result& r) {
  if (r.ready < 2 || r.last_ready_ns <= r.first_ready_ns)
    return 0;
  return (r.ready - 1) / (static_cast<double>(r.last_ready_ns - r.first_ready_ns) / 1e9);
}

double login_rate(const run_result& r) {
  if (r.ready == 0 || r.last_ready_ns <= r.first_start_ns)
    return 0;
  return r.ready / (static_cast<double>(r.last_ready_ns - r.first_start_ns) / 1e9);
}

json summary_json(const latency_summary& s) {
  return json{{"count", s.count}, {"mean", s.mean_us}, {"min", s.min_us}, {"p50", s.p50_us},
              {"p90", s.p90_us},  {"p99", s.p99_us},   {"max", s.max_us}};
}

json sample_json(const std::optional<process_sample>& s) {
  if (!s)
    return nullptr;
  return json{{"rss_kib", s->rss_kib}, {"cpu_seconds", s->cpu_seconds}};
}

std::string counts_text(const std::map<std::string, int>& counts) {
  std::string text;
  for (const auto& [name, count] : counts)
    text += (text.empty() ? "" : "; ") + (name.empty() ? std::string("(none)") : name) + " x"
            + std::to_string(count);
  return text;
}

void latency_row(std::FILE* out, const char* name, const latency_summary& s) {
  if (s.count == 0)
    return;
  std::fprintf(out, "  %-12s %9.2f %9.2f %9.2f %9.2f %9.2f %9llu\n", name, s.p50_us / 1e3,
               s.p90_us / 1e3, s.p99_us / 1e3, s.max_us / 1e3, s.mean_us / 1e3,
               static_cast<unsigned long long>(s.count));
}

std::uint64_t lost(const run_result& r) {
  const auto answered = r.replies + r.errors;
  return r.sent > answered ? r.sent - answered : 0;
}

void print_json(std::FILE* out, const bench_options& o, const run_outcome& outcome) {
  const auto& r = outcome.result;
  const auto& m = outcome.measurements;
  json j;
  j["started_utc"] = m.started_utc;
  j["label"] = o.label;
  j["options"] = {{"hosts", o.hosts},
                  {"ports", o.ports},
                  {"domain", o.domain},
                  {"users", o.users},
                  {"replace_fraction", o.replace_fraction},
                  {"legacy_session", o.legacy_session},
                  {"cache_scram_keys", !o.key_cache_path.empty()},
                  {"mechanism_choice", mechanism_text(o.mechanism)},
                  {"transport", o.direct_tls ? "direct-tls" : "starttls"},
                  {"register", o.register_first},
                  {"ramp", o.ramp},
                  {"duration", o.duration},
                  {"warmup", o.warmup},
                  {"scenario", to_string(o.scenario)},
                  {"rate", o.rate},
                  {"payload", o.payload_bytes},
                  {"threads", o.threads},
                  {"processes", m.plan.processes},
                  {"source_addresses", m.plan.sources},
                  {"connect_to", to_string(o.connect_to)},
                  {"cluster_nodes", o.cluster_nodes}};
  j["login"] = {{"attempted", r.attempted},
                {"ready", r.ready},
                {"replaced", r.replaced},
                {"failed", r.attempted - r.ready - r.replaced_in_login},
                {"replaced_in_login", r.replaced_in_login},
                {"failures", r.login_failures},
                {"dropped_later", r.dropped},
                {"rate_per_s", login_rate(r)},
                {"completed_per_s", completion_rate(r)},
                {"wall_seconds", m.connect_seconds},
                {"deadline_hit", m.connect_deadline_hit},
                {"mechanisms", r.mechanisms},
                {"tls_versions", r.tls_versions},
                {"latency_us", summary_json(r.login.summarise())},
                {"tcp_us", summary_json(r.login_tcp.summarise())},
                {"tls_us", summary_json(r.login_tls.summarise())},
                {"sasl_us", summary_json(r.login_auth.summarise())},
                {"bind_us", summary_json(r.login_bind.summarise())},
                {"session_us", summary_json(r.login_session.summarise())},
                {"scram_keys", {{"cached", r.key_cache_hits},
                                {"computed", r.key_cache_misses},
                                {"cache_file_entries_before", m.keys_loaded},
                                {"cache_file_entries_after", m.keys_saved}}},
                {"registration_us", summary_json(r.registration.summarise())}};
  json server{{"pids", o.server_pids},
              {"before", sample_json(m.server_before)},
              {"connected", sample_json(m.server_connected)},
              {"hold_start", sample_json(m.server_hold_start)},
              {"after", sample_json(m.server_after)}};
  const int held = sessions_held(r);
  if (m.server_before && m.server_connected && held > 0)
    server["kib_per_connection"] =
      static_cast<double>(m.server_connected->rss_kib - m.server_before->rss_kib) / held;
  if (m.server_before && m.server_connected && r.ready > 0)
    server["cpu_ms_per_login"] =
      (m.server_connected->cpu_seconds - m.server_before->cpu_seconds) * 1e3 / r.ready;
  j["server"] = server;
  const double client_login = m.client_cpu_connected - m.client_cpu_before;
  j["client_cpu_seconds"] = {{"login", client_login},
                             {"after_login", m.client_cpu_after - m.client_cpu_connected}};
  j["client_cpu_ms_per_login"] = r.ready > 0 ? client_login * 1e3 / r.ready : 0.0;
  if (o.scenario == scenario_kind::connect && m.hold_seconds > 0) {
    json idle{{"window_seconds", m.hold_seconds},
              {"sessions", held},
              {"client_cpu_percent",
               (m.client_cpu_after - m.client_cpu_hold_start) * 100 / m.hold_seconds}};
    if (m.server_hold_start && m.server_after)
      idle["server_cpu_percent"] =
        (m.server_after->cpu_seconds - m.server_hold_start->cpu_seconds) * 100 / m.hold_seconds;
    j["idle"] = idle;
  }
  j["warnings"] = m.warnings;
  if (o.scenario != scenario_kind::connect) {
    const auto answered = r.replies + r.errors;
    if (m.server_connected && m.server_after && answered > 0)
      j["server"]["cpu_us_per_round_trip"] =
        (m.server_after->cpu_seconds - m.server_connected->cpu_seconds) * 1e6
        / static_cast<double>(answered);
    j["traffic"] = {{"window_seconds", m.window_seconds},
                    {"closed_loop", o.rate == 0},
                    {"sent", r.sent},
                    {"replies", r.replies},
                    {"errors", r.errors},
                    {"error_conditions", r.error_conditions},
                    {"acks", r.acks},
                    {"timeouts", r.timeouts},
                    {"lost", lost(r)},
                    {"measured", r.measured},
                    {"round_trips_per_s",
                     m.window_seconds > 0 ? static_cast<double>(r.measured) / m.window_seconds : 0},
                    {"latency_us", summary_json(r.round_trip.summarise())}};
  }
  std::fprintf(out, "%s\n", j.dump(2).c_str());
}

void print_text(std::FILE* out, const bench_options& o, const run_outcome& outcome) {
  const auto& r = outcome.result;
  const auto& m = outcome.measurements;
  std::fprintf(out, "irsp-bench %s%s%s\n", m.started_utc.c_str(), o.label.empty() ? "" : "  ",
               o.label.c_str());
  std::fprintf(out, "target    %s, domain %s, %s, %d users, ramp %g/s, scenario %s",
               targets_text(o).c_str(), o.domain.c_str(), transport(o), o.users, o.ramp,
               to_string(o.scenario));
  if (o.scenario != scenario_kind::connect) {
    if (o.rate == 0)
      std::fprintf(out, " (closed loop)");
    else
      std::fprintf(out, " (%g/s per connection)", o.rate);
    std::fprintf(out, ", payload %d B", o.payload_bytes);
  }
  std::fprintf(out, ", %d process%s x %d thread%s, %d source address%s\n", m.plan.processes,
               m.plan.processes == 1 ? "" : "es", o.threads, o.threads == 1 ? "" : "s",
               m.plan.sources, m.plan.sources == 1 ? "" : "es");
  if (o.connect_to != connect_choice::spread)
    std::fprintf(out, "          each account connects to %s node (cluster %zu nodes)\n",
                 o.connect_to == connect_choice::home ? "its actor's home"
                                                      : "the node after its actor's home",
                 o.cluster_nodes.size());
  if (m.plan.replacements > 0 || o.legacy_session)
    std::fprintf(out, "          %d second logins replacing a session; legacy session IQ %s\n",
                 m.plan.replacements, o.legacy_session ? "on" : "off");

  std::fprintf(out,
               "login     %d ready, %d failed; %.1f logins/s (first connect to last bound), "
               "%.1f/s (first to last bound)%s\n",
               r.ready, r.attempted - r.ready - r.replaced_in_login, login_rate(r),
               completion_rate(r),
               m.connect_deadline_hit ? "; GAVE UP WAITING" : "");
  std::fprintf(out, "          %s; %s", counts_text(r.mechanisms).c_str(),
               counts_text(r.tls_versions).c_str());
  if (r.key_cache_hits + r.key_cache_misses > 0)
    std::fprintf(out, "; SCRAM keys: %llu cached, %llu computed (PBKDF2)",
                 static_cast<unsigned long long>(r.key_cache_hits),
                 static_cast<unsigned long long>(r.key_cache_misses));
  std::fprintf(out, "\n");
  if (r.replaced + r.replaced_in_login > 0)
    std::fprintf(out,
                 "          %d sessions replaced by a later login (conflict), %d more while "
                 "still logging in\n",
                 r.replaced, r.replaced_in_login);
  std::fprintf(out, "latency   ms               p50       p90       p99       max      mean     count\n");
  latency_row(out, "login", r.login.summarise());
  latency_row(out, " tcp", r.login_tcp.summarise());
  latency_row(out, " tls", r.login_tls.summarise());
  latency_row(out, " sasl", r.login_auth.summarise());
  latency_row(out, " bind", r.login_bind.summarise());
  latency_row(out, " session", r.login_session.summarise());
  latency_row(out, "register", r.registration.summarise());

  if (m.server_before && m.server_connected && m.server_after) {
    const int held = sessions_held(r);
    const double per_conn =
      held > 0
        ? static_cast<double>(m.server_connected->rss_kib - m.server_before->rss_kib) / held
        : 0;
    std::fprintf(out,
                 "server    RSS %.1f MiB before, %.1f MiB logged in (%.1f KiB per connection), "
                 "%.1f MiB at the end\n",
                 m.server_before->rss_kib / 1024.0, m.server_connected->rss_kib / 1024.0, per_conn,
                 m.server_after->rss_kib / 1024.0);
    const double login_cpu = m.server_connected->cpu_seconds - m.server_before->cpu_seconds;
    const double later_cpu = m.server_after->cpu_seconds - m.server_connected->cpu_seconds;
    std::fprintf(out, "          CPU %.2f s for the logins (%.2f ms per login), %.2f s after",
                 login_cpu, r.ready > 0 ? login_cpu * 1e3 / r.ready : 0.0, later_cpu);
    const auto answered = r.replies + r.errors;
    if (o.scenario != scenario_kind::connect && answered > 0)
      std::fprintf(out, " (%.1f us per round trip)", later_cpu * 1e6 / static_cast<double>(answered));
    std::fprintf(out, "\n");
  }
  const double client_login = m.client_cpu_connected - m.client_cpu_before;
  std::fprintf(out, "client    CPU %.2f s for the logins (%.2f ms per login), %.2f s after\n",
               client_login, r.ready > 0 ? client_login * 1e3 / r.ready : 0.0,
               m.client_cpu_after - m.client_cpu_connected);

  if (o.scenario != scenario_kind::connect) {
    std::fprintf(out,
                 "traffic   %.1f s measured (%.1f s warm-up excluded): %llu round trips, %.1f/s\n",
                 m.window_seconds, o.warmup, static_cast<unsigned long long>(r.measured),
                 m.window_seconds > 0 ? static_cast<double>(r.measured) / m.window_seconds : 0.0);
    std::fprintf(out, "          sent %llu, replies %llu, errors %llu, lost %llu, timeouts %llu",
                 static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.replies),
                 static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(lost(r)),
                 static_cast<unsigned long long>(r.timeouts));
    if (o.scenario == scenario_kind::echo)
      std::fprintf(out, ", upload acks %llu", static_cast<unsigned long long>(r.acks));
    std::fprintf(out, "\n");
    std::fprintf(out, "latency   ms               p50       p90       p99       max      mean     count\n");
    latency_row(out, "round trip", r.round_trip.summarise());
    if (!r.error_conditions.empty())
      std::fprintf(out, "errors    %s\n", counts_text(r.error_conditions).c_str());
  }
  if (o.scenario == scenario_kind::connect && m.hold_seconds > 0) {
    std::fprintf(out, "idle      %d sessions held %.1f s (%.1f s settling excluded): client %.2f %% of a core",
                 sessions_held(r), m.hold_seconds, std::min(o.warmup, o.duration),
                 (m.client_cpu_after - m.client_cpu_hold_start) * 100 / m.hold_seconds);
    if (m.server_hold_start && m.server_after)
      std::fprintf(out, ", server %.2f %% of a core",
                   (m.server_after->cpu_seconds - m.server_hold_start->cpu_seconds) * 100
                     / m.hold_seconds);
    std::fprintf(out, "\n");
  }
  for (const auto& w : m.warnings)
    std::fprintf(out, "WARNING   %s\n", w.c_str());
  if (!r.login_failures.empty())
    std::fprintf(out, "failures  %s\n", counts_text(r.login_failures).c_str());
  if (!r.dropped.empty())
    std::fprintf(out, "dropped   %s\n", counts_text(r.dropped).c_str());
}

} // namespace

void print_report(std::FILE* out, const bench_options& options, const run_outcome& outcome) {
  if (options.json)
    print_json(out, options, outcome);
  else
    print_text(out, options, outcome);
}

} // namespace irsp::bench
