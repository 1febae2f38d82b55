// The offline queue actor over offline_store.
#include "actors/offline/offline_queue.hpp"

#include <caf/all.hpp>

#include "actors/atoms.hpp"
#include "actors/offline/offline_store.hpp"
#include "actors/service_actor.hpp"

namespace irsp::offline {

caf::actor spawn_offline_queue(caf::actor_system& system, std::shared_ptr<offline_store> store) {
  return system.spawn<caf::detached>([store](caf::event_based_actor* self) -> caf::behavior {
    ignore_stray_errors(self);
    return {
      [store](enqueue_atom, const std::string& address, message::delivery& d) {
        return static_cast<int>(store->enqueue(address, std::move(d)));
      },
      [store](drain_atom, const std::string& address) {
        auto out = store->peek(address);
        return std::make_tuple(std::move(out.messages), std::move(out.last_key));
      },
      [store](ack_atom, const std::string& address, const std::string& last_key) {
        return store->ack(address, last_key);
      },
    };
  });
}

} // namespace irsp::offline
