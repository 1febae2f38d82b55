// Issue 17 part 3: what the client front end counts for /metrics.
#include "node/xmpp/c2s_metrics.hpp"

namespace irsp::xmpp {

std::shared_ptr<const c2s_metrics> c2s_metrics::make(metrics::registry& r) {
  auto routing = [&r](const char* exchange) -> metrics::histogram& {
    return r.add_histogram("irsp_routing_latency_seconds",
                           "Time from a client connection handing an exchange to the message "
                           "server until its answer comes back, by exchange.",
                           metrics::histogram::latency_bounds(), {{"exchange", exchange}});
  };
  return std::make_shared<const c2s_metrics>(c2s_metrics{
    r.add_counter("irsp_logins_total", "Successful client authentications (SASL)."),
    r.add_counter("irsp_login_failures_total", "Failed client authentication attempts (SASL)."),
    r.add_counter("irsp_stanzas_in_total", "Stanzas received from bound client sessions."),
    r.add_counter("irsp_stanzas_out_total",
                  "Stanzas sent to clients (XEP-0198 resends not counted)."),
    routing("upload"), routing("direct")});
}

} // namespace irsp::xmpp
