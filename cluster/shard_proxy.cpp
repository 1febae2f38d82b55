// The account store's shards as one actor: route by account, and the
// operations that span two shards in steps.
#include "cluster/shard_proxy.hpp"

#include <caf/all.hpp>

#include <memory>

#include "actors/account/binding_store.hpp"
#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"
#include "actors/service_actor.hpp"
#include "actors/storage_errors.hpp"
#include "cluster/as_link_atoms.hpp"
#include "cluster/shard_map.hpp"

namespace irsp::cluster {

namespace {

using account::bind_status;
using account::unbind_status;

struct shards_state {
  std::vector<caf::actor> targets;
  std::string domain;
  static inline const char* name = "irsp.shard_proxy";
};

using shards_actor = caf::stateful_actor<shards_state>;

std::size_t shard(const shards_state& st, const std::string& address) {
  return shard_of(address, st.domain, st.targets.size());
}

// The shard a request about one account goes to.
std::size_t shard_of_request(const shards_state& st, const caf::message& msg) {
  if (msg.match_element<account::register_request>(0))
    return shard_of_name(msg.get_as<account::register_request>(0).name, st.domain,
                         st.targets.size());
  if (msg.match_element<account::modify_request>(0))
    return shard(st, msg.get_as<account::modify_request>(0).address);
  // §8.5 across ASs (docs/federation.md): the side of our own account.
  if (msg.match_elements<as_link_atom, account::bind_request>())
    return shard(st, msg.get_as<account::bind_request>(1).device);
  if (msg.match_elements<as_link_atom, account::unbind_request>())
    return shard(st, msg.get_as<account::unbind_request>(1).account);
  if (msg.match_elements<as_link_atom, bound_atom, std::string, std::string>())
    return shard(st, msg.get_as<std::string>(2));
  if (msg.size() >= 2 && msg.match_element<std::string>(1)
      && (msg.match_element<load_atom>(0) || msg.match_element<find_atom>(0)
          || msg.match_element<scram_atom>(0) || msg.match_element<enqueue_atom>(0)
          || msg.match_element<drain_atom>(0) || msg.match_element<ack_atom>(0)))
    return shard(st, msg.get_as<std::string>(1));
  return 0; // the lifecycle stream, and what names no account
}

void route_the_rest(shards_actor* self) {
  self->set_default_handler(
    [](caf::scheduled_actor* base, caf::message_view& x) -> caf::result<caf::message> {
      auto* self = static_cast<shards_actor*>(base);
      auto msg = x.move_content_to_message();
      auto& target = self->state.targets[shard_of_request(self->state, msg)];
      if (!target)
        return storage_unavailable_error();
      self->delegate(target, std::move(msg));
      return caf::delegated<caf::message>{};
    });
}

template <class Status>
Status failure_of(const caf::error& e) {
  return is_storage_unavailable(e) ? Status::STORAGE_UNAVAILABLE : Status::STORAGE_FAILURE;
}

// Asks shard `k`; `then` gets the answer, `fail` a storage status.
template <class Answer, class Then, class Fail, class... Ts>
void ask_shard(shards_actor* self, std::size_t k, Then then, Fail fail, Ts&&... xs) {
  auto& target = self->state.targets[k];
  if (!target) {
    fail(storage_unavailable_error());
    return;
  }
  self->request(target, caf::infinite, std::forward<Ts>(xs)...)
    .then([then](Answer& a) mutable { then(a); },
          [fail](caf::error& e) mutable { fail(e); });
}

caf::result<bind_status> bind_across(shards_actor* self, const std::string& user,
                                     const std::string& device, const std::string& code) {
  auto rp = self->make_response_promise<bind_status>();
  auto u = shard(self->state, user);
  auto d = shard(self->state, device);
  auto fail = [rp](const caf::error& e) mutable { rp.deliver(failure_of<bind_status>(e)); };
  // The device's half first (its shard checks the code), then the user's;
  // already-bound from the device means a half left by an earlier attempt.
  ask_shard<bind_status>(
    self, d,
    [self, rp, u, d, user, device, fail](bind_status first) mutable {
      if (first != bind_status::OK && first != bind_status::ALREADY_BOUND) {
        rp.deliver(first);
        return;
      }
      ask_shard<bind_status>(
        self, u,
        [self, rp, d, user, device, first](bind_status second) mutable {
          if (second == bind_status::OK || second == bind_status::ALREADY_BOUND) {
            rp.deliver(first == bind_status::OK ? bind_status::OK : second);
            return;
          }
          // Not a user, or the user's shard failed: take the device's half
          // back if this attempt made it (harmless if that fails: alone it
          // binds nothing), then answer.
          if (first != bind_status::OK) {
            rp.deliver(second);
            return;
          }
          auto answer = [rp, second]() mutable { rp.deliver(second); };
          ask_shard<unbind_status>(
            self, d, [answer](unbind_status) mutable { answer(); },
            [answer](const caf::error&) mutable { answer(); }, unbind_half_atom::value, device,
            user);
        },
        fail, bind_half_atom::value, user, device);
    },
    fail, bind_half_atom::value, device, user, code);
  return rp;
}

caf::result<unbind_status> unbind_across(shards_actor* self, const std::string& a,
                                         const std::string& p) {
  auto rp = self->make_response_promise<unbind_status>();
  struct outcome {
    int left = 2;
    bool removed = false;
    std::optional<unbind_status> failed;
  };
  auto state = std::make_shared<outcome>();
  auto done = [rp, state](std::optional<unbind_status> s) mutable {
    if (s == unbind_status::OK)
      state->removed = true;
    else if (s != unbind_status::NOT_BOUND)
      state->failed = s;
    if (--state->left == 0)
      rp.deliver(state->failed ? *state->failed
                 : state->removed ? unbind_status::OK
                                  : unbind_status::NOT_BOUND);
  };
  for (auto [from, to] : {std::pair{a, p}, std::pair{p, a}})
    ask_shard<unbind_status>(
      self, shard(self->state, from),
      [done](unbind_status s) mutable { done(s); },
      [done](const caf::error& e) mutable { done(failure_of<unbind_status>(e)); },
      unbind_half_atom::value, from, to);
  return rp;
}

// After `address` lost its bindings with `peers` on its own shard: their
// halves on other shards go too, then `finish` runs (failures are only
// logged: a half alone binds nothing).
void drop_peer_halves(shards_actor* self, const std::string& address,
                      const std::vector<std::string>& peers, std::function<void()> finish) {
  auto home = shard(self->state, address);
  auto left = std::make_shared<std::size_t>(1);
  auto one_done = [left, finish]() mutable {
    if (--*left == 0)
      finish();
  };
  for (auto& peer : peers) {
    auto k = shard(self->state, peer);
    if (k == home)
      continue;
    ++*left;
    ask_shard<unbind_status>(
      self, k, [one_done](unbind_status) mutable { one_done(); },
      [one_done, peer](const caf::error&) mutable {
        std::fprintf(stderr, "irsp-node: account store: could not remove %s's half binding "
                             "(it binds nothing alone)\n", peer.c_str());
        one_done();
      },
      unbind_half_atom::value, peer, address);
  }
  one_done();
}

// What both proxies start with: the shards, the default route, and
// (put_atom, shard, target).
caf::message_handler init_shards(shards_actor* self, std::string domain, std::size_t shards) {
  self->state.targets.resize(std::max<std::size_t>(1, shards));
  self->state.domain = std::move(domain);
  ignore_stray_errors(self);
  route_the_rest(self);
  return {
    [self](caf::put_atom, std::uint32_t k, const caf::actor& target) {
      if (k < self->state.targets.size())
        self->state.targets[k] = target;
    },
  };
}

} // namespace

caf::actor spawn_account_shards(caf::actor_system& system, std::string domain,
                                std::size_t shards) {
  return system.spawn([domain, shards](shards_actor* self) -> caf::behavior {
    auto put = init_shards(self, domain, shards);
    return caf::message_handler{
      [self](account::bind_request& r) -> caf::result<bind_status> {
        auto& st = self->state;
        auto u = shard(st, r.user);
        if (u == shard(st, r.device)) {
          if (!st.targets[u])
            return bind_status::STORAGE_UNAVAILABLE;
          self->delegate(st.targets[u], std::move(r));
          return caf::delegated<bind_status>{};
        }
        return bind_across(self, r.user, r.device, r.code);
      },
      [self](account::unbind_request& r) -> caf::result<unbind_status> {
        auto& st = self->state;
        auto a = shard(st, r.account);
        if (a == shard(st, r.peer)) {
          if (!st.targets[a])
            return unbind_status::STORAGE_UNAVAILABLE;
          self->delegate(st.targets[a], std::move(r));
          return caf::delegated<unbind_status>{};
        }
        return unbind_across(self, r.account, r.peer);
      },
      [self](account::delete_request& r) -> caf::result<account::delete_response> {
        auto rp = self->make_response_promise<account::delete_response>();
        auto address = r.address;
        ask_shard<account::delete_response>(
          self, shard(self->state, address),
          [self, rp, address](account::delete_response& resp) mutable {
            if (resp.status != account::delete_status::OK) {
              rp.deliver(std::move(resp));
              return;
            }
            auto peers = resp.unbound;
            drop_peer_halves(self, address, peers,
                             [rp, resp]() mutable { rp.deliver(std::move(resp)); });
          },
          [rp](const caf::error& e) mutable { rp.deliver(e); }, std::move(r));
        return rp;
      },
      [self](account::reset_code_request& r) -> caf::result<account::reset_code_response> {
        auto rp = self->make_response_promise<account::reset_code_response>();
        auto address = r.address;
        ask_shard<account::reset_code_response>(
          self, shard(self->state, address),
          [self, rp, address](account::reset_code_response& resp) mutable {
            auto peers = resp.unbound;
            drop_peer_halves(self, address, peers,
                             [rp, resp]() mutable { rp.deliver(std::move(resp)); });
          },
          [rp](const caf::error& e) mutable { rp.deliver(e); }, std::move(r));
        return rp;
      },
    }
      .or_else(put);
  });
}

caf::actor spawn_offline_shards(caf::actor_system& system, std::string domain,
                                std::size_t shards) {
  return system.spawn([domain, shards](shards_actor* self) -> caf::behavior {
    return init_shards(self, domain, shards);
  });
}

} // namespace irsp::cluster
