// Prometheus exposition format 0.0.4 (text): the node's metrics, by name.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "node/metrics/counter.hpp"
#include "node/metrics/gauge.hpp"
#include "node/metrics/histogram.hpp"

namespace irsp::metrics {

/// Label pairs of one series, e.g. {{"state", "alive"}}.
using labels = std::vector<std::pair<std::string, std::string>>;

/// One value read at scrape time.
struct sample {
  metrics::labels labels;
  double value = 0;
};

/// The metrics of a node. Code that counts registers its counters, gauges
/// and histograms once (at start) and then updates them lock-free; a level
/// something else already keeps (a queue's depth, RocksDB's properties) is
/// registered as a callback, read only when scraped. Registration and
/// rendering take a lock; updates never do. Metrics live as long as the
/// registry, so references returned stay valid.
///
/// Adding a metric is one call where its source is made, e.g. an outbox:
/// `registry.add_gauge_callback("irsp_outbox_depth", "Messages ...", [&] {
/// return std::vector<sample>{{{}, double(outbox.depth())}}; });`
class registry {
public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// A counter `name` with `series_labels`; the same name again (with other
  /// labels) adds a series to the family. Throws std::invalid_argument for a
  /// bad name or label, a series already there, or a name of another type.
  counter& add_counter(const std::string& name, const std::string& help,
                       const labels& series_labels = {});

  /// A gauge, as add_counter.
  gauge& add_gauge(const std::string& name, const std::string& help,
                   const labels& series_labels = {});

  /// A histogram with upper bounds in seconds, as add_counter.
  histogram& add_histogram(const std::string& name, const std::string& help,
                           std::vector<double> bounds_seconds, const labels& series_labels = {});

  /// A gauge family whose series `read` returns at each scrape (from the
  /// scraping thread; it must be thread-safe and should be quick).
  void add_gauge_callback(const std::string& name, const std::string& help,
                          std::function<std::vector<sample>()> read);

  /// A counter family read at each scrape, as add_gauge_callback.
  void add_counter_callback(const std::string& name, const std::string& help,
                            std::function<std::vector<sample>()> read);

  /// Every family in registration order, in the text format, HELP and TYPE
  /// lines first.
  std::string render() const;

private:
  struct family;
  family& family_for(const std::string& name, const std::string& help, int type);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<family>> families_;
};

} // namespace irsp::metrics
