// Where features plug into the message path of a user/device actor, as
// ejabberd's hooks and Prosody's module events do: the actor calls the
// modules it was given at each point, and knows none of them by name.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/message/exchanges.hpp"

namespace irsp::principal {

/// What became of a delivery a module kept for later.
enum class kept_status { kept, full, no_such_account, unavailable, failed };

/// A feature on the message path of user/device actors. Its hooks run in the
/// actor (`self`), so they may ask other actors with `self->request`.
class principal_module {
public:
  virtual ~principal_module() = default;

  /// A delivery for `address` found no session (§8.3.3, §8.5.2). A module
  /// that keeps it returns true and calls `done` once with what became of
  /// it; false leaves it to the next module (if none keeps it, the sender
  /// hears queue-full: nothing kept it).
  virtual bool undeliverable(caf::event_based_actor* self, const std::string& address,
                             message::delivery& d, std::function<void(kept_status)> done) {
    (void) self, (void) address, (void) d, (void) done;
    return false;
  }

  /// The account's first session opened. What the module kept goes to
  /// `to_sessions` (true: a session took it) before anything that arrives
  /// later: the module may hold the actor's other messages meanwhile
  /// (`self->request(...).await(...)`).
  virtual void first_session(caf::event_based_actor* self, const std::string& address,
                             std::function<bool(const message::delivery&)> to_sessions) {
    (void) self, (void) address, (void) to_sessions;
  }
};

/// The modules of an actor, called in this order.
using principal_modules = std::vector<std::shared_ptr<principal_module>>;

} // namespace irsp::principal
