// IRSP §8.8.3 external application server -> internal application: checks an
// inbound HTTPS request (Table 8's parameters: key id, application,
// timestamp, nonce, signature, payload) and either accepts it as a message
// for the application or refuses it with an HTTP status and an IRSP status.
// No sockets, no CAF: the server hands it the request's parts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "node/http/api_keys.hpp"
#include "node/http/nonce_window.hpp"

namespace irsp::http {

/// The request headers that carry the parameters.
inline constexpr const char* key_header = "X-IRSP-Key";
inline constexpr const char* timestamp_header = "X-IRSP-Timestamp";
inline constexpr const char* nonce_header = "X-IRSP-Nonce";
inline constexpr const char* signature_header = "X-IRSP-Signature";

/// The parts of one request, as received.
struct inbound_request {
  std::string_view method;
  std::string_view path;        ///< as sent, without the query
  std::string_view application; ///< from the path
  std::optional<std::string_view> key_id, timestamp, nonce, signature;
  std::string_view body;
};

/// A refusal: HTTP status, IRSP status name (docs/protocol.md), one line of
/// reason, and for 503 the seconds to wait.
struct refusal {
  int http_status = 400;
  std::string status;
  std::string reason;
  int retry_after = 0;
};

/// An accepted request: the §8.4-style message for the application.
struct inbound_message {
  std::string from;        ///< "external:<key id>"
  std::string application;
  std::string payload;
};

/// The time window and the largest body.
struct inbound_limits {
  std::int64_t window_seconds = 300; ///< |now - timestamp| allowed
  std::size_t max_body = 2 * 64 * 1024 + 1024;
};

/// Checks requests against the keys in force and the nonces seen.
/// Thread-safe (the keys are fixed; the nonce window locks).
class inbound_checker {
public:
  inbound_checker(std::unordered_map<std::string, active_key> keys, nonce_window& nonces,
                  inbound_limits limits)
    : keys_(std::move(keys)), nonces_(nonces), limits_(limits) {}

  /// The checks, cheapest and least revealing first: body size, parameters
  /// present and well-formed, key known, timestamp in the window, signature,
  /// key allowed this application, nonce unused (only a validly signed
  /// request uses one up), JSON body. `now`: Unix seconds.
  std::variant<inbound_message, refusal> check(const inbound_request& r, std::int64_t now) const;

  const inbound_limits& limits() const { return limits_; }

private:
  std::unordered_map<std::string, active_key> keys_;
  nonce_window& nonces_;
  inbound_limits limits_;
};

/// The JSON body of a response: {"status": ..., "reason": ...}, or with
/// "reply" instead of "reason" when `reply` is set.
std::string status_body(std::string_view status, std::string_view reason,
                        const std::optional<std::string>& reply = std::nullopt);

} // namespace irsp::http
