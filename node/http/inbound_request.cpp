// IRSP §8.8.3 inbound request checks (see inbound_request.hpp).
#include "node/http/inbound_request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "node/http/request_signature.hpp"

namespace irsp::http {

namespace {

refusal refuse(int http, std::string status, std::string reason, int retry_after = 0) {
  return refusal{http, std::move(status), std::move(reason), retry_after};
}

bool all_of(std::string_view s, bool (*ok)(char)) {
  return std::all_of(s.begin(), s.end(), ok);
}

bool digit(char c) {
  return c >= '0' && c <= '9';
}

bool nonce_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'
         || c == '_';
}

} // namespace

std::variant<inbound_message, refusal> inbound_checker::check(const inbound_request& r,
                                                              std::int64_t now) const {
  if (r.body.size() > limits_.max_body)
    return refuse(413, "payload-too-large",
                  "body over " + std::to_string(limits_.max_body) + " octets");
  if (!r.key_id || !r.timestamp || !r.nonce || !r.signature)
    return refuse(401, "unsigned",
                  std::string{"the headers "} + key_header + ", " + timestamp_header + ", "
                    + nonce_header + " and " + signature_header + " are required");
  if (r.timestamp->empty() || r.timestamp->size() > 12 || !all_of(*r.timestamp, digit))
    return refuse(400, "malformed-request", "timestamp: decimal Unix seconds expected");
  if (r.nonce->size() < 16 || r.nonce->size() > 64 || !all_of(*r.nonce, nonce_char))
    return refuse(400, "malformed-request", "nonce: 16 to 64 of A-Z a-z 0-9 - _ expected");
  auto key = keys_.find(std::string{*r.key_id});
  if (key == keys_.end())
    return refuse(401, "unknown-key", "unknown or revoked key");
  auto ts = std::stoll(std::string{*r.timestamp});
  if (ts < now - limits_.window_seconds || ts > now + limits_.window_seconds)
    return refuse(401, "stale-request",
                  "timestamp " + std::string{*r.timestamp} + " is more than "
                    + std::to_string(limits_.window_seconds) + " s from the server's "
                    + std::to_string(now));
  auto canonical = canonical_request(r.method, r.path, *r.timestamp, *r.nonce, r.body);
  if (!signature_matches(key->second.secret, canonical, *r.signature))
    return refuse(401, "bad-signature", "signature does not match the canonical request");
  if (!key->second.application.empty() && key->second.application != r.application)
    return refuse(403, "forbidden-application",
                  "this key may reach application " + key->second.application + " only");
  switch (nonces_.remember(*r.key_id, *r.nonce, ts, now)) {
    case nonce_window::outcome::fresh:
      break;
    case nonce_window::outcome::replayed:
      return refuse(409, "replayed", "nonce already used with this key");
    case nonce_window::outcome::full:
      return refuse(503, "server-busy", "too many requests in the time window", 1);
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return refuse(400, "malformed-request", "body: a JSON object expected");
  auto p = j.find("payload");
  if (p == j.end() || !p->is_string())
    return refuse(400, "malformed-request", "body: a string member \"payload\" expected");
  return inbound_message{"external:" + std::string{*r.key_id}, std::string{r.application},
                         p->get<std::string>()};
}

std::string status_body(std::string_view status, std::string_view reason,
                        const std::optional<std::string>& reply) {
  nlohmann::json j{{"status", status}};
  if (reply)
    j["reply"] = *reply;
  else
    j["reason"] = reason;
  // Payloads are not necessarily UTF-8: replace rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace irsp::http
