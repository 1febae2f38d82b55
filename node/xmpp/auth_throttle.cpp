// RFC 6120 §6.4.5: bounding password guessing per remote address and per account.
#include "node/xmpp/auth_throttle.hpp"

#include <algorithm>
#include <vector>

namespace irsp::xmpp {

namespace {

std::string address_key(std::string_view address) {
  return "a:" + std::string{address};
}

std::string account_key(std::string_view account) {
  return "u:" + std::string{account};
}

} // namespace

auth_throttle::auth_throttle(throttle_limits limits) : limits_(limits) {
}

bool auth_throttle::allowed(const std::string& key, std::uint32_t limit,
                            clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = counts_.find(key);
  if (i == counts_.end())
    return true;
  if (now - i->second.start >= limits_.window) {
    counts_.erase(i);
    return true;
  }
  return i->second.failures < limit;
}

bool auth_throttle::address_allowed(std::string_view address, clock::time_point now) {
  return allowed(address_key(address), limits_.per_address, now);
}

bool auth_throttle::account_allowed(std::string_view account, clock::time_point now) {
  return allowed(account_key(account), limits_.per_account, now);
}

void auth_throttle::count(std::string key, clock::time_point now) {
  auto i = counts_.find(key);
  if (i != counts_.end() && now - i->second.start >= limits_.window)
    i->second = window_count{now, 0};
  if (i == counts_.end()) {
    if (counts_.size() >= limits_.max_entries)
      make_room(now);
    i = counts_.emplace(std::move(key), window_count{now, 0}).first;
  }
  ++i->second.failures;
}

void auth_throttle::failed(std::string_view address, std::string_view account,
                           clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  count(address_key(address), now);
  if (!account.empty())
    count(account_key(account), now);
}

void auth_throttle::succeeded(std::string_view account) {
  std::lock_guard<std::mutex> guard{mutex_};
  counts_.erase(account_key(account));
}

void auth_throttle::make_room(clock::time_point now) {
  for (auto i = counts_.begin(); i != counts_.end();)
    i = now - i->second.start >= limits_.window ? counts_.erase(i) : std::next(i);
  if (counts_.size() < limits_.max_entries)
    return;
  // Still full of live windows: drop the older half. Forgetting a count only
  // ever lets an attacker try again sooner; it never locks anyone out.
  std::vector<clock::time_point> starts;
  starts.reserve(counts_.size());
  for (const auto& [key, c] : counts_)
    starts.push_back(c.start);
  auto middle = starts.begin() + static_cast<std::ptrdiff_t>(starts.size() / 2);
  std::nth_element(starts.begin(), middle, starts.end());
  auto cutoff = *middle;
  for (auto i = counts_.begin(); i != counts_.end();)
    i = i->second.start <= cutoff ? counts_.erase(i) : std::next(i);
}

std::size_t auth_throttle::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return counts_.size();
}

} // namespace irsp::xmpp
