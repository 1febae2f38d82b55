// Room in a bounded map of per-key counting windows (the throttles' shared eviction).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <vector>

namespace irsp {

/// Makes room in `counts`, a map whose values have a `start` time point:
/// drops the windows that ended, and if it still holds `max_entries` or
/// more, the older half. Forgetting a count only lets its key act again
/// sooner (guess, register); it never refuses anyone, so the map stays
/// bounded without any key being locked out by others filling it.
template <class Map, class TimePoint, class Duration>
void make_room(Map& counts, TimePoint now, Duration window, std::size_t max_entries) {
  for (auto i = counts.begin(); i != counts.end();)
    i = now - i->second.start >= window ? counts.erase(i) : std::next(i);
  if (counts.size() < max_entries)
    return;
  std::vector<TimePoint> starts;
  starts.reserve(counts.size());
  for (const auto& entry : counts)
    starts.push_back(entry.second.start);
  auto middle = starts.begin() + static_cast<std::ptrdiff_t>(starts.size() / 2);
  std::nth_element(starts.begin(), middle, starts.end());
  auto cutoff = *middle;
  for (auto i = counts.begin(); i != counts.end();)
    i = i->second.start <= cutoff ? counts.erase(i) : std::next(i);
}

} // namespace irsp
