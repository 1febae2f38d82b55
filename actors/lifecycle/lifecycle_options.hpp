// Issue 15: how much of the lifecycle stream a node keeps.
#pragma once

#include <cstdint>

namespace irsp::lifecycle {

/// The oldest transitions go once either bound is passed (a subscriber
/// behind them resumes at the oldest kept).
struct lifecycle_options {
  std::uint64_t max_events = 1'000'000;
  std::int64_t max_age_ms = 7LL * 24 * 3600 * 1000;
};

} // namespace irsp::lifecycle
