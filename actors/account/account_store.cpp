// IRSP §8.2.1–8.2.4 over RocksDB: every acknowledged change is in a synced WAL.
#include "actors/account/account_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <filesystem>

#include "actors/account/account_keys.hpp"
#include "actors/account/binding_store.hpp"
#include "actors/account/name_rules.hpp"
#include "actors/account/prefix_scan.hpp"

namespace irsp::account {

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Display fields must be well-formed UTF-8 without control characters.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f)
        return false;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
    } else {
      return false;
    }
    if (i + n >= s.size() && n > 0)
      return false;
    for (std::size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
        return false;
    i += n + 1;
  }
  return true;
}

bool fits(std::string_view s, std::size_t max) {
  return s.size() <= max && valid_utf8(s);
}

// Secrets for both SCRAM hashes: clients choose their mechanism at login.
void set_password(account_record& r, const std::string& prepared, std::uint32_t iterations) {
  r.scram_sha256 = derive_scram_secret(scram_hash::sha256, prepared, iterations);
  r.scram_sha1 = derive_scram_secret(scram_hash::sha1, prepared, iterations);
}

// nullopt: fine; otherwise whether it was missing (true) or weak (false).
std::optional<bool> password_problem(std::string_view password,
                                     std::optional<std::string>& prepared) {
  if (password.empty())
    return true;
  if (password.size() > max_password_octets)
    return false;
  prepared = saslprep(password);
  if (!prepared || prepared->size() < min_password_octets)
    return false;
  return std::nullopt;
}

// Adds to `batch` the deletion of every key under `prefix`; false when the
// scan failed part way (then the batch must not be written).
bool erase_prefix(rocksdb::DB* db, const std::string& prefix, rocksdb::WriteBatch& batch) {
  prefix_scan scan{db, prefix};
  for (; scan.valid(); scan.next())
    batch.Delete(scan.key());
  return scan.ok();
}

// Adds to `batch` the deletion of everything kept for `address` besides its
// record: its bindings (both directions) and its offline queue.
bool erase_account_data(rocksdb::DB* db, const std::string& address,
                        rocksdb::WriteBatch& batch, std::vector<std::string>& unbound) {
  if (!binding_store::erase_all(db, address, batch, unbound))
    return false;
  // Only what is there: a registration calls this for every new name, and a
  // tombstone per name would be skipped by scans until compaction.
  std::string meta;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::queue_meta(address), &meta);
  if (got.ok())
    batch.Delete(keys::queue_meta(address));
  else if (!got.IsNotFound())
    return false;
  return erase_prefix(db, keys::queue_of(address), batch);
}

} // namespace

std::unique_ptr<account_store> account_store::open(const store_options& options,
                                                   std::string& error) {
  if (!options.domain.empty() && !valid_domain(options.domain)) {
    error = "invalid domain '" + options.domain + "'";
    return nullptr;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    error = "cannot create data directory " + options.path + ": " + ec.message();
    return nullptr;
  }
  auto db_options = std::make_unique<rocksdb::Options>();
  db_options->create_if_missing = true;
  // Records are mostly salts and keys: random bytes do not compress.
  db_options->compression = rocksdb::kNoCompression;
  db_options->IncreaseParallelism(2);
  if (options.env != nullptr)
    db_options->env = options.env;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(*db_options, options.path, &raw);
  if (!status.ok()) {
    error = "cannot open account store " + options.path + ": " + status.ToString();
    if (status.ToString().find("lock") != std::string::npos)
      error += " (is a node already running on this data dir?)";
    return nullptr;
  }
  std::unique_ptr<rocksdb::DB> db{raw};
  // A snapshot clears the store (its domain too) before it fills it again.
  std::string partial;
  if (!options.accept_partial_replica
      && db->Get(rocksdb::ReadOptions{}, keys::replica_incomplete, &partial).ok()) {
    error = "data dir " + options.path
            + " holds a half-received replica snapshot: it is a copy of nothing";
    return nullptr;
  }
  // A data dir belongs to one domain for life: every stored address ends in it.
  auto effective = options;
  std::string stored;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::domain, &stored);
  if (got.ok()) {
    if (!options.domain.empty() && options.domain != stored) {
      error = "data dir " + options.path + " belongs to domain '" + stored
              + "', not '" + options.domain + "'";
      return nullptr;
    }
    effective.domain = stored;
  } else {
    if (effective.domain.empty())
      effective.domain = "localhost";
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (!db->Put(wo, keys::domain, effective.domain).ok()) {
      error = "cannot write to account store " + options.path;
      return nullptr;
    }
  }
  return std::unique_ptr<account_store>(
    new account_store(effective, std::move(db_options), std::move(db)));
}

