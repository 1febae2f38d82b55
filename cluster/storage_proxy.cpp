// A local stand-in for the node that serves the account store.
#include "cluster/storage_proxy.hpp"

#include <caf/all.hpp>

#include "actors/service_actor.hpp"
#include "actors/storage_errors.hpp"

namespace irsp::cluster {

namespace {

struct proxy_state {
  caf::actor target;
  std::string what;
  static inline const char* name = "irsp.storage_proxy";
};

} // namespace

caf::actor spawn_storage_proxy(caf::actor_system& system, std::string what) {
  return system.spawn([what](caf::stateful_actor<proxy_state>* self) -> caf::behavior {
    self->state.what = what;
    ignore_stray_errors(self);
    self->set_default_handler(
      [](caf::scheduled_actor* base, caf::message_view& x) -> caf::result<caf::message> {
        auto* self = static_cast<caf::stateful_actor<proxy_state>*>(base);
        auto& target = self->state.target;
        if (!target)
          return storage_unavailable_error();
        self->delegate(target, x.move_content_to_message());
        return caf::delegated<caf::message>{};
      });
    return {
      [self](caf::put_atom, const caf::actor& target) { self->state.target = target; },
    };
  });
}

} // namespace irsp::cluster
