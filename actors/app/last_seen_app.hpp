// Built-in application `last-seen`: records devices' online/offline
// transitions (§8.3.2) and answers when a device was last seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "irsp/application.hpp"

namespace irsp::app {

/// Upload (or send as an application message) a device's address; the reply
/// is JSON: {"device":"tv1@localhost","seen":true,"online":false,"at_ms":...,
/// "epoch":...,"sequence":...}, or {"device":...,"seen":false,
/// "known_since_ms":T}: no transition of that device is known since T (the
/// node's start, or later once the table has been full). Transitions that
/// arrive older than the one recorded (by epoch, sequence) are ignored.
///
/// It keeps only memory, and at most `max_devices` devices: when full, the
/// device whose latest transition is the oldest is forgotten, and T moves up
/// to that transition's time, so a forgotten device is never described
/// wrongly — only as not known since T.
class last_seen_app : public application {
public:
  /// Devices remembered by default (about 150 bytes each).
  static constexpr std::size_t default_max_devices = 100000;

  explicit last_seen_app(std::size_t max_devices = default_max_devices);

  app_reply on_upload(app_context& ctx, const upload& u) override;
  void on_device_status(app_context& ctx, const device_status& s) override;
  app_reply on_app_message(app_context& ctx, const app_message& m) override;

  /// The reply for `device`, as described above.
  std::string describe(const std::string& device) const;

  /// Devices currently remembered.
  std::size_t size() const { return seen_.size(); }

private:
  // Oldest latest-transition first; the map points into it.
  std::list<device_status> order_;
  std::unordered_map<std::string, std::list<device_status>::iterator> seen_;
  std::size_t max_devices_;
  std::int64_t known_since_ms_;
};

} // namespace irsp::app
