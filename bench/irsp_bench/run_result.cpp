#include "bench/irsp_bench/run_result.hpp"

#include <algorithm>

namespace irsp::bench {

namespace {

void add_counts(std::map<std::string, int>& into, const std::map<std::string, int>& from) {
  for (const auto& [key, count] : from)
    into[key] += count;
}

} // namespace

void run_result::merge(const run_result& other) {
  attempted += other.attempted;
  ready += other.ready;
  replaced += other.replaced;
  replaced_in_login += other.replaced_in_login;
  add_counts(login_failures, other.login_failures);
  add_counts(dropped, other.dropped);
  add_counts(mechanisms, other.mechanisms);
  add_counts(tls_versions, other.tls_versions);
  login.merge(other.login);
  login_tcp.merge(other.login_tcp);
  login_tls.merge(other.login_tls);
  login_auth.merge(other.login_auth);
  login_bind.merge(other.login_bind);
  login_session.merge(other.login_session);
  registration.merge(other.registration);
  if (other.first_start_ns != 0)
    first_start_ns = first_start_ns == 0 ? other.first_start_ns
                                         : std::min(first_start_ns, other.first_start_ns);
  last_ready_ns = std::max(last_ready_ns, other.last_ready_ns);
  if (other.first_ready_ns != 0)
    first_ready_ns = first_ready_ns == 0 ? other.first_ready_ns
                                         : std::min(first_ready_ns, other.first_ready_ns);
  key_cache_hits += other.key_cache_hits;
  key_cache_misses += other.key_cache_misses;
  sent += other.sent;
  replies += other.replies;
  errors += other.errors;
  add_counts(error_conditions, other.error_conditions);
  acks += other.acks;
  timeouts += other.timeouts;
  measured += other.measured;
  round_trip.merge(other.round_trip);
}

} // namespace irsp::bench
