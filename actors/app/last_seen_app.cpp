// Built-in application `last-seen` (IRSP §8.3.2).
#include "actors/app/last_seen_app.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <tuple>

namespace irsp::app {

last_seen_app::last_seen_app(std::size_t max_devices)
  : max_devices_(std::max<std::size_t>(1, max_devices)) {
  using namespace std::chrono;
  known_since_ms_ = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void last_seen_app::on_device_status(app_context&, const device_status& s) {
  auto i = seen_.find(s.device);
  if (i != seen_.end()) {
    auto& known = *i->second;
    if (std::tie(known.epoch, known.sequence) >= std::tie(s.epoch, s.sequence))
      return;
    order_.erase(i->second);
    seen_.erase(i);
  } else if (seen_.size() >= max_devices_) {
    // Forget the device heard from longest ago; from now on nothing is known
    // to have happened to it (or any forgotten one) since that time.
    auto& oldest = order_.front();
    known_since_ms_ = std::max(known_since_ms_, oldest.at_ms);
    seen_.erase(oldest.device);
    order_.pop_front();
  }
  order_.push_back(s);
  seen_.emplace(s.device, std::prev(order_.end()));
}

std::string last_seen_app::describe(const std::string& device) const {
  nlohmann::json j{{"device", device}};
  auto i = seen_.find(device);
  j["seen"] = i != seen_.end();
  if (i != seen_.end()) {
    const auto& s = *i->second;
    j["online"] = s.online;
    j["at_ms"] = s.at_ms;
    j["epoch"] = s.epoch;
    j["sequence"] = s.sequence;
  } else {
    j["known_since_ms"] = known_since_ms_;
  }
  return j.dump();
}

app_reply last_seen_app::on_upload(app_context&, const upload& u) {
  return app_reply::accept(describe(u.payload));
}

app_reply last_seen_app::on_app_message(app_context&, const app_message& m) {
  return app_reply::accept(describe(m.payload));
}

} // namespace irsp::app
