// Built-in application `echo`: pushes every upload back to its sender.
#pragma once

#include "irsp/application.hpp"

namespace irsp::app {

/// §8.3.1 in, §8.3.3 out: the smallest useful application, and the one
/// clients and benchmarks use to see a full round trip.
class echo_app : public application {
public:
  app_reply on_upload(app_context& ctx, const upload& u) override;
  app_reply on_app_message(app_context& ctx, const app_message& m) override;
};

} // namespace irsp::app
