// Offline queue over RocksDB: key "q/<address>\0<seq, 8 bytes big-endian>",
// value a schema::OfflineMessage; "m/seq" persists the sequence counter so
// order holds across restarts.
#include "actors/offline/offline_store.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstring>
#include <filesystem>

namespace irsp::offline {

namespace {

const std::string seq_key = "m/seq";

std::string prefix_of(const std::string& address) {
  std::string k = "q/" + address;
  k += '\0';
  return k;
}

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8)
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

std::uint64_t from_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (unsigned char c : s.substr(0, 8))
    v = (v << 8) | c;
  return v;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string encode(const message::delivery& d, std::int64_t stored, std::int64_t expires) {
  capnp::MallocMessageBuilder b;
  auto m = b.initRoot<schema::OfflineMessage>();
  m.setKind(d.kind);
  m.setFrom(d.from);
  m.setPayload({reinterpret_cast<const kj::byte*>(d.payload.data()), d.payload.size()});
  m.setStoredMs(stored);
  m.setExpiresMs(expires);
  auto words = capnp::messageToFlatArray(b); // owns the bytes below
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

bool decode(rocksdb::Slice v, message::delivery& d, std::int64_t& expires) {
  if (v.size() == 0 || v.size() % sizeof(capnp::word) != 0)
    return false;
  auto words = kj::heapArray<capnp::word>(v.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), v.data(), v.size());
  return kj::runCatchingExceptions([&] {
           capnp::FlatArrayMessageReader r(words);
           auto m = r.getRoot<schema::OfflineMessage>();
           d.kind = m.getKind();
           d.from = m.getFrom().cStr();
           auto p = m.getPayload();
           d.payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
           d.stored_ms = m.getStoredMs();
           expires = m.getExpiresMs();
         })
         == nullptr;
}

} // namespace

std::unique_ptr<offline_store> offline_store::open(const offline_options& options,
                                                   std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  rocksdb::Options o;
  o.create_if_missing = true;
  if (options.env != nullptr)
    o.env = options.env;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, options.path, &raw);
  if (!s.ok()) {
    error = "cannot open offline store " + options.path + ": " + s.ToString();
    return nullptr;
  }
  std::unique_ptr<rocksdb::DB> db{raw};
  std::string seq;
  std::uint64_t next = 1;
  if (db->Get(rocksdb::ReadOptions{}, seq_key, &seq).ok())
    next = from_be64(seq) + 1;
  return std::unique_ptr<offline_store>(new offline_store(options, std::move(db), next));
}

offline_store::offline_store(offline_options options, std::unique_ptr<rocksdb::DB> db,
                             std::uint64_t seq)
  : options_(std::move(options)), db_(std::move(db)), next_seq_(seq) {
}

offline_store::~offline_store() {
  if (db_)
    db_->Close();
}

std::size_t offline_store::count_locked(const std::string& address) {
  auto i = counts_.find(address);
  if (i != counts_.end())
    return i->second;
  std::size_t n = 0;
  auto prefix = prefix_of(address);
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{})};
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    ++n;
  counts_[address] = n;
  return n;
}

enqueue_result offline_store::enqueue(const std::string& address, message::delivery d) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto n = count_locked(address);
  if (n >= options_.max_per_account) {
    // Expired messages do not hold a place: make room before refusing.
    scan_locked(address, nullptr);
    n = count_locked(address);
    if (n >= options_.max_per_account)
      return enqueue_result::full;
  }
  auto now = now_ms();
  auto seq = next_seq_++;
  rocksdb::WriteBatch batch;
  batch.Put(prefix_of(address) + be64(seq), encode(d, now, now + options_.ttl_ms));
  batch.Put(seq_key, be64(seq));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  if (!db_->Write(wo, &batch).ok())
    return enqueue_result::failed;
  counts_[address] = n + 1;
  return enqueue_result::queued;
}

void offline_store::scan_locked(const std::string& address, drained* live) {
  auto prefix = prefix_of(address);
  auto now = now_ms();
  rocksdb::WriteBatch expired;
  std::size_t count = 0;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{})};
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    message::delivery d;
    std::int64_t expires = 0;
    if (!decode(it->value(), d, expires) || expires <= now) {
      expired.Delete(it->key());
      continue;
    }
    ++count;
    if (live != nullptr) {
      live->messages.push_back(std::move(d));
      live->last_key = it->key().ToString();
    }
  }
  if (expired.Count() == 0 || db_->Write(rocksdb::WriteOptions{}, &expired).ok())
    counts_[address] = count;
}

drained offline_store::peek(const std::string& address) {
  std::lock_guard<std::mutex> guard{mutex_};
  drained out;
  scan_locked(address, &out);
  return out;
}

bool offline_store::ack(const std::string& address, const std::string& last_key) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto prefix = prefix_of(address);
  if (last_key.compare(0, prefix.size(), prefix) != 0)
    return false;
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{})};
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix)
                         && it->key().compare(last_key) <= 0;
       it->Next())
    batch.Delete(it->key());
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  if (!db_->Write(wo, &batch).ok())
    return false;
  counts_.erase(address);
  return true;
}

std::size_t offline_store::size(const std::string& address) {
  std::lock_guard<std::mutex> guard{mutex_};
  return count_locked(address);
}

} // namespace irsp::offline
