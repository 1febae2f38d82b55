// Built-in application `last-seen` (IRSP §8.3.2), over the lifecycle stream.
#include "actors/app/last_seen_app.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/account/exchanges.hpp"
#include "actors/account/name_rules.hpp"
#include "actors/atoms.hpp"
#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/message/exchanges.hpp"
#include "actors/service_actor.hpp"
#include "schema/enum_names.hpp"

namespace irsp::app {

using namespace irsp::message;

std::string describe_last_seen(const std::string& device, bool seen,
                               const presence_event& latest) {
  nlohmann::json j{{"device", device}, {"seen", seen}};
  if (seen) {
    j["state"] = schema::enum_name(latest.state);
    j["online"] = latest.present();
    j["at_ms"] = latest.at_ms;
    j["epoch"] = latest.epoch;
    j["sequence"] = latest.sequence;
    j["cursor"] = latest.cursor;
  }
  return j.dump();
}

namespace {

// Asks the stream for `device`'s latest transition; `answer(ok, reply)`.
template <class Answer>
void look_up(caf::event_based_actor* self, const caf::actor& accounts, const std::string& device,
             Answer answer) {
  self->request(accounts, caf::infinite, lifecycle::state_atom::value, device)
    .then(
      [device, answer](const presence_event& latest) mutable {
        answer(true, describe_last_seen(device, latest.epoch != 0, latest));
      },
      [answer](caf::error&) mutable { answer(false, std::string{}); });
}

// `address` as the store keeps it (prepared localpart); empty if it is none.
std::string normal(const std::string& address) {
  auto parts = account::split_address(address);
  if (!parts)
    return {};
  auto local = account::prepare_localpart(parts->first);
  return local ? *local + "@" + parts->second : std::string{};
}

// §9: a user learns of its bound devices only, a device of itself; then
// `allowed(ok)`, or `denied(failed)` (failed: the bindings could not be read).
template <class Allowed, class Denied>
void check_bound(caf::event_based_actor* self, const caf::actor& accounts,
                 const std::string& from, const std::string& device, Allowed allowed,
                 Denied denied) {
  auto requester = normal(from);
  auto target = normal(device);
  if (!requester.empty() && requester == target)
    return allowed();
  self->request(accounts, caf::infinite, load_atom::value, requester)
    .then(
      [target, allowed, denied](const account::principal_record& rec) mutable {
        if (rec.status == account::lookup_status::failed)
          return denied(true);
        if (std::find(rec.peers.begin(), rec.peers.end(), target) == rec.peers.end())
          return denied(false);
        allowed();
      },
      [denied](caf::error&) mutable { denied(true); });
}

} // namespace

caf::actor spawn_last_seen(caf::actor_system& system, caf::actor accounts) {
  return system.spawn([accounts](caf::event_based_actor* self) -> caf::behavior {
    ignore_stray_errors(self);
    return {
      [self, accounts](const upload_request& r) {
        // From a user or device: only about what it is bound to.
        auto rp = self->make_response_promise<upload_response>();
        auto device = r.payload;
        check_bound(
          self, accounts, r.from, device,
          [self, accounts, rp, device]() mutable {
            look_up(self, accounts, device, [rp](bool ok, std::string reply) mutable {
              rp.deliver(upload_response{ok ? upload_status::ACCEPTED
                                            : upload_status::APPLICATION_FAILURE,
                                         std::move(reply)});
            });
          },
          [rp](bool failed) mutable {
            rp.deliver(upload_response{failed ? upload_status::APPLICATION_FAILURE
                                              : upload_status::NOT_ALLOWED,
                                       {}});
          });
        return rp;
      },
      [self, accounts](const app_message_request& r) {
        auto rp = self->make_response_promise<app_message_response>();
        look_up(self, accounts, r.payload, [rp](bool ok, std::string reply) mutable {
          rp.deliver(app_message_response{ok ? app_message_status::DELIVERED
                                             : app_message_status::APPLICATION_FAILURE,
                                          std::move(reply)});
        });
        return rp;
      },
      [](const presence_event&) {}, // subscribed to nothing; a stray one is dropped
    };
  });
}

} // namespace irsp::app
