#include "bench/irsp_bench/latency_samples.hpp"

#include <algorithm>
#include <cmath>

namespace irsp::bench {

void latency_samples::merge(const latency_samples& other) {
  ns_.insert(ns_.end(), other.ns_.begin(), other.ns_.end());
}

latency_summary latency_samples::summarise() const {
  latency_summary s;
  if (ns_.empty())
    return s;
  std::vector<std::int64_t> sorted = ns_;
  std::sort(sorted.begin(), sorted.end());
  auto rank = [&](double q) {
    // Nearest rank: the smallest sample with at least q of them at or below it.
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[std::clamp<std::size_t>(i, 1, sorted.size()) - 1]) / 1e3;
  };
  double sum = 0;
  for (auto v : sorted)
    sum += static_cast<double>(v);
  s.count = sorted.size();
  s.mean_us = sum / static_cast<double>(sorted.size()) / 1e3;
  s.min_us = static_cast<double>(sorted.front()) / 1e3;
  s.p50_us = rank(0.50);
  s.p90_us = rank(0.90);
  s.p99_us = rank(0.99);
  s.max_us = static_cast<double>(sorted.back()) / 1e3;
  return s;
}

} // namespace irsp::bench
