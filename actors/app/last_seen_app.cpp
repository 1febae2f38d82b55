// Built-in application `last-seen` (IRSP §8.3.2).
#include "actors/app/last_seen_app.hpp"

#include <nlohmann/json.hpp>

namespace irsp::app {

void last_seen_app::on_device_status(app_context&, const device_status& s) {
  auto i = seen_.find(s.device);
  if (i != seen_.end()
      && std::tie(i->second.epoch, i->second.sequence) >= std::tie(s.epoch, s.sequence))
    return;
  seen_[s.device] = s;
}

std::string last_seen_app::describe(const std::string& device) const {
  nlohmann::json j{{"device", device}};
  auto i = seen_.find(device);
  j["seen"] = i != seen_.end();
  if (i != seen_.end()) {
    j["online"] = i->second.online;
    j["at_ms"] = i->second.at_ms;
    j["epoch"] = i->second.epoch;
    j["sequence"] = i->second.sequence;
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
