// ISO/IEC 14543-5-8 binding attempts: a bounded, expiring failure table (the
// same rule as the SASL failure limits in node/xmpp/auth_throttle.cpp).
#include "actors/account/bind_attempts.hpp"

#include "actors/window_counts.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

namespace irsp::account {

bind_attempts::bind_attempts(bind_attempt_limits limits) : limits_(limits) {
}

bool bind_attempts::allowed(const std::string& key, clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = counts_.find(key);
  if (i == counts_.end())
    return true;
  if (now - i->second.start >= limits_.window) {
    counts_.erase(i);
    return true;
  }
  return i->second.failures < limits_.max_failures;
}

void bind_attempts::failed(const std::string& key, clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = counts_.find(key);
  if (i != counts_.end() && now - i->second.start >= limits_.window)
    i->second = window_count{now, 0};
  if (i == counts_.end()) {
    if (counts_.size() >= limits_.max_entries)
      make_room(counts_, now, limits_.window, limits_.max_entries);
    i = counts_.emplace(key, window_count{now, 0}).first;
  }
  ++i->second.failures;
}

std::size_t bind_attempts::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return counts_.size();
}

} // namespace irsp::account