account_store::account_store(store_options options, std::unique_ptr<rocksdb::Options> db_options,
                             std::unique_ptr<rocksdb::DB> db)
  : options_(std::move(options)), db_options_(std::move(db_options)), db_(std::move(db)) {
}

account_store::~account_store() {
  if (db_)
    db_->Close();
}

std::size_t account_store::stripe_of(std::string_view address) const {
  return std::hash<std::string_view>{}(address) % stripes_.size();
}

std::unique_lock<std::mutex> account_store::lock(std::string_view address) {
  return std::unique_lock<std::mutex>{stripes_[stripe_of(address)]};
}

std::pair<std::unique_lock<std::mutex>, std::unique_lock<std::mutex>>
account_store::lock_both(std::string_view a, std::string_view b) {
  auto first = stripe_of(a);
  auto second = stripe_of(b);
  if (first == second)
    return {std::unique_lock<std::mutex>{stripes_[first]}, std::unique_lock<std::mutex>{}};
  if (first > second)
    std::swap(first, second);
  std::unique_lock<std::mutex> one{stripes_[first]};
  std::unique_lock<std::mutex> two{stripes_[second]};
  return {std::move(one), std::move(two)};
}

db_access account_store::access() const {
  if (needs_recovery_.load())
    recover();
  db_access out{std::shared_lock<std::shared_mutex>{db_mutex_}, nullptr};
  out.db = db_.get();
  return out;
}

void account_store::set_replicator(std::shared_ptr<replicator> r) {
  std::lock_guard<std::mutex> guard{replicator_mutex_};
  replicator_ = std::move(r);
}

bool account_store::partial_replica() const {
  auto db = access();
  std::string ignored;
  return db && db->Get(rocksdb::ReadOptions{}, keys::replica_incomplete, &ignored).ok();
}

std::optional<std::size_t> account_store::shard_count() const {
  auto db = access();
  if (!db)
    return std::nullopt;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::shard_count, &v);
  if (got.ok())
    return static_cast<std::size_t>(std::stoull(v));
  if (!got.IsNotFound())
    return std::nullopt;
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{})};
  it->Seek(std::string{keys::account_prefix});
  if (!it->status().ok())
    return std::nullopt;
  return it->Valid() && it->key().starts_with(keys::account_prefix) ? 1 : 0;
}

bool account_store::set_shard_count(std::size_t shards) {
  auto db = access();
  rocksdb::WriteBatch batch;
  batch.Put(keys::shard_count, std::to_string(shards));
  return write_unreplicated(db, batch, true) == write_status::ok;
}

write_status account_store::write_unreplicated(const db_access& db, rocksdb::WriteBatch& batch,
                                               bool sync) const {
  if (!db)
    return write_status::failed;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes || sync;
  if (db->Write(wo, &batch).ok())
    return write_status::ok;
  needs_recovery_ = true;
  return write_status::failed;
}

write_status account_store::write(const db_access& db, rocksdb::WriteBatch& batch,
                                  bool force_sync) const {
  if (!db)
    return write_status::failed;
  auto local_write = [&] { return write_unreplicated(db, batch, force_sync) == write_status::ok; };
  std::shared_ptr<replicator> copier;
  {
    std::lock_guard<std::mutex> guard{replicator_mutex_};
    copier = replicator_;
  }
  if (copier)
    return copier->replicate(batch, local_write);
  return local_write() ? write_status::ok : write_status::failed;
}

