// IRSP §8.8.3: used nonces survive a restart (see nonce_store.hpp).
#include "node/http/nonce_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <string>
#include <vector>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/prefix_scan.hpp"
#include "node/http/nonce_window.hpp"

namespace irsp::http {

namespace keys = account::keys;

void keep_nonces(nonce_window& window, std::shared_ptr<account::account_store> store,
                 std::int64_t now) {
  if (auto db = store->access()) {
    rocksdb::WriteBatch expired;
    account::prefix_scan it{db.db, std::string{keys::nonce_prefix}};
    for (; it.valid(); it.next()) {
      auto expires = static_cast<std::int64_t>(keys::read_be64(it.value().ToStringView()));
      if (it.value().size() == 8 && expires >= now)
        window.restore(it.suffix(), expires, now);
      else
        expired.Delete(it.key());
    }
    if (expired.Count() > 0)
      store->write(db, expired);
  }
  nonce_window::persistence p;
  p.keep = [store](const std::string& entry, std::int64_t expires) {
    auto db = store->access();
    rocksdb::WriteBatch batch;
    batch.Put(keys::used_nonce(entry), keys::be64(static_cast<std::uint64_t>(expires)));
    store->write(db, batch);
  };
  p.drop = [store](const std::vector<std::string>& entries) {
    auto db = store->access();
    rocksdb::WriteBatch batch;
    for (auto& entry : entries)
      batch.Delete(keys::used_nonce(entry));
    store->write(db, batch);
  };
  window.persist_to(std::move(p));
}

} // namespace irsp::http
