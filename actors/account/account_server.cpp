// IRSP §7.1, §8.2: the account server actor over account_store.
#include "actors/account/account_server.hpp"

#include <caf/actor_pool.hpp>
#include <caf/all.hpp>

#include "actors/account/account_store.hpp"
#include "actors/account/binding_store.hpp"
#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"
#include "actors/lifecycle/lifecycle_handlers.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"
#include "actors/service_actor.hpp"
#include "cluster/as_link_atoms.hpp"

namespace irsp::account {

namespace {

caf::behavior account_worker(caf::event_based_actor* self, std::shared_ptr<account_store> store,
                             std::shared_ptr<binding_store> bindings,
                             std::shared_ptr<lifecycle::lifecycle_store> lifecycle) {
  ignore_stray_errors(self);
  return caf::message_handler{
    [bindings](const bind_request& r) { return bindings->bind(r.user, r.device, r.code); },
    [bindings](const unbind_request& r) { return bindings->unbind(r.account, r.peer); },
    // §8.5 across ASs (docs/federation.md): each AS records its own side.
    [bindings](cluster::as_link_atom, const bind_request& r) {
      return bindings->bind_remote_user(r.device, r.user, r.code);
    },
    [bindings](cluster::as_link_atom, bound_atom, const std::string& user,
               const std::string& device) { return bindings->add_remote_device(user, device); },
    [bindings](cluster::as_link_atom, const unbind_request& r) {
      return bindings->unbind_remote(r.account, r.peer); // account: ours, peer: theirs
    },
    [bindings](bind_half_atom, const std::string& device, const std::string& user,
               const std::string& code) { return bindings->bind_device_half(device, user, code); },
    [bindings](bind_half_atom, const std::string& user, const std::string& device) {
      return bindings->bind_user_half(user, device);
    },
    [bindings](unbind_half_atom, const std::string& account, const std::string& peer) {
      return bindings->unbind_half(account, peer);
    },
    [store, bindings](load_atom, const std::string& address) {
      // A read that failed says `failed`, never "no such account": the actor
      // must not settle on a wrong answer because the disk hiccuped.
      principal_record out;
      auto normal = store->normalise(address);
      if (!normal) {
        out.status = lookup_status::missing;
        return out;
      }
      account_record record;
      out.status = store->lookup(*normal, record);
      if (out.status != lookup_status::found)
        return out;
      out.view = std::move(record.view);
      if (!bindings->peers(out.view.address, out.peers)) {
        out.peers.clear();
        out.status = lookup_status::failed;
      }
      return out;
    },
    [store](const register_request& r) { return store->register_account(r); },
    [store](const modify_request& r) { return store->modify(r); },
    [store](const delete_request& r) { return store->remove(r); },
    [store](const reset_code_request& r) { return store->reset_code(r); },
    [store](find_atom, const std::string& address) -> caf::result<account_view> {
      auto normal = store->normalise(address);
      account_record record;
      auto found = normal ? store->lookup(*normal, record) : lookup_status::missing;
      if (found == lookup_status::failed)
        return caf::make_error(caf::sec::runtime_error, "storage-failure");
      return found == lookup_status::found ? record.view : account_view{};
    },
    [store](scram_atom, const std::string& address,
            bool sha256) -> caf::result<scram_secret> {
      auto normal = store->normalise(address);
      account_record record;
      auto found = normal ? store->lookup(*normal, record) : lookup_status::missing;
      // An error, not an empty secret: the login is then refused for now
      // (temporary-auth-failure), not as if the account did not exist.
      if (found == lookup_status::failed)
        return caf::make_error(caf::sec::runtime_error, "storage-failure");
      if (found == lookup_status::missing)
        return scram_secret{};
      return sha256 ? record.scram_sha256 : record.scram_sha1;
    },
  }
    .or_else(lifecycle::lifecycle_handlers(std::move(lifecycle)));
}

} // namespace

caf::actor spawn_account_server(caf::actor_system& system,
                                std::shared_ptr<account_store> store,
                                std::size_t workers,
                                std::shared_ptr<lifecycle::lifecycle_store> lifecycle) {
  auto bindings = std::make_shared<binding_store>(*store);
  if (!lifecycle)
    lifecycle = std::make_shared<lifecycle::lifecycle_store>(store);
  auto factory = [&system, store, bindings, lifecycle] {
    return system.spawn<caf::detached>(account_worker, store, bindings, lifecycle);
  };
  return caf::actor_pool::make(system.dummy_execution_unit(), workers, factory,
                               caf::actor_pool::round_robin());
}

} // namespace irsp::account
