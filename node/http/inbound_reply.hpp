// IRSP §8.8.3: the application's answer (§8.4 status and reply) as the HTTP
// response the external server gets. A codec: no sockets.
#pragma once

#include <string>

#include "actors/message/exchanges.hpp"

namespace irsp::http {

/// An HTTP response: status, JSON body, Retry-After seconds (0: none).
struct http_reply {
  int http_status = 500;
  std::string body;
  int retry_after = 0;
};

/// delivered 200 (with the reply), no-such-application 404, rejected 422,
/// payload-too-large 413, application-busy 503 (Retry-After: 1),
/// application-failure 500.
http_reply reply_for(const message::app_message_response& r);

} // namespace irsp::http
