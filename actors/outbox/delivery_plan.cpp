// IRSP §8.8.2 outbound delivery: windows per endpoint, verdicts, retries.
#include "actors/outbox/delivery_plan.hpp"

#include <algorithm>
#include <limits>

#include "actors/outbox/outbox_store.hpp"

namespace irsp::outbox {

verdict judge(const attempt_outcome& o) {
  auto s = o.http_status;
  if (s >= 200 && s < 300)
    return verdict::delivered;
  if (s == 0 || s == 408 || s == 429 || s >= 500)
    return verdict::retry;
  return verdict::dead_letter;
}

delivery_plan::delivery_plan(outbox_store& store, std::vector<external_endpoint> endpoints,
                             backoff_policy backoff, std::uint64_t seed)
  : store_(store), backoff_(backoff), rng_(seed) {
  for (auto& e : endpoints) {
    auto name = e.name;
    windows_[name].endpoint = std::move(e);
  }
}

void delivery_plan::fill(window& w) {
  auto room = w.endpoint.concurrency > w.slots.size() ? w.endpoint.concurrency - w.slots.size()
                                                      : 0;
  if (room == 0)
    return;
  for (auto& m : store_.pending(w.endpoint.name, w.last_seq, room)) {
    w.last_seq = m.seq;
    w.slots.push_back(slot{std::move(m), 0, false});
  }
}

std::vector<delivery_job> delivery_plan::due(std::int64_t now) {
  if (refill_) {
    refill_ = false;
    for (auto& [name, w] : windows_)
      fill(w);
  }
  std::vector<delivery_job> out;
  for (auto& [name, w] : windows_)
    for (auto& s : w.slots)
      if (!s.in_flight && s.due <= now) {
        s.in_flight = true;
        out.push_back({w.endpoint, s.message});
      }
  return out;
}

std::int64_t delivery_plan::next_due() const {
  auto next = std::numeric_limits<std::int64_t>::max();
  for (auto& [name, w] : windows_)
    for (auto& s : w.slots)
      if (!s.in_flight)
        next = std::min(next, s.due);
  return next;
}

std::size_t delivery_plan::in_flight() const {
  std::size_t n = 0;
  for (auto& [name, w] : windows_)
    n += std::count_if(w.slots.begin(), w.slots.end(), [](const slot& s) { return s.in_flight; });
  return n;
}

void delivery_plan::finished(const delivery_job& job, const attempt_outcome& outcome,
                             std::int64_t now, std::int64_t wall_ms) {
  auto w = windows_.find(job.endpoint.name);
  if (w == windows_.end())
    return;
  auto& slots = w->second.slots;
  auto s = std::find_if(slots.begin(), slots.end(),
                        [&](const slot& x) { return x.message.seq == job.message.seq; });
  if (s == slots.end())
    return;
  auto attempts = s->message.attempts + 1;
  auto error = outcome.http_status != 0 ? "HTTP " + std::to_string(outcome.http_status)
                                        : outcome.transport_error;
  auto v = judge(outcome);
  if (v == verdict::retry && attempts >= w->second.endpoint.max_attempts)
    v = verdict::dead_letter;
  bool stored = false;
  if (v == verdict::retry) {
    stored = store_.record_failure(s->message, attempts, error);
  } else {
    stored = store_.finish(s->message,
                           v == verdict::delivered ? ExternalState::DELIVERED
                                                   : ExternalState::DEAD_LETTER,
                           attempts, v == verdict::delivered ? std::string{} : error, wall_ms);
  }
  if (stored && v != verdict::retry) {
    slots.erase(s);
    refill_ = true;
    return;
  }
  // Retried; or the outcome could not be stored, and then the message is
  // sent again later (at least once: a second delivery is what the
  // idempotency key is for).
  s->message.attempts = stored ? attempts : s->message.attempts;
  s->message.state = ExternalState::DELIVERING;
  s->message.last_error = error;
  s->in_flight = false;
  s->due = now + backoff_delay(backoff_, std::max(attempts, 1u), rng_).count();
}

} // namespace irsp::outbox
