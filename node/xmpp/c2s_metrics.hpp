// Issue 17 part 3: what the client front end counts for /metrics.
#pragma once

#include <memory>

#include "node/metrics/registry.hpp"
#include "node/xmpp/c2s_stream.hpp"

namespace irsp::xmpp {

/// The client front end's counters, registered once per node; every stream
/// counts into them with relaxed atomic adds.
struct c2s_metrics {
  metrics::counter& logins;          ///< SASL successes
  metrics::counter& login_failures;  ///< SASL attempts that failed
  metrics::counter& stanzas_in;      ///< stanzas from bound clients
  metrics::counter& stanzas_out;     ///< stanzas to clients (resends not counted)
  /// From a connection handing an upload (§8.3.1) or a message (§8.5,
  /// user <-> device) to the actors until their answer (the status the
  /// client is sent) comes back to it.
  metrics::histogram& upload_seconds;
  metrics::histogram& direct_seconds;

  /// Registers the metrics above in `r` (names `irsp_logins_total`, ...;
  /// docs/operations.md).
  static std::shared_ptr<const c2s_metrics> make(metrics::registry& r);
};

/// Counts a stream's logins and stanzas: a feature module hooked into the
/// stream, which does not name it.
class c2s_metrics_module : public c2s_module {
public:
  explicit c2s_metrics_module(std::shared_ptr<const c2s_metrics> m) : m_(std::move(m)) {
  }

  void on_stanza_in(c2s_stream&) override {
    m_->stanzas_in.add();
  }

  void on_stanza_out(c2s_stream&, const element&, const std::string&) override {
    m_->stanzas_out.add();
  }

  void on_authenticated(c2s_stream&) override {
    m_->logins.add();
  }

  void on_auth_failed(c2s_stream&) override {
    m_->login_failures.add();
  }

private:
  std::shared_ptr<const c2s_metrics> m_;
};

} // namespace irsp::xmpp
