// XEP-0077 §14: bounding in-band registrations per remote address.
#include "node/xmpp/registration_limit.hpp"

#include <algorithm>
#include <vector>

#include "node/xmpp/auth_throttle.hpp"
#include "actors/window_counts.hpp"

namespace irsp::xmpp {

registration_limit::registration_limit(registration_limits limits)
  : limits_(std::move(limits)) {
}

bool registration_limit::limited(std::string_view address) const {
  // A dual-stack listener reports an IPv4 client as ::ffff:a.b.c.d, whose
  // bucket is a.b.c.d.
  return limits_.per_address != 0 && limits_.exempt.count(address) == 0
         && limits_.exempt.count(auth_throttle::address_bucket(address)) == 0;
}

bool registration_limit::reserve(std::string_view address, clock::time_point now) {
  if (!limited(address))
    return true;
  auto key = auth_throttle::address_bucket(address);
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = counts_.find(key);
  if (i != counts_.end() && now - i->second.start >= limits_.window)
    i->second = window_count{now, 0};
  if (i == counts_.end()) {
    if (counts_.size() >= limits_.max_entries)
      make_room(counts_, now, limits_.window, limits_.max_entries);
    i = counts_.emplace(std::move(key), window_count{now, 0}).first;
  }
  if (i->second.used >= limits_.per_address)
    return false;
  ++i->second.used;
  return true;
}

void registration_limit::release(std::string_view address) {
  if (!limited(address))
    return;
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = counts_.find(auth_throttle::address_bucket(address));
  if (i != counts_.end() && i->second.used > 0)
    --i->second.used;
}

std::size_t registration_limit::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return counts_.size();
}

} // namespace irsp::xmpp
