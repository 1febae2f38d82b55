// IRSP §8.8.3 responses: §8.4 status -> HTTP status (docs/protocol.md).
#include "node/http/inbound_reply.hpp"

#include "node/http/inbound_request.hpp"

namespace irsp::http {

http_reply reply_for(const message::app_message_response& r) {
  using st = message::app_message_status;
  auto name = message::status_name(r.status);
  switch (r.status) {
    case st::DELIVERED:
      return {200, status_body(name, {}, r.reply)};
    case st::NO_SUCH_APPLICATION:
      return {404, status_body(name, "no application of that name")};
    case st::REJECTED:
      // An application's reason for rejecting is its reply payload.
      return {422, status_body(name, r.reply.empty() ? "the application refused it" : r.reply)};
    case st::PAYLOAD_TOO_LARGE:
      return {413, status_body(name, "payload over the node's --max-payload")};
    case st::APPLICATION_BUSY:
      return {503, status_body(name, "the application has too much work waiting"), 1};
    case st::UNKNOWN_DOMAIN:
      return {404, status_body(name, "no link to that application's domain")};
    case st::PEER_UNREACHABLE:
      return {503, status_body(name, "the application's AS cannot be reached now"), 1};
    case st::NOT_ALLOWED:
      return {403, status_body(name, "not allowed to send to that application")};
    case st::APPLICATION_FAILURE:
      break;
  }
  return {500, status_body("application-failure", "the application failed to handle it")};
}

} // namespace irsp::http
