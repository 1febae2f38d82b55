// IRSP §7.1, §8.2: the account server actor over account_store.
#include "actors/account/account_server.hpp"

#include <caf/actor_pool.hpp>
#include <caf/all.hpp>

#include "actors/account/account_store.hpp"
#include "actors/account/binding_store.hpp"
#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"

namespace irsp::account {

namespace {

caf::behavior account_worker(caf::event_based_actor*, std::shared_ptr<account_store> store,
                             std::shared_ptr<binding_store> bindings) {
  return {
    [bindings](const bind_request& r) { return bindings->bind(r.user, r.device, r.code); },
    [bindings](const unbind_request& r) { return bindings->unbind(r.account, r.peer); },
    [store, bindings](load_atom, const std::string& address) {
      principal_record out;
      if (auto view = store->find(address)) {
        out.view = std::move(*view);
        out.peers = bindings->peers(out.view.address);
      }
      return out;
    },
    [store](const register_request& r) { return store->register_account(r); },
    [store](const modify_request& r) { return store->modify(r); },
    [store](const delete_request& r) { return store->remove(r); },
    [store](const reset_code_request& r) { return store->reset_code(r); },
    [store](find_atom, const std::string& address) {
      return store->find(address).value_or(account_view{});
    },
    [store](scram_atom, const std::string& address, bool sha256) {
      auto normal = store->normalise(address);
      auto record = normal ? store->find_record(*normal) : std::nullopt;
      if (!record)
        return scram_secret{};
      return sha256 ? record->scram_sha256 : record->scram_sha1;
    },
  };
}

} // namespace

caf::actor spawn_account_server(caf::actor_system& system,
                                std::shared_ptr<account_store> store,
                                std::size_t workers) {
  auto bindings = std::make_shared<binding_store>(*store);
  auto factory = [&system, store, bindings] {
    return system.spawn<caf::detached>(account_worker, store, bindings);
  };
  return caf::actor_pool::make(system.dummy_execution_unit(), workers, factory,
                               caf::actor_pool::round_robin());
}

} // namespace irsp::account
