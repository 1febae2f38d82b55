// The application API (IRSP §7.3 application server): how a hosting platform
// plugs its own application into a node as a C++ handler, without CAF.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace irsp {

/// §8.3.1 a user or device uploaded `payload` to this application.
struct upload {
  std::string from;     ///< the account's address, name@domain
  std::string payload;
};

/// An application's answer to an upload or an application message.
struct app_reply {
  enum class verdict { accepted, rejected, busy };
  verdict outcome = verdict::accepted;
  std::string reply;    ///< optional payload returned to the sender with the status

  static app_reply accept(std::string reply = {}) { return {verdict::accepted, std::move(reply)}; }
  static app_reply reject(std::string why = {}) { return {verdict::rejected, std::move(why)}; }
  static app_reply busy() { return {verdict::busy, {}}; }
};

/// §8.3.2 a device came online or went offline. For one device, (epoch,
/// sequence) grows strictly: compare them to order transitions.
struct device_status {
  std::string device;
  bool online = false;
  std::uint64_t epoch = 0;
  std::uint64_t sequence = 0;
  std::int64_t at_ms = 0;   ///< wall-clock time of the transition
};

/// §8.4 another application of this AS sent `payload`.
struct app_message {
  std::string from;     ///< the sending application's name
  std::string payload;
};

/// The outcome of a push or application message, by status name (see
/// docs/protocol.md: `delivered`, `queued`, `no-such-account`, ...).
struct send_result {
  bool ok = false;
  std::string status;
  std::uint32_t sessions = 0;  ///< pushes: live sessions reached
  std::string reply;           ///< application messages: the receiver's reply
};

/// Which device transitions an application receives.
struct app_subscription {
  bool all_devices = false;
  std::vector<std::string> devices;
};

/// What an application can do. Valid only during the callback it is passed to.
class app_context {
public:
  virtual ~app_context() = default;
  /// This application's name.
  virtual const std::string& name() const = 0;
  /// §8.3.3 pushes to a user or device; `done` runs later, on this
  /// application's own thread of control, with the push's status.
  virtual void push(const std::string& to, std::string payload,
                    std::function<void(const send_result&)> done = {}) = 0;
  /// §8.4 sends to another application of this AS.
  virtual void send_to_app(const std::string& app, std::string payload,
                           std::function<void(const send_result&)> done = {}) = 0;
};

/// An application. A node calls its handlers one at a time, never
/// concurrently, so an application needs no locks of its own. A handler
/// that throws makes the sender see `application-failure`.
class application {
public:
  virtual ~application() = default;
  /// §8.3.1
  virtual app_reply on_upload(app_context& ctx, const upload& u) = 0;
  /// §8.3.2, for subscribed devices.
  virtual void on_device_status(app_context& ctx, const device_status& s) {}
  /// §8.4; rejects by default.
  virtual app_reply on_app_message(app_context& ctx, const app_message& m) {
    return app_reply::reject();
  }
};

} // namespace irsp
