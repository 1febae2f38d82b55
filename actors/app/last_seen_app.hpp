// Built-in application `last-seen`: records every device's online/offline
// transitions (§8.3.2) and answers when a device was last seen.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "irsp/application.hpp"

namespace irsp::app {

/// Upload (or send as an application message) a device's address; the reply
/// is JSON: {"device":"tv1@localhost","seen":true,"online":false,"at_ms":...,
/// "epoch":...,"sequence":...}, or {"device":...,"seen":false}. Transitions
/// that arrive older than the one recorded (by epoch, sequence) are ignored.
class last_seen_app : public application {
public:
  app_reply on_upload(app_context& ctx, const upload& u) override;
  void on_device_status(app_context& ctx, const device_status& s) override;
  app_reply on_app_message(app_context& ctx, const app_message& m) override;

  /// The reply for `device`, as described above.
  std::string describe(const std::string& device) const;

private:
  std::unordered_map<std::string, device_status> seen_;
};

} // namespace irsp::app
