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

/// Where a device stands (issue 15). Suspect: it has sessions but none has
/// answered lately; offline follows unless one comes back in time.
enum class device_state { offline, online, suspect };

/// §8.3.2 a device's state changed. For one device, (epoch, sequence) grows
/// strictly: compare them to order transitions (the epoch is a persisted
/// counter, never a clock, so a clock stepped back changes nothing).
struct device_status {
  std::string device;
  bool online = false;      ///< state != offline
  std::uint64_t epoch = 0;
  std::uint64_t sequence = 0;
  std::int64_t at_ms = 0;   ///< wall-clock time of the transition (informative)
  device_state state = device_state::offline;
  /// Its place in the AS's lifecycle stream (grows with every transition
  /// stored); 0 when it could not be stored (then it is heard live only).
  std::uint64_t cursor = 0;
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

/// §8.8.2 where a message sent with app_context::send_external stands.
struct external_delivery {
  /// queued (accepted, no attempt has ended yet), delivering (an attempt
  /// failed; retried after a backoff), delivered (the endpoint answered 2xx),
  /// dead-letter (given up: a 4xx other than 408/429, or max attempts spent),
  /// unknown (no message under this key), storage-failure, not-available.
  std::string state;
  std::string endpoint;
  std::uint32_t attempts = 0;  ///< HTTP attempts that have ended
  std::string last_error;      ///< "HTTP 503", "connection refused", ...
};

/// Which device transitions an application receives, and how.
struct app_subscription {
  bool all_devices = false;
  std::vector<std::string> devices;
  /// Durable (issue 15): transitions come from the lifecycle stream, each
  /// once it is stored, in cursor order, starting after `from_cursor` — or,
  /// when that is 0, after the last one this application acknowledged (it
  /// acknowledges a transition by returning from on_device_status). After a
  /// restart of the node or the application nothing is missed: what was
  /// delivered but not yet acknowledged (at most the last batch) comes again,
  /// with the same cursor, so an application that records the cursor with
  /// its own effects sees each transition once. Not durable: live only.
  bool durable = false;
  std::uint64_t from_cursor = 0;
};

/// What an application can do. Valid during the callback it is passed to,
/// and in the `done` callbacks of what it started there.
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
  /// §8.8.2 sends `payload` to the external endpoint registered as
  /// `endpoint` (`irsp-node endpoint add`), at least once, with HTTP header
  /// `Idempotency-Key: idempotency_key` (1-200 printable ASCII octets, no
  /// spaces; unique per application). `done` gets `queued` once the message
  /// is durably in the outbox, `duplicate` when this application used the
  /// key before (nothing new is stored), or an error: `no-such-endpoint`,
  /// `bad-key`, `payload-too-large`, `storage-failure`, `not-available`.
  /// Messages to one endpoint of concurrency 1 arrive in the order accepted.
  virtual void send_external(const std::string& endpoint, std::string payload,
                             const std::string& idempotency_key,
                             std::function<void(const send_result&)> done = {}) {
    if (done)
      done({false, "not-available", 0, {}});
  }
  /// §8.8.2 where this application's message under `idempotency_key` stands.
  virtual void external_status(const std::string& idempotency_key,
                               std::function<void(const external_delivery&)> done) {
    if (done)
      done({"not-available", {}, 0, {}});
  }
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
