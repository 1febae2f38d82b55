// Offline delivery as a module of the message path (principal_module.hpp):
// what a user/device actor cannot deliver goes to the offline queue, and
// comes out again when the account next has a session.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "actors/message/exchanges.hpp"
#include "actors/principal/principal_module.hpp"

namespace irsp::offline {

/// The module over `queue` (offline_queue.hpp; in a cluster, the proxy that
/// finds each account's shard).
std::shared_ptr<principal::principal_module> make_offline_module(caf::actor queue);

/// For a session that ends for good with deliveries it never acknowledged
/// (XEP-0198): each is kept in `queue` as if the account had been offline.
std::function<void(const std::string& address, message::delivery d)>
keep_unacknowledged(caf::actor queue);

} // namespace irsp::offline