// Whether the disk takes a small synced write in the database's directory:
// reopening while it does not would only trade a read-only database for none.
bool account_store::writable() const {
  auto fs = db_options_->env->GetFileSystem();
  auto probe = options_.path + "/RECOVERY-PROBE";
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOOptions io;
  bool ok = fs->NewWritableFile(probe, rocksdb::FileOptions{}, &file, nullptr).ok()
            && file->Append("probe", io, nullptr).ok() && file->Sync(io, nullptr).ok();
  if (file)
    file->Close(io, nullptr);
  fs->DeleteFile(probe, io, nullptr);
  return ok;
}

void account_store::recover() const {
  std::unique_lock<std::shared_mutex> exclusive{db_mutex_};
  auto now = std::chrono::steady_clock::now();
  if (!needs_recovery_ || now - last_recovery_ < options_.recovery_interval)
    return;
  last_recovery_ = now;
  // Resume() clears errors RocksDB deems recoverable. A failed WAL write is
  // not one (the log may end in a torn record): the database must be
  // reopened, which replays the log up to its last whole record.
  if (db_ && db_->Resume().ok()) {
    needs_recovery_ = false;
    return;
  }
  if (!writable())
    return; // still faulty: keep serving reads from the open database
  if (db_) {
    db_->Close();
    db_.reset();
  }
  rocksdb::DB* raw = nullptr;
  if (rocksdb::DB::Open(*db_options_, options_.path, &raw).ok()) {
    db_.reset(raw);
    needs_recovery_ = false;
  }
}

std::optional<std::string> account_store::normalise(std::string_view address) const {
  auto parts = split_address(address);
  if (!parts || parts->second != options_.domain)
    return std::nullopt;
  auto local = prepare_localpart(parts->first);
  if (!local)
    return std::nullopt;
  return *local + "@" + options_.domain;
}

register_response account_store::register_account(const register_request& req) {
  register_response out;
  if (!req.requester.empty() && !options_.open_registration) {
    out.status = register_status::NOT_ALLOWED;
    return out;
  }
  auto local = prepare_localpart(req.name);
  if (!local) {
    out.status = register_status::BAD_NAME;
    return out;
  }
  std::optional<std::string> prepared;
  if (auto problem = password_problem(req.password, prepared)) {
    out.status = *problem ? register_status::MISSING_PASSWORD : register_status::WEAK_PASSWORD;
    return out;
  }
  bool device = req.kind == account_kind::DEVICE;
  if (!fits(req.display_name, max_display_name_octets)
      || !fits(req.device.model, max_device_field_octets)
      || !fits(req.device.manufacturer, max_device_field_octets)
      || !fits(req.device.serial, max_device_field_octets)) {
    out.status = register_status::BAD_VALUE;
    return out;
  }
  if (device && (req.device.model.empty() || req.device.manufacturer.empty()
                 || req.device.serial.empty())) {
    out.status = register_status::MISSING_DEVICE_INFO;
    return out;
  }
  auto address = *local + "@" + options_.domain;
  account_record r;
  r.view.address = address;
  r.view.kind = req.kind;
  r.view.display_name = req.display_name;
  if (device)
    r.view.device = req.device;
  // Key derivation is the expensive part; do it before taking the lock.
  set_password(r, *prepared, options_.scram_iterations);
  std::string code;
  if (device) {
    code = random_verification_code();
    r.code = hash_code(code);
  }
  auto guard = lock(address);
  auto db = access();
  account_record existing;
  auto found = lookup(db, address, existing);
  if (found != lookup_status::missing) {
    out.status = found == lookup_status::found ? register_status::EXISTS
                                               : register_status::STORAGE_FAILURE;
    return out;
  }
  r.view.created_ms = r.view.modified_ms = r.code_issued_ms = now_ms();
  r.view.version = 1;
  rocksdb::WriteBatch batch;
  batch.Put(keys::account(address), encode_record(r));
  // A new account starts with nothing: whatever an older store left under
  // this name (bindings or messages of a deleted namesake) goes in the same
  // write, so the name cannot inherit it.
  std::vector<std::string> stale;
  auto written = erase_account_data(db.db, address, batch, stale) ? write(db, batch)
                                                                  : write_status::failed;
  if (written != write_status::ok) {
    out.status = write_failure<register_status>(written);
    return out;
  }
  out.status = register_status::OK;
  out.address = address;
  out.verification_code = code;
  return out;
}

