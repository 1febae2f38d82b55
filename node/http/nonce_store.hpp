// IRSP §8.8.3 replay protection across restarts: the nonce window's entries
// in the account store's RocksDB.
#pragma once

#include <cstdint>
#include <memory>

namespace irsp::account {
class account_store;
} // namespace irsp::account

namespace irsp::http {

class nonce_window;

/// Puts back into `window` the nonces a previous run accepted that have not
/// expired by `now` (deleting those that have), then keeps every nonce it
/// accepts from now on in `store` (synced, like any acknowledged change:
/// a request answered must stay refused as a replay after a crash), and
/// deletes them once expired.
void keep_nonces(nonce_window& window, std::shared_ptr<account::account_store> store,
                 std::int64_t now);

} // namespace irsp::http
