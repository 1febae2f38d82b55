// IRSP §7.1 account server: the §8.2 exchanges as an actor.
#pragma once

#include <cstddef>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/lifecycle/lifecycle_options.hpp"

namespace irsp::account {

class account_store;

/// Spawns the account server: a pool of `workers` detached actors sharing
/// `store`. Detached, because a synced RocksDB write blocks its thread for a
/// disk flush, and that must not stall the scheduler threads other actors
/// run on; several of them, because concurrent syncs become one group commit.
///
/// Handles (request -> reply):
/// - register_request -> register_response          (§8.2.1)
/// - modify_request -> modify_response              (§8.2.2)
/// - delete_request -> delete_response              (§8.2.3)
/// - reset_code_request -> reset_code_response      (§8.2.4)
/// - (find_atom, std::string address) -> account_view; empty address if none,
///   an error if it could not be read
/// - bind_request -> bind_status; unbind_request -> unbind_status
/// - (load_atom, std::string address) -> principal_record, whose status
///   tells a missing account from one that could not be read
/// - (scram_atom, std::string address, bool sha256) -> scram_secret; empty
///   salt if there is no such account, an error if it could not be read
/// - the lifecycle stream's requests (actors/lifecycle/lifecycle_atoms.hpp),
///   over the same database, so that a cluster reaches both the same way
caf::actor spawn_account_server(caf::actor_system& system,
                                std::shared_ptr<account_store> store,
                                std::size_t workers = 4,
                                const lifecycle::lifecycle_options& lifecycle = {});

} // namespace irsp::account
