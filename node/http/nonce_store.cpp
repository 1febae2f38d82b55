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

namespace {

namespace keys = account::keys;

std::string to_be64(std::int64_t v) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8)
    out += static_cast<char>((static_cast<std::uint64_t>(v) >> shift) & 0xff);
  return out;
}

std::int64_t from_be64(rocksdb::Slice s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < s.size(); ++i)
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  return static_cast<std::int64_t>(v);
}

} // namespace

void keep_nonces(nonce_window& window, std::shared_ptr<account::account_store> store,
                 std::int64_t now) {
  if (auto db = store->access()) {
    rocksdb::WriteBatch expired;
    account::prefix_scan it{db.db, std::string{keys::nonce_prefix}};
    for (; it.valid(); it.next()) {
      auto expires = from_be64(it.value());
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
    batch.Put(keys::used_nonce(entry), to_be64(expires));
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
