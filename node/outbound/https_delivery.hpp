// IRSP §8.8.2 over HTTPS (RFC 2818, RFC 9110 POST): the thread that sends the
// outbox's messages to external endpoints with libcurl's multi interface,
// off the XMPP I/O threads and off the actor scheduler.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "actors/outbox/backoff.hpp"

namespace irsp::outbox {
class outbox_store;
}

namespace irsp::outbound {

/// How the delivery thread sends.
struct delivery_options {
  outbox::backoff_policy backoff;
  /// One attempt's bound, connect to last byte; longer counts as a failure.
  std::chrono::milliseconds timeout{30000};
};

/// The delivery thread. Started with the endpoints registered at that time
/// (they change only on a stopped node); on start it dead-letters the
/// messages of removed endpoints and resumes every undelivered message,
/// resending one whose attempt a crash cut short.
class https_delivery {
public:
  /// Starts the thread; null with `error` set when curl cannot be set up.
  static std::unique_ptr<https_delivery> start(std::shared_ptr<outbox::outbox_store> store,
                                               delivery_options options, std::string& error);
  ~https_delivery(); ///< stops the thread; attempts in flight are abandoned
  https_delivery(const https_delivery&) = delete;
  https_delivery& operator=(const https_delivery&) = delete;

  /// New messages were accepted: look at the outbox now. Thread-safe.
  void wake();

private:
  struct impl;
  explicit https_delivery(std::unique_ptr<impl> d);
  std::unique_ptr<impl> impl_;
};

} // namespace irsp::outbound
