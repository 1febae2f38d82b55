// IRSP §8.8.2: acceptance into the outbox and status queries.
#include "actors/outbox/outbox_actor.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <tuple>

#include "actors/outbox/endpoint_rules.hpp"
#include "actors/outbox/outbox_store.hpp"
#include "actors/service_actor.hpp"

namespace irsp::outbox {

caf::actor spawn_outbox_actor(caf::actor_system& system, std::shared_ptr<outbox_store> store,
                              std::uint32_t max_payload, std::function<void()> accepted) {
  return system.spawn<caf::detached>([=](caf::event_based_actor* self) -> caf::behavior {
    ignore_stray_errors(self);
    return {
      [=](send_ext_atom, const std::string& app, const std::string& endpoint,
          const std::string& key, const std::string& payload) -> std::uint16_t {
        auto status = SendExternalStatus::QUEUED;
        if (!valid_key(key))
          status = SendExternalStatus::BAD_KEY;
        else if (payload.size() > max_payload)
          status = SendExternalStatus::PAYLOAD_TOO_LARGE;
        else {
          using namespace std::chrono;
          auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
          status = store->enqueue(app, endpoint, key, payload, now);
        }
        if (status == SendExternalStatus::QUEUED && accepted)
          accepted();
        return static_cast<std::uint16_t>(status);
      },
      [=](ext_status_atom, const std::string& app, const std::string& key)
        -> std::tuple<std::string, std::string, std::uint32_t, std::string> {
        auto m = store->find(app, key);
        if (!m)
          return {"storage-failure", {}, 0, {}};
        return {state_name(m->state), m->endpoint, m->attempts, m->last_error};
      },
    };
  });
}

} // namespace irsp::outbox
