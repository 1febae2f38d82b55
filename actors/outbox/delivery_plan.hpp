// IRSP §8.8.2 outbound delivery, the decisions without the sockets: which
// message goes out next, how an answer is judged, when a failure is retried.
// The HTTPS transport (node/outbound/) asks for jobs and reports outcomes.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "actors/outbox/backoff.hpp"
#include "actors/outbox/outbox_record.hpp"

namespace irsp::outbox {

class outbox_store;

/// How one HTTP attempt ended: an HTTP status, or 0 and what went wrong
/// below HTTP (connection refused, timeout, certificate refused).
struct attempt_outcome {
  long http_status = 0;
  std::string transport_error;
};

/// What an outcome means for the message.
enum class verdict { delivered, retry, dead_letter };

/// 2xx: delivered. 408, 429, 5xx and any failure below HTTP: retry. Any
/// other status (other 4xx; 1xx and 3xx, as redirects are not followed, so
/// that a payload never goes to an address the operator did not register):
/// dead letter at once.
verdict judge(const attempt_outcome& o);

/// One message to send now.
struct delivery_job {
  external_endpoint endpoint;
  outbox_message message;
};

/// Per endpoint, a window of its first `concurrency` undelivered messages
/// in acceptance order: each in flight or waiting for its retry time. A
/// message leaves the window only when delivered or dead-lettered, so with
/// concurrency 1 the endpoint receives its messages in order (a message
/// waiting to retry holds back the ones after it). Not thread-safe: one
/// delivery thread owns it. Times are a monotonic clock's milliseconds.
class delivery_plan {
public:
  delivery_plan(outbox_store& store, std::vector<external_endpoint> endpoints,
                backoff_policy backoff, std::uint64_t seed);

  /// The messages to send at `now`; each is in flight until finished().
  std::vector<delivery_job> due(std::int64_t now);

  /// When the next retry is due (INT64_MAX: none waits).
  std::int64_t next_due() const;

  /// An attempt ended: the message is delivered, dead-lettered, or waits
  /// for its retry.
  void finished(const delivery_job& job, const attempt_outcome& outcome, std::int64_t now,
                std::int64_t wall_ms);

  /// New messages may have been accepted: windows with room are refilled.
  void poke() { refill_ = true; }

  /// Messages in flight, all endpoints.
  std::size_t in_flight() const;

private:
  struct slot {
    outbox_message message;
    std::int64_t due = 0;
    bool in_flight = false;
  };
  struct window {
    external_endpoint endpoint;
    std::vector<slot> slots;
    std::uint64_t last_seq = 0; // the highest sequence number loaded
  };
  void fill(window& w);

  outbox_store& store_;
  backoff_policy backoff_;
  std::mt19937_64 rng_;
  std::map<std::string, window> windows_;
  bool refill_ = true;
};

} // namespace irsp::outbox
