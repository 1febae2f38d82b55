// IRSP §7.3: an application as an actor. Handlers run one at a time inside
// the actor, so applications need no locks; their callbacks come back here.
#include "actors/app/app_host.hpp"

#include <caf/all.hpp>

#include "actors/message/exchanges.hpp"
#include "actors/service_actor.hpp"
#include "irsp/application.hpp"

namespace irsp::app {

namespace {

using namespace irsp::message;

class host_context : public app_context {
public:
  host_context(caf::event_based_actor* self, std::string name, caf::actor router)
    : self_(self), name_(std::move(name)), router_(std::move(router)) {
  }

  const std::string& name() const override { return name_; }

  void push(const std::string& to, std::string payload,
            std::function<void(const send_result&)> done) override {
    self_->request(router_, caf::infinite, push_request{name_, to, std::move(payload)})
      .then(
        [done](const push_response& r) {
          if (done)
            done({r.status == push_status::DELIVERED || r.status == push_status::QUEUED,
                  status_name(r.status), r.sessions, {}});
        },
        [done](caf::error&) {
          if (done)
            done({false, status_name(push_status::STORAGE_FAILURE), 0, {}});
        });
  }

  void send_to_app(const std::string& app, std::string payload,
                   std::function<void(const send_result&)> done) override {
    self_->request(router_, caf::infinite, app_message_request{name_, app, std::move(payload)})
      .then(
        [done](app_message_response& r) {
          if (done)
            done({r.status == app_message_status::DELIVERED, status_name(r.status), 0,
                  std::move(r.reply)});
        },
        [done](caf::error&) {
          if (done)
            done({false, status_name(app_message_status::APPLICATION_FAILURE), 0, {}});
        });
  }

private:
  caf::event_based_actor* self_;
  std::string name_;
  caf::actor router_;
};

template <class Status>
Status status_of(app_reply::verdict v, Status accepted, Status rejected, Status busy) {
  switch (v) {
    case app_reply::verdict::accepted:
      return accepted;
    case app_reply::verdict::rejected:
      return rejected;
    default:
      return busy;
  }
}

} // namespace

caf::actor spawn_app_host(caf::actor_system& system, std::string name,
                          std::shared_ptr<application> handler, caf::actor router,
                          std::size_t max_backlog) {
  return system.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    ignore_stray_errors(self);
    auto ctx = std::make_shared<host_context>(self, name, router);
    auto overloaded = [self, max_backlog] { return self->mailbox().size() > max_backlog; };
    return {
      [=](const upload_request& r) -> upload_response {
        if (overloaded())
          return {upload_status::APPLICATION_BUSY, {}};
        try {
          auto reply = handler->on_upload(*ctx, upload{r.from, r.payload});
          return {status_of(reply.outcome, upload_status::ACCEPTED, upload_status::REJECTED,
                            upload_status::APPLICATION_BUSY),
                  std::move(reply.reply)};
        } catch (...) {
          return {upload_status::APPLICATION_FAILURE, {}};
        }
      },
      [=](const app_message_request& r) -> app_message_response {
        if (overloaded())
          return {app_message_status::APPLICATION_BUSY, {}};
        try {
          auto reply = handler->on_app_message(*ctx, app_message{r.from, r.payload});
          return {status_of(reply.outcome, app_message_status::DELIVERED,
                            app_message_status::REJECTED, app_message_status::APPLICATION_BUSY),
                  std::move(reply.reply)};
        } catch (...) {
          return {app_message_status::APPLICATION_FAILURE, {}};
        }
      },
      [=](const presence_event& ev) {
        try {
          handler->on_device_status(*ctx, device_status{ev.address, ev.online, ev.epoch,
                                                        ev.sequence, ev.at_ms});
        } catch (...) {
          // A notification has no reply to carry the failure; the next one still comes.
        }
      },
    };
  });
}

} // namespace irsp::app
