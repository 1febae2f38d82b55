// Built-in application `notify`: turns a message from another application
// or an external application server (§8.4, §8.8.3) into a push (§8.3.3).
#pragma once

#include "irsp/application.hpp"

namespace irsp::app {

/// The payload is the addressee's address, a newline, and the text to push
/// to it; the reply says whom it is pushing to (the push's own status comes
/// later, so it is not in the reply). Uploads are rejected: users and
/// devices talk to each other directly.
class notify_app : public application {
public:
  app_reply on_upload(app_context& ctx, const upload& u) override;
  app_reply on_app_message(app_context& ctx, const app_message& m) override;
};

} // namespace irsp::app
