// Upgrading a data dir: the separate offline RocksDB of earlier versions
// ("q/<address>\0<seq>" keys, the same layout) into the account store.
#include "actors/offline/legacy_offline_import.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <memory>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/offline/offline_record.hpp"

namespace irsp::offline {

namespace keys = account::keys;

namespace {

// A batch is written once it holds this much, so that a large backlog does
// not have to fit in memory at once.
constexpr std::size_t batch_bytes = 8 << 20;

std::string be64_pair(std::uint64_t a, std::uint64_t b) {
  auto out = account::keys::be64(a);
  account::keys::append_be64(out, b);
  return out;
}

// The address of a "q/<address>\0<8 bytes>" key; empty if it is not one.
std::string address_of(const rocksdb::Slice& key) {
  if (key.size() < 2 + 1 + 1 + 8 || !key.starts_with("q/") || key[key.size() - 9] != '\0')
    return {};
  return std::string(key.data() + 2, key.size() - 2 - 9);
}

} // namespace

bool import_legacy_offline(account::account_store& accounts, const std::string& path,
                           std::string& error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec))
    return true;
  auto db = accounts.access();
  if (!db) {
    error = "cannot import the offline store " + path + ": the account store is unavailable";
    return false;
  }
  std::string marker;
  auto done = db->Get(rocksdb::ReadOptions{}, keys::legacy_offline_imported, &marker);
  if (!done.ok() && !done.IsNotFound()) {
    error = "cannot read the account store: " + done.ToString();
    return false;
  }
  if (done.IsNotFound()) {
    rocksdb::Options o;
    rocksdb::DB* raw = nullptr;
    auto opened = rocksdb::DB::OpenForReadOnly(o, path, &raw);
    if (!opened.ok()) {
      error = "cannot import the offline store " + path + ": " + opened.ToString();
      return false;
    }
    std::unique_ptr<rocksdb::DB> old{raw};
    rocksdb::WriteBatch batch;
    std::string current;      // the address whose messages are being copied
    account::account_record owner;
    bool owner_found = false;
    std::uint64_t count = 0, last_seq = 0;
    auto finish_queue = [&] {
      if (owner_found && count > 0)
        batch.Put(keys::queue_meta(current), be64_pair(count, last_seq + 1));
    };
    std::unique_ptr<rocksdb::Iterator> it{old->NewIterator(rocksdb::ReadOptions{})};
    for (it->Seek("q/"); it->Valid() && it->key().starts_with("q/"); it->Next()) {
      auto address = address_of(it->key());
      if (address != current) {
        finish_queue();
        if (batch.GetDataSize() > batch_bytes) {
          if (accounts.write(db, batch, true) != account::write_status::ok) {
            error = "cannot write the imported offline messages to the account store";
            return false;
          }
          batch.Clear();
        }
        current = address;
        count = last_seq = 0;
        auto found = address.empty() ? account::lookup_status::missing
                                     : accounts.lookup(db, address, owner);
        if (found == account::lookup_status::failed) {
          error = "cannot read account " + address + " while importing offline messages";
          return false;
        }
        owner_found = found == account::lookup_status::found;
      }
      message::delivery d;
      std::int64_t expires = 0;
      if (!owner_found
          || !decode_offline({it->value().data(), it->value().size()}, d, expires)
          || d.stored_ms < owner.view.created_ms)
        continue; // its account is gone, or it was a deleted namesake's
      batch.Put(it->key(), it->value());
      ++count;
      last_seq = keys::queued_seq({it->key().data(), it->key().size()});
    }
    if (!it->status().ok()) {
      error = "cannot read the offline store " + path + ": " + it->status().ToString();
      return false;
    }
    finish_queue();
    it.reset();
    old.reset();
    batch.Put(keys::legacy_offline_imported, "");
    // Synced whatever sync_writes says: the old store goes next.
    if (accounts.write(db, batch, true) != account::write_status::ok) {
      error = "cannot write the imported offline messages to the account store";
      return false;
    }
  }
  fs::remove_all(path, ec);
  if (ec) {
    error = "imported the offline store " + path + " but cannot remove it: " + ec.message();
    return false;
  }
  return true;
}

} // namespace irsp::offline
