// IRSP §8.8.3 replay protection (see nonce_window.hpp).
#include "node/http/nonce_window.hpp"

namespace irsp::http {

nonce_window::outcome nonce_window::remember(std::string_view key_id, std::string_view nonce,
                                             std::int64_t timestamp, std::int64_t now) {
  // Key ids never contain '\n' (they are hex), so the pair is unambiguous.
  std::string entry{key_id};
  entry += '\n';
  entry += nonce;
  std::unique_lock<std::mutex> guard{mutex_};
  auto expired = expire(now);
  auto answer = outcome::fresh;
  if (seen_.count(entry) > 0)
    answer = outcome::replayed;
  else if (seen_.size() >= max_entries_)
    answer = outcome::full;
  else {
    seen_.insert(entry);
    by_expiry_.emplace(timestamp + window_, entry);
  }
  auto persist = persist_;
  guard.unlock();
  if (persist.drop && !expired.empty())
    persist.drop(expired);
  if (persist.keep && answer == outcome::fresh)
    persist.keep(entry, timestamp + window_);
  return answer;
}

void nonce_window::persist_to(persistence p) {
  std::lock_guard<std::mutex> guard{mutex_};
  persist_ = std::move(p);
}

void nonce_window::restore(const std::string& entry, std::int64_t expires, std::int64_t now) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (expires < now || !seen_.insert(entry).second)
    return;
  by_expiry_.emplace(expires, entry);
}

std::size_t nonce_window::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return seen_.size();
}

std::vector<std::string> nonce_window::expire(std::int64_t now) {
  // Kept through the last second its timestamp is still accepted in.
  std::vector<std::string> gone;
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
    seen_.erase(by_expiry_.begin()->second);
    gone.push_back(std::move(by_expiry_.begin()->second));
    by_expiry_.erase(by_expiry_.begin());
  }
  return gone;
}

} // namespace irsp::http
