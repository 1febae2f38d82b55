// IRSP §7.2 message server: routing, activation and passivation of user and
// device actors, application registry and subscriptions.
#include "actors/message/router.hpp"

#include <caf/all.hpp>

#include <unordered_map>
#include <unordered_set>

#include "actors/account/messages.hpp"
#include "actors/account/name_rules.hpp"
#include "actors/atoms.hpp"
#include "actors/delegation.hpp"
#include "actors/message/authorization.hpp"
#include "actors/message/exchanges.hpp"
#include "actors/principal/principal_actor.hpp"
#include "actors/service_actor.hpp"

namespace irsp::message {

namespace {

struct principal_entry {
  caf::actor handle;
  std::uint64_t sent = 0; // messages routed to it; see passivation
};

struct app_entry {
  caf::actor handle;
  subscription subscribed;
};

struct router_state {
  router_config cfg;
  std::string apps_domain;
  std::unordered_map<std::string, principal_entry> principals;
  std::unordered_map<std::string, app_entry> apps;

  static inline const char* name = "irsp.router";
};

using router_actor = caf::stateful_actor<router_state>;

// `name@domain` of this AS, prepared; empty if it is not one.
std::string normalise(const router_state& st, const std::string& address) {
  auto parts = account::split_address(address);
  if (!parts || parts->second != st.cfg.domain)
    return {};
  auto local = account::prepare_localpart(parts->first);
  return local ? *local + "@" + st.cfg.domain : std::string{};
}

// The application name of `name@apps.<domain>` (or a bare name); empty if none.
std::string app_name(const router_state& st, const std::string& address) {
  auto parts = account::split_address(address);
  if (!parts)
    return address.find('@') == std::string::npos ? address : std::string{};
  return parts->second == st.apps_domain ? parts->first : std::string{};
}

// The actor of an account, activated if it is not; every message the router
// sends it goes through here so that the count stays exact.
caf::actor& principal_for(router_actor* self, const std::string& address) {
  auto& st = self->state;
  auto i = st.principals.find(address);
  if (i == st.principals.end()) {
    principal::principal_config pc{caf::actor_cast<caf::actor>(self), st.cfg.accounts,
                                   st.cfg.offline, st.cfg.idle_timeout};
    auto handle = principal::spawn_principal(self->system(), address, std::move(pc));
    self->monitor(handle);
    i = st.principals.emplace(address, principal_entry{handle, 0}).first;
  }
  ++i->second.sent;
  return i->second.handle;
}

// Tells an active actor about a binding change; inactive ones load bindings
// when they activate.
void notify_if_active(router_actor* self, const std::string& address, const caf::message& msg) {
  auto i = self->state.principals.find(address);
  if (i == self->state.principals.end())
    return;
  ++i->second.sent;
  self->send(i->second.handle, msg);
}

} // namespace

caf::actor spawn_router(caf::actor_system& system, router_config config) {
  return system.spawn([config](router_actor* self) -> caf::behavior {
    auto& st = self->state;
    st.cfg = config;
    st.apps_domain = "apps." + config.domain;
    ignore_stray_errors(self);
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      for (auto i = st.principals.begin(); i != st.principals.end(); ++i)
        if (i->second.handle.address() == dm.source) {
          st.principals.erase(i);
          return;
        }
      for (auto i = st.apps.begin(); i != st.apps.end(); ++i)
        if (i->second.handle.address() == dm.source) {
          st.apps.erase(i);
          return;
        }
    });
    return {
      [self](open_atom a, const std::string& address, const std::string& resource,
             const session_ref& session) -> caf::result<session_opened> {
        auto normal = normalise(self->state, address);
        if (normal.empty())
          return session_opened{};
        auto& target = principal_for(self, normal);
        return forward<session_opened>(self, target, a, normal, resource, session);
      },
      [self](upload_request& r) -> caf::result<upload_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return upload_response{upload_status::PAYLOAD_TOO_LARGE, {}};
        if (!may_upload(r.from, st.apps_domain))
          return upload_response{upload_status::NOT_ALLOWED, {}};
        auto i = st.apps.find(app_name(st, r.application));
        if (i == st.apps.end())
          return upload_response{upload_status::NO_SUCH_APPLICATION, {}};
        r.application = i->first;
        return forward<upload_response>(self, i->second.handle, std::move(r));
      },
      [self](push_request& r) -> caf::result<push_response> {
        auto& st = self->state;
        if (st.apps.count(r.application) == 0)
          return push_response{push_status::NO_SUCH_APPLICATION, 0};
        if (r.payload.size() > st.cfg.max_payload)
          return push_response{push_status::PAYLOAD_TOO_LARGE, 0};
        auto parts = account::split_address(r.to);
        if (parts && parts->second == st.apps_domain) // applications talk by §8.4
          return push_response{push_status::NOT_ALLOWED, 0};
        auto to = normalise(st, r.to);
        if (to.empty())
          return push_response{push_status::NO_SUCH_ACCOUNT, 0};
        r.to = to;
        return forward<push_response>(self, principal_for(self, to), std::move(r));
      },
      [self](direct_request& r) -> caf::result<direct_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return direct_response{direct_status::PAYLOAD_TOO_LARGE, 0};
        auto to = normalise(st, r.to);
        if (to.empty())
          return direct_response{direct_status::NO_SUCH_ACCOUNT, 0};
        r.to = to;
        return forward<direct_response>(self, principal_for(self, to), std::move(r));
      },
      [self](app_message_request& r) -> caf::result<app_message_response> {
        auto& st = self->state;
        if (r.payload.size() > st.cfg.max_payload)
          return app_message_response{app_message_status::PAYLOAD_TOO_LARGE, {}};
        auto i = st.apps.find(app_name(st, r.to));
        if (i == st.apps.end() || st.apps.count(r.from) == 0)
          return app_message_response{app_message_status::NO_SUCH_APPLICATION, {}};
        r.to = i->first;
        return forward<app_message_response>(self, i->second.handle, std::move(r));
      },
      [self](presence_event& ev) {
        auto& st = self->state;
        if (ev.kind == account::account_kind::DEVICE)
          for (auto& [name, app] : st.apps) {
            const auto& s = app.subscribed;
            if (s.all_devices
                || std::find(s.devices.begin(), s.devices.end(), ev.address) != s.devices.end())
              self->send(app.handle, ev);
          }
        auto msg = caf::make_message(ev);
        for (const auto& peer : ev.bound)
          notify_if_active(self, peer, msg);
      },
      [self](probe_atom a, const std::string& requester, const std::vector<std::string>& peers) {
        auto msg = caf::make_message(a, requester);
        for (const auto& peer : peers)
          notify_if_active(self, peer, msg); // inactive peers are offline: nothing to tell
      },
      [self](probe_atom, const presence_event& answer) {
        // Not a transition: only for the peer that asked, never for applications.
        auto msg = caf::make_message(answer);
        for (const auto& peer : answer.bound)
          notify_if_active(self, peer, msg);
      },
      [self](account::bind_request& r) -> caf::result<bind_status> {
        auto& st = self->state;
        auto rp = self->make_response_promise<bind_status>();
        auto user = normalise(st, r.user);
        auto device = normalise(st, r.device);
        if (device.empty())
          return bind_status::NO_SUCH_DEVICE;
        r.user = user;
        r.device = device;
        self->request(st.cfg.accounts, caf::infinite, std::move(r))
          .then(
            [self, rp, user, device](bind_status s) mutable {
              if (s == bind_status::OK) {
                notify_if_active(self, user, caf::make_message(bound_atom::value, device));
                notify_if_active(self, device, caf::make_message(bound_atom::value, user));
              }
              rp.deliver(s);
            },
            [rp](caf::error&) mutable { rp.deliver(bind_status::STORAGE_FAILURE); });
        return rp;
      },
      [self](account::unbind_request& r) -> caf::result<unbind_status> {
        auto& st = self->state;
        auto rp = self->make_response_promise<unbind_status>();
        auto a = normalise(st, r.account);
        auto p = normalise(st, r.peer);
        if (a.empty() || p.empty())
          return unbind_status::NOT_BOUND;
        self->request(st.cfg.accounts, caf::infinite, account::unbind_request{a, p})
          .then(
            [self, rp, a, p](unbind_status s) mutable {
              if (s == unbind_status::OK) {
                notify_if_active(self, a, caf::make_message(unbound_atom::value, p));
                notify_if_active(self, p, caf::make_message(unbound_atom::value, a));
              }
              rp.deliver(s);
            },
            [rp](caf::error&) mutable { rp.deliver(unbind_status::STORAGE_FAILURE); });
        return rp;
      },
      [self](account::modify_request& r) {
        return self->delegate(self->state.cfg.accounts, std::move(r));
      },
      [self](account::reset_code_request& r) -> caf::result<account::reset_code_response> {
        auto rp = self->make_response_promise<account::reset_code_response>();
        auto address = normalise(self->state, r.address);
        self->request(self->state.cfg.accounts, caf::infinite, std::move(r))
          .then(
            [self, rp, address](account::reset_code_response& resp) mutable {
              for (const auto& peer : resp.unbound) {
                notify_if_active(self, address, caf::make_message(unbound_atom::value, peer));
                notify_if_active(self, peer, caf::make_message(unbound_atom::value, address));
              }
              rp.deliver(std::move(resp));
            },
            [rp](caf::error&) mutable {
              rp.deliver(account::reset_code_response{
                account::reset_code_status::STORAGE_FAILURE, {}, {}});
            });
        return rp;
      },
      [self](account::delete_request& r) -> caf::result<account::delete_response> {
        auto rp = self->make_response_promise<account::delete_response>();
        auto address = normalise(self->state, r.address);
        self->request(self->state.cfg.accounts, caf::infinite, std::move(r))
          .then(
            [self, rp, address](account::delete_response& resp) mutable {
              if (resp.status == account::delete_status::OK) {
                for (const auto& peer : resp.unbound)
                  notify_if_active(self, peer, caf::make_message(unbound_atom::value, address));
                auto& st = self->state;
                auto i = st.principals.find(address);
                if (i != st.principals.end()) {
                  self->send(i->second.handle, gone_atom::value);
                  st.principals.erase(i);
                }
              }
              rp.deliver(std::move(resp));
            },
            [rp](caf::error&) mutable {
              rp.deliver(account::delete_response{account::delete_status::STORAGE_FAILURE, {}});
            });
        return rp;
      },
      [self](app_atom, const std::string& name, const caf::actor& app, subscription& s) {
        auto& st = self->state;
        if (name.empty() || st.apps.count(name) != 0)
          return false;
        for (auto& d : s.devices) {
          auto normal = normalise(st, d);
          if (!normal.empty())
            d = normal;
        }
        self->monitor(app);
        st.apps.emplace(name, app_entry{app, std::move(s)});
        return true;
      },
      [self](passivate_atom, const std::string& address, std::uint64_t received) {
        // Only when nothing the router sent is still on its way: otherwise a
        // second actor for the same account could be activated beside it.
        auto& st = self->state;
        auto i = st.principals.find(address);
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (i == st.principals.end() || i->second.handle != sender
            || i->second.sent != received)
          return false;
        self->demonitor(i->second.handle);
        st.principals.erase(i);
        return true;
      },
    };
  });
}

} // namespace irsp::message
