// IRSP §8.8.3 replay protection (see nonce_window.hpp).
#include "node/http/nonce_window.hpp"

namespace irsp::http {

nonce_window::outcome nonce_window::remember(std::string_view key_id, std::string_view nonce,
                                             std::int64_t timestamp, std::int64_t now) {
  // Key ids never contain '\n' (they are hex), so the pair is unambiguous.
  std::string entry{key_id};
  entry += '\n';
  entry += nonce;
  std::lock_guard<std::mutex> guard{mutex_};
  expire(now);
  if (seen_.count(entry) > 0)
    return outcome::replayed;
  if (seen_.size() >= max_entries_)
    return outcome::full;
  seen_.insert(entry);
  by_expiry_.emplace(timestamp + window_, std::move(entry));
  return outcome::fresh;
}

std::size_t nonce_window::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return seen_.size();
}

void nonce_window::expire(std::int64_t now) {
  // Kept through the last second its timestamp is still accepted in.
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

} // namespace irsp::http