modify_response account_store::modify(const modify_request& req) {
  modify_response out;
  auto address = normalise(req.address);
  if (!address) {
    out.status = modify_status::NO_SUCH_ACCOUNT;
    return out;
  }
  if (!req.requester.empty() && req.requester != *address) {
    out.status = modify_status::NOT_ALLOWED;
    return out;
  }
  if (req.changes.empty()) {
    out.status = modify_status::NO_CHANGES;
    return out;
  }
  auto guard = lock(*address);
  auto db = access();
  account_record r;
  auto found = lookup(db, *address, r);
  if (found != lookup_status::found) {
    out.status = found == lookup_status::missing ? modify_status::NO_SUCH_ACCOUNT
                                                 : modify_status::STORAGE_FAILURE;
    return out;
  }
  if (req.expected_version != 0 && req.expected_version != r.view.version) {
    out.status = modify_status::VERSION_CONFLICT;
    out.version = r.view.version;
    return out;
  }
  bool device = r.view.kind == account_kind::DEVICE;
  for (const auto& [key, value] : req.changes) {
    std::string* device_field = key == "model"          ? &r.view.device.model
                                : key == "manufacturer" ? &r.view.device.manufacturer
                                : key == "serial"       ? &r.view.device.serial
                                                        : nullptr;
    if (key == "name") {
      if (!fits(value, max_display_name_octets)) {
        out.status = modify_status::BAD_VALUE;
        return out;
      }
      r.view.display_name = value;
    } else if (device_field != nullptr) {
      if (!device) {
        out.status = modify_status::NOT_A_DEVICE;
        return out;
      }
      if (value.empty() || !fits(value, max_device_field_octets)) {
        out.status = modify_status::BAD_VALUE;
        return out;
      }
      *device_field = value;
    } else if (key == "password") {
      std::optional<std::string> prepared;
      if (auto problem = password_problem(value, prepared)) {
        out.status = *problem ? modify_status::MISSING_PASSWORD : modify_status::WEAK_PASSWORD;
        return out;
      }
      set_password(r, *prepared, options_.scram_iterations);
    } else {
      out.status = modify_status::UNKNOWN_FIELD;
      return out;
    }
  }
  r.view.modified_ms = now_ms();
  r.view.version += 1;
  rocksdb::WriteBatch batch;
  batch.Put(keys::account(*address), encode_record(r));
  if (auto written = write(db, batch); written != write_status::ok) {
    out.status = write_failure<modify_status>(written);
    return out;
  }
  out.status = modify_status::OK;
  out.version = r.view.version;
  return out;
}

delete_response account_store::remove(const delete_request& req) {
  delete_response out;
  auto address = normalise(req.address);
  if (!address) {
    out.status = delete_status::NO_SUCH_ACCOUNT;
    return out;
  }
  if (!req.requester.empty() && req.requester != *address) {
    out.status = delete_status::NOT_ALLOWED;
    return out;
  }
  // Binds and enqueues take this lock too and check that the account exists
  // under it, so nothing can be added for the account while it goes.
  auto guard = lock(*address);
  auto db = access();
  account_record existing;
  auto found = lookup(db, *address, existing);
  if (found != lookup_status::found) {
    out.status = found == lookup_status::missing ? delete_status::NO_SUCH_ACCOUNT
                                                 : delete_status::STORAGE_FAILURE;
    return out;
  }
  // One synced write: the record, both directions of every binding, and
  // every queued message.
  rocksdb::WriteBatch batch;
  batch.Delete(keys::account(*address));
  auto written = erase_account_data(db.db, *address, batch, out.unbound) ? write(db, batch)
                                                                         : write_status::failed;
  if (written != write_status::ok) {
    out.unbound.clear();
    out.status = write_failure<delete_status>(written);
    return out;
  }
  out.status = delete_status::OK;
  return out;
}

