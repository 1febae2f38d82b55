// Prometheus exposition format 0.0.4 (text): the node's metrics, by name.
#include "node/metrics/registry.hpp"

#include <stdexcept>
#include <variant>

#include "node/metrics/text_format.hpp"

namespace irsp::metrics {

namespace {

enum family_type { counter_type, gauge_type, histogram_type };

const char* type_name(int t) {
  switch (t) {
    case counter_type:
      return "counter";
    case gauge_type:
      return "gauge";
    default:
      return "histogram";
  }
}

// `{a="x",b="y"}`, with `extra` (a histogram's le) last; empty: nothing.
std::string label_text(const labels& ls, const std::pair<std::string, std::string>* extra = nullptr) {
  if (ls.empty() && !extra)
    return {};
  std::string out = "{";
  auto one = [&out](const std::string& k, const std::string& v) {
    if (out.size() > 1)
      out += ',';
    out += k + "=\"" + escape_label_value(v) + "\"";
  };
  for (const auto& [k, v] : ls)
    one(k, v);
  if (extra)
    one(extra->first, extra->second);
  return out + "}";
}

void check_labels(const labels& ls) {
  for (std::size_t i = 0; i < ls.size(); ++i) {
    if (!valid_label_name(ls[i].first) || ls[i].first == "le")
      throw std::invalid_argument("metrics: bad label name '" + ls[i].first + "'");
    for (std::size_t j = 0; j < i; ++j)
      if (ls[j].first == ls[i].first)
        throw std::invalid_argument("metrics: label '" + ls[i].first + "' twice");
  }
}

} // namespace

struct registry::family {
  std::string name;
  std::string help;
  int type = counter_type;
  using metric = std::variant<std::unique_ptr<counter>, std::unique_ptr<gauge>,
                              std::unique_ptr<histogram>>;
  std::vector<std::pair<labels, metric>> series;
  std::function<std::vector<sample>()> read; // a callback family has no series

  void add_series(const labels& ls, metric m) {
    if (read)
      throw std::invalid_argument("metrics: " + name + " is read by a callback");
    check_labels(ls);
    for (const auto& s : series)
      if (s.first == ls)
        throw std::invalid_argument("metrics: " + name + label_text(ls) + " exists");
    series.emplace_back(ls, std::move(m));
  }

  void render(std::string& out) const {
    out += "# HELP " + name + " " + escape_help(help) + "\n";
    out += "# TYPE " + name + " " + type_name(type) + "\n";
    if (read) {
      for (const auto& s : read())
        out += name + label_text(s.labels) + " " + format_number(s.value) + "\n";
      return;
    }
    for (const auto& [ls, m] : series) {
      if (auto* c = std::get_if<std::unique_ptr<counter>>(&m)) {
        out += name + label_text(ls) + " " + std::to_string((*c)->value()) + "\n";
      } else if (auto* g = std::get_if<std::unique_ptr<gauge>>(&m)) {
        out += name + label_text(ls) + " " + std::to_string((*g)->value()) + "\n";
      } else {
        auto snap = std::get<std::unique_ptr<histogram>>(m)->read();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < snap.counts.size(); ++i) {
          cumulative += snap.counts[i];
          std::pair<std::string, std::string> le{
            "le", i < snap.bounds.size() ? format_number(snap.bounds[i]) : "+Inf"};
          out += name + "_bucket" + label_text(ls, &le) + " " + std::to_string(cumulative) + "\n";
        }
        out += name + "_sum" + label_text(ls) + " " + format_number(snap.sum_seconds) + "\n";
        out += name + "_count" + label_text(ls) + " " + std::to_string(cumulative) + "\n";
      }
    }
  }
};

registry::registry() = default;
registry::~registry() = default;

registry::family& registry::family_for(const std::string& name, const std::string& help,
                                       int type) {
  if (!valid_metric_name(name))
    throw std::invalid_argument("metrics: bad metric name '" + name + "'");
  for (auto& f : families_)
    if (f->name == name) {
      if (f->type != type)
        throw std::invalid_argument("metrics: " + name + " is a " + type_name(f->type));
      return *f;
    }
  auto f = std::make_unique<family>();
  f->name = name;
  f->help = help;
  f->type = type;
  families_.push_back(std::move(f));
  return *families_.back();
}

counter& registry::add_counter(const std::string& name, const std::string& help,
                               const labels& series_labels) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto c = std::make_unique<counter>();
  auto& out = *c;
  family_for(name, help, counter_type).add_series(series_labels, std::move(c));
  return out;
}

gauge& registry::add_gauge(const std::string& name, const std::string& help,
                           const labels& series_labels) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto g = std::make_unique<gauge>();
  auto& out = *g;
  family_for(name, help, gauge_type).add_series(series_labels, std::move(g));
  return out;
}

histogram& registry::add_histogram(const std::string& name, const std::string& help,
                                   std::vector<double> bounds_seconds,
                                   const labels& series_labels) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto h = std::make_unique<histogram>(std::move(bounds_seconds));
  auto& out = *h;
  family_for(name, help, histogram_type).add_series(series_labels, std::move(h));
  return out;
}

void registry::add_gauge_callback(const std::string& name, const std::string& help,
                                  std::function<std::vector<sample>()> read) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& f = family_for(name, help, gauge_type);
  if (f.read || !f.series.empty())
    throw std::invalid_argument("metrics: " + name + " exists");
  f.read = std::move(read);
}

void registry::add_counter_callback(const std::string& name, const std::string& help,
                                    std::function<std::vector<sample>()> read) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& f = family_for(name, help, counter_type);
  if (f.read || !f.series.empty())
    throw std::invalid_argument("metrics: " + name + " exists");
  f.read = std::move(read);
}

std::string registry::render() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::string out;
  for (const auto& f : families_)
    f->render(out);
  return out;
}

} // namespace irsp::metrics
