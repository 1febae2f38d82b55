// How an actor tells "no node serves the account store now" from a failure.
#pragma once

#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace irsp {

/// The error a node's storage proxy answers when no live node serves the
/// account store (cluster/storage_proxy.hpp).
inline caf::error storage_unavailable_error() {
  return caf::make_error(caf::sec::cannot_connect_to_node, "storage-unavailable");
}

/// Whether `e` says the store has no live copy to serve it (the proxy's
/// answer, or its node died with the request): storage-unavailable, not
/// storage-failure and never no-such-account.
inline bool is_storage_unavailable(const caf::error& e) {
  return e == caf::sec::cannot_connect_to_node || e == caf::sec::request_receiver_down;
}

} // namespace irsp