reset_code_response account_store::reset_code(const reset_code_request& req) {
  reset_code_response out;
  auto address = normalise(req.address);
  if (!address) {
    out.status = reset_code_status::NO_SUCH_ACCOUNT;
    return out;
  }
  if (!req.requester.empty() && req.requester != *address) {
    out.status = reset_code_status::NOT_ALLOWED;
    return out;
  }
  auto guard = lock(*address);
  auto db = access();
  account_record found;
  auto status = lookup(db, *address, found);
  if (status != lookup_status::found) {
    out.status = status == lookup_status::missing ? reset_code_status::NO_SUCH_ACCOUNT
                                                  : reset_code_status::STORAGE_FAILURE;
    return out;
  }
  if (found.view.kind != account_kind::DEVICE) {
    out.status = reset_code_status::NOT_A_DEVICE;
    return out;
  }
  auto code = random_verification_code();
  found.code = hash_code(code);
  found.code_issued_ms = found.view.modified_ms = now_ms();
  found.view.version += 1;
  rocksdb::WriteBatch batch;
  batch.Put(keys::account(*address), encode_record(found));
  bool scanned = !options_.reset_unbinds
                 || binding_store::erase_all(db.db, *address, batch, out.unbound);
  auto written = scanned ? write(db, batch) : write_status::failed;
  if (written != write_status::ok) {
    out.status = write_failure<reset_code_status>(written);
    out.unbound.clear();
    return out;
  }
  out.status = reset_code_status::OK;
  out.verification_code = code;
  return out;
}

lookup_status account_store::lookup(const db_access& db, std::string_view address,
                                  account_record& out) const {
  if (!db)
    return lookup_status::failed;
  std::string value;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::account(address), &value);
  if (got.IsNotFound())
    return lookup_status::missing;
  if (!got.ok())
    return lookup_status::failed;
  auto record = decode_record(value);
  if (!record)
    return lookup_status::failed; // there is something, and it is not readable
  out = std::move(*record);
  return lookup_status::found;
}

lookup_status account_store::exists(const db_access& db, std::string_view address) const {
  if (!db)
    return lookup_status::failed;
  rocksdb::PinnableSlice value;
  auto got = db->Get(rocksdb::ReadOptions{}, db->DefaultColumnFamily(), keys::account(address),
                     &value);
  return got.ok() ? lookup_status::found
                  : got.IsNotFound() ? lookup_status::missing : lookup_status::failed;
}

lookup_status account_store::lookup(std::string_view address, account_record& out) const {
  return lookup(access(), address, out);
}

std::optional<account_record> account_store::find_record(std::string_view address) const {
  account_record out;
  if (lookup(address, out) != lookup_status::found)
    return std::nullopt;
  return out;
}

std::optional<account_view> account_store::find(std::string_view address) const {
  auto normal = normalise(address);
  if (!normal)
    return std::nullopt;
  auto record = find_record(*normal);
  if (!record)
    return std::nullopt;
  return record->view;
}

void account_store::for_each(const std::function<bool(const account_view&)>& visit) const {
  auto db = access();
  if (!db)
    return;
  prefix_scan scan{db.db, std::string{keys::account_prefix}};
  for (; scan.valid(); scan.next()) {
    auto record = decode_record({scan.value().data(), scan.value().size()});
    if (record && !visit(record->view))
      return;
  }
}

} // namespace irsp::account
