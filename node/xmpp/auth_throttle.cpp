// RFC 6120 §6.4.5, §13.8: bounding password guessing per remote address, and per
// account from each address.
#include "node/xmpp/auth_throttle.hpp"

#include "actors/window_counts.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace irsp::xmpp {

namespace {

std::string address_key(std::string_view address) {
  return "a:" + auth_throttle::address_bucket(address);
}

std::string account_key(std::string_view account) {
  return "u:" + std::string{account};
}

std::string pair_key(std::string_view account, std::string_view address) {
  std::string key = "p:" + std::string{account};
  key += '\0';
  key += auth_throttle::address_bucket(address);
  return key;
}

} // namespace

std::string auth_throttle::address_bucket(std::string_view address) {
  if (address.find(':') == std::string_view::npos)
    return std::string{address};
  std::string text{address};
  in6_addr a{};
  if (::inet_pton(AF_INET6, text.c_str(), &a) != 1)
    return text;
  char out[INET6_ADDRSTRLEN] = {};
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    // A dual-stack listener's IPv4 client is the IPv4 address.
    ::inet_ntop(AF_INET, a.s6_addr + 12, out, sizeof out);
    return out;
  }
  // One subscriber gets a /64 (RFC 6177); counting its 2^64 addresses one by
  // one would give an attacker unlimited tries.
  std::memset(a.s6_addr + 8, 0, 8);
  ::inet_ntop(AF_INET6, &a, out, sizeof out);
  return std::string{out} + "/64";
}

auth_throttle::auth_throttle(throttle_limits limits) : limits_(limits) {
}

std::uint32_t auth_throttle::live(const std::string& key, clock::time_point now) {
  auto i = counts_.find(key);
  if (i == counts_.end())
    return 0;
  if (now - i->second.start >= limits_.window) {
    counts_.erase(i);
    return 0;
  }
  return i->second.failures;
}

bool auth_throttle::address_allowed(std::string_view address, clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  return live(address_key(address), now) < limits_.per_address;
}

bool auth_throttle::account_allowed(std::string_view account, std::string_view address,
                                    clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto mine = live(pair_key(account, address), now);
  if (mine == 0)
    return true; // whatever others do, an address that has not failed may try
  if (mine >= limits_.per_account_and_address)
    return false;
  return live(account_key(account), now) < limits_.per_account_spread;
}

void auth_throttle::count(std::string key, clock::time_point now) {
  auto i = counts_.find(key);
  if (i != counts_.end() && now - i->second.start >= limits_.window)
    i->second = window_count{now, 0};
  if (i == counts_.end()) {
    if (counts_.size() >= limits_.max_entries)
      make_room(counts_, now, limits_.window, limits_.max_entries);
    i = counts_.emplace(std::move(key), window_count{now, 0}).first;
  }
  ++i->second.failures;
}

void auth_throttle::count_failure(std::string_view address, std::string_view account,
                                  clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  count(address_key(address), now);
  if (!account.empty()) {
    count(account_key(account), now);
    count(pair_key(account, address), now);
  }
}

void auth_throttle::failed(std::string_view address, std::string_view account,
                           clock::time_point now) {
  count_failure(address, account, now);
  if (share_)
    share_(true, address, account);
}

void auth_throttle::succeeded(std::string_view account, std::string_view address) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    counts_.erase(pair_key(account, address));
  }
  if (share_)
    share_(false, address, account);
}

void auth_throttle::share_with(
  std::function<void(bool failed, std::string_view address, std::string_view account)> share) {
  share_ = std::move(share);
}

void auth_throttle::heard(bool failed, std::string_view address, std::string_view account,
                          clock::time_point now) {
  if (failed) {
    count_failure(address, account, now);
    return;
  }
  std::lock_guard<std::mutex> guard{mutex_};
  counts_.erase(pair_key(account, address));
}

std::size_t auth_throttle::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return counts_.size();
}

} // namespace irsp::xmpp
