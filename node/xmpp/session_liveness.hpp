// XEP-0199 §4.2 / XEP-0198 §4 server-initiated liveness checks, issue 15
// ("suspect is a state"): when a bound session's silence calls for a check,
// when it becomes suspect, and when it has been suspect too long. Pure: times
// in, decisions out; the connection owns the timer, the socket and the actor.
#pragma once

#include <chrono>

namespace irsp::xmpp {

/// The two bounds of a session's liveness.
struct liveness_settings {
  /// Silence before the server sends a check, and the time the client then
  /// has to answer before it is suspect; zero: no checks.
  std::chrono::milliseconds ping_interval{30000};
  /// How long a session stays suspect before it is ended.
  std::chrono::milliseconds suspect_grace{60000};
};

/// One bound session's liveness. Any input from the client is an answer
/// (the ack, the ping's result or error, any stanza, even whitespace):
/// heard() is all the connection reports. The connection asks due() at
/// next() (or later: timers fire late, never early) and does what it says.
///
/// Silence of one interval brings a check; one more interval without input
/// makes the session suspect (so a dead client is suspect within two
/// intervals of its last word); suspect for the grace, it is ended.
class session_liveness {
public:
  /// Clock of every time given.
  using clock = std::chrono::steady_clock;

  /// What the connection must do now.
  enum class step {
    none,    ///< nothing; ask again at next()
    check,   ///< send a check (`<r/>`, or an XEP-0199 ping)
    suspect, ///< tell the account's actor the session is suspect
    end,     ///< suspect for the whole grace: end the session
  };

  /// Starts watching a session bound at `now`.
  session_liveness(liveness_settings settings, clock::time_point now);

  /// Input from the client at `now`. True when the session was suspect:
  /// the account's actor must hear that it is alive again (and next()
  /// has moved earlier).
  bool heard(clock::time_point now);

  /// Called at next() or later: what is due at `now`.
  step due(clock::time_point now);

  /// When due() should next be called; clock::time_point::max() when never
  /// (no checks, or ended).
  clock::time_point next() const noexcept;

  /// True from the step suspect until heard() or end.
  bool suspect() const noexcept {
    return phase_ == phase::suspect || phase_ == phase::ended;
  }

  /// True once due() said end.
  bool ended() const noexcept {
    return phase_ == phase::ended;
  }

private:
  enum class phase {
    quiet,    // listening; a check goes out after an interval of silence
    checking, // a check is out since since_
    suspect,  // no answer to the check; suspect since since_
    ended,
  };

  liveness_settings settings_;
  clock::time_point heard_;
  clock::time_point since_;
  phase phase_ = phase::quiet;
};

} // namespace irsp::xmpp
