// IRSP §7.3: an application as an actor. Handlers run one at a time inside
// the actor, so applications need no locks; their callbacks come back here.
#include "actors/app/app_host.hpp"

#include <caf/all.hpp>

#include <algorithm>

#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/message/exchanges.hpp"
#include "actors/outbox/outbox_actor.hpp"
#include "actors/outbox/outbox_record.hpp"
#include "actors/service_actor.hpp"
#include "irsp/application.hpp"

namespace irsp::app {

namespace {

using namespace irsp::message;

class host_context : public app_context {
public:
  host_context(caf::event_based_actor* self, std::string name, caf::actor router,
               caf::actor outbox)
    : self_(self), name_(std::move(name)), router_(std::move(router)),
      outbox_(std::move(outbox)) {
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

  void send_external(const std::string& endpoint, std::string payload,
                     const std::string& key, std::function<void(const send_result&)> done) override {
    if (!outbox_) {
      app_context::send_external(endpoint, std::move(payload), key, std::move(done));
      return;
    }
    self_->request(outbox_, caf::infinite, outbox::send_ext_atom::value, name_, endpoint, key,
                   std::move(payload))
      .then(
        [done](std::uint16_t status) {
          auto s = static_cast<outbox::SendExternalStatus>(status);
          if (done)
            done({s == outbox::SendExternalStatus::QUEUED
                    || s == outbox::SendExternalStatus::DUPLICATE,
                  outbox::status_name(s), 0, {}});
        },
        [done](caf::error&) {
          if (done)
            done({false, "storage-failure", 0, {}});
        });
  }

  void external_status(const std::string& key,
                       std::function<void(const external_delivery&)> done) override {
    if (!outbox_) {
      app_context::external_status(key, std::move(done));
      return;
    }
    self_->request(outbox_, caf::infinite, outbox::ext_status_atom::value, name_, key)
      .then(
        [done](std::string& state, std::string& endpoint, std::uint32_t attempts,
               std::string& error) {
          if (done)
            done({std::move(state), std::move(endpoint), attempts, std::move(error)});
        },
        [done](caf::error&) {
          if (done)
            done({"storage-failure", {}, 0, {}});
        });
  }

private:
  caf::event_based_actor* self_;
  std::string name_;
  caf::actor router_;
  caf::actor outbox_;
};

struct host_state {
  durable_feed feed;
  std::uint64_t after = 0;  // the stream is handled up to here
  bool started = false;     // `after` is known
  bool reading = false;
  bool more = false;        // the stream grew while a read was out
  static inline const char* name = "irsp.app_host";
};

using host_actor = caf::stateful_actor<host_state>;

// Transitions one read takes.
constexpr std::uint32_t read_batch = 256;

bool wanted(const durable_feed& f, const presence_event& ev) {
  return ev.kind == account::account_kind::DEVICE
         && (f.all_devices
             || std::find(f.devices.begin(), f.devices.end(), ev.address) != f.devices.end());
}

void deliver(application& handler, app_context& ctx, const presence_event& ev) {
  try {
    handler.on_device_status(ctx, device_status_of(ev));
  } catch (...) {
    // A notification has no reply to carry the failure; the next one still comes.
  }
}

// Reads the stream after `after` until it is drained, handing the wanted
// transitions to the handler; one read at a time, another if it grew meanwhile.
void pump(host_actor* self, std::shared_ptr<application> handler,
          std::shared_ptr<app_context> ctx) {
  auto& st = self->state;
  if (!st.started || st.reading) {
    st.more = true;
    return;
  }
  st.reading = true;
  st.more = false;
  self->request(st.feed.accounts, caf::infinite, lifecycle::read_atom::value, st.after,
                read_batch)
    .then(
      [self, handler, ctx](std::vector<presence_event>& events) {
        auto& st = self->state;
        st.reading = false;
        for (auto& ev : events) {
          if (wanted(st.feed, ev))
            deliver(*handler, *ctx, ev);
          st.after = ev.cursor;
        }
        if (!events.empty())
          caf::anon_send(st.feed.accounts, lifecycle::ack_atom::value, st.feed.subscriber,
                         st.after); // the answer would only be dropped
        if (events.size() == read_batch || st.more)
          pump(self, handler, ctx);
      },
      [self, handler, ctx](caf::error&) {
        // The stream could not be read (storage down): try again shortly.
        self->state.reading = false;
        self->delayed_send(self, std::chrono::seconds(1), lifecycle::read_atom::value);
      });
}

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

device_status device_status_of(const message::presence_event& ev) {
  using message::lifecycle_state;
  auto state = ev.state == lifecycle_state::ONLINE    ? device_state::online
               : ev.state == lifecycle_state::SUSPECT ? device_state::suspect
                                                      : device_state::offline;
  return device_status{ev.address, ev.present(), ev.epoch, ev.sequence,
                       ev.at_ms,   state,        ev.cursor};
}

caf::actor spawn_app_host(caf::actor_system& system, std::string name,
                          std::shared_ptr<application> handler, caf::actor router,
                          std::size_t max_backlog, durable_feed feed, caf::actor outbox) {
  return system.spawn([=](host_actor* self) -> caf::behavior {
    ignore_stray_errors(self);
    auto ctx = std::make_shared<host_context>(self, name, router, outbox);
    self->state.feed = feed;
    auto start = [self, handler, ctx](std::uint64_t after) {
      self->state.after = after;
      self->state.started = true;
      pump(self, handler, ctx);
    };
    // Until the cursor is known, news of the stream only marks it grown.
    auto fetch_cursor = [self, start] {
      auto& feed = self->state.feed;
      self->request(feed.accounts, caf::infinite, lifecycle::cursor_atom::value, feed.subscriber)
        .then(start, [self](caf::error&) {
          self->delayed_send(self, std::chrono::seconds(1), lifecycle::cursor_atom::value);
        });
    };
    if (feed.accounts && feed.from_cursor != 0)
      start(feed.from_cursor);
    else if (feed.accounts)
      fetch_cursor();
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
        auto& st = self->state;
        if (!st.feed.accounts || ev.cursor == 0) {
          deliver(*handler, *ctx, ev); // live, or not in the stream
          return;
        }
        if (ev.cursor > st.after)
          pump(self, handler, ctx);
      },
      [=](lifecycle::read_atom) { pump(self, handler, ctx); },
      [=](lifecycle::cursor_atom) { fetch_cursor(); },
    };
  });
}

} // namespace irsp::app
