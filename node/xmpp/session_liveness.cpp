// XEP-0199 §4.2 / XEP-0198 §4 server-initiated liveness checks, issue 15.
#include "node/xmpp/session_liveness.hpp"

namespace irsp::xmpp {

session_liveness::session_liveness(liveness_settings settings, clock::time_point now)
  : settings_(settings), heard_(now), since_(now) {
}

bool session_liveness::heard(clock::time_point now) {
  if (now > heard_)
    heard_ = now;
  if (phase_ != phase::suspect)
    return false; // a check out is answered lazily, at its deadline
  phase_ = phase::quiet;
  return true;
}

session_liveness::step session_liveness::due(clock::time_point now) {
  const auto interval = settings_.ping_interval;
  if (interval.count() <= 0)
    return step::none;
  switch (phase_) {
    case phase::checking:
      if (heard_ >= since_) {
        phase_ = phase::quiet; // answered: silence counts from the answer
        break;
      }
      if (now - since_ < interval)
        return step::none;
      phase_ = phase::suspect;
      since_ = now;
      return step::suspect;
    case phase::suspect:
      if (now - since_ < settings_.suspect_grace)
        return step::none;
      phase_ = phase::ended;
      return step::end;
    case phase::ended:
      return step::none;
    case phase::quiet:
      break;
  }
  if (now - heard_ < interval)
    return step::none;
  phase_ = phase::checking;
  since_ = now;
  return step::check;
}

session_liveness::clock::time_point session_liveness::next() const noexcept {
  if (settings_.ping_interval.count() <= 0)
    return clock::time_point::max();
  switch (phase_) {
    case phase::quiet:
      return heard_ + settings_.ping_interval;
    case phase::checking:
      return since_ + settings_.ping_interval;
    case phase::suspect:
      return since_ + settings_.suspect_grace;
    case phase::ended:
      break;
  }
  return clock::time_point::max();
}

} // namespace irsp::xmpp
