// Issue 15: the lifecycle stream over the account store's RocksDB.
#include "actors/lifecycle/lifecycle_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstring>
#include <tuple>
#include <unordered_map>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/prefix_scan.hpp"
#include "schema/flat_message.hpp"

namespace irsp::lifecycle {

namespace keys = account::keys;
using account::write_status;
using message::presence_event;

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool newer(const presence_event& a, const presence_event& b) {
  return std::tie(a.epoch, a.sequence) > std::tie(b.epoch, b.sequence);
}

} // namespace

std::string encode_event(const presence_event& ev) {
  capnp::MallocMessageBuilder b;
  auto m = b.initRoot<schema::LifecycleEvent>();
  m.setAddress(ev.address);
  m.setKind(ev.kind);
  m.setState(ev.state);
  m.setEpoch(ev.epoch);
  m.setSequence(ev.sequence);
  m.setAtMs(ev.at_ms);
  m.setCursor(ev.cursor);
  return schema::to_flat(b);
}

bool decode_event(std::string_view v, presence_event& out) {
  return schema::read_flat<schema::LifecycleEvent>(v, [&](auto m) {
    out.address = m.getAddress().cStr();
    out.kind = m.getKind();
    out.state = m.getState();
    out.epoch = m.getEpoch();
    out.sequence = m.getSequence();
    out.at_ms = m.getAtMs();
    out.cursor = m.getCursor();
    out.bound.clear();
  });
}

struct lifecycle_store::pending {
  const presence_event* ev;
  append_result result;
  bool done = false;
};

lifecycle_store::lifecycle_store(std::shared_ptr<account::account_store> store,
                                 lifecycle_options options)
  : store_(std::move(store)), options_(options) {
}

std::optional<std::uint64_t> lifecycle_store::next_epoch(const std::string& address,
                                                         write_status& written) {
  auto lock = store_->lock(address);
  auto db = store_->access();
  written = write_status::failed;
  if (!db)
    return std::nullopt;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::epoch_of(address), &v);
  if (!got.ok() && !got.IsNotFound())
    return std::nullopt;
  auto epoch = (got.ok() && v.size() == 8 ? keys::read_be64(v) : 0) + 1;
  rocksdb::WriteBatch batch;
  batch.Put(keys::epoch_of(address), keys::be64(epoch));
  written = store_->write(db, batch, true);
  if (written != write_status::ok)
    return std::nullopt;
  return epoch;
}

append_result lifecycle_store::append(const presence_event& ev) {
  return append(std::vector<presence_event>{ev}).front();
}

std::vector<append_result> lifecycle_store::append(const std::vector<presence_event>& evs) {
  std::vector<pending> mine;
  mine.reserve(evs.size());
  for (auto& ev : evs)
    mine.push_back(pending{&ev, {}});
  std::unique_lock<std::mutex> guard{mutex_};
  for (auto& p : mine)
    queue_.push_back(&p);
  // Ours are written together: the group that takes the first takes all.
  auto& p = mine.back();
  while (!p.done) {
    if (writing_) {
      written_.wait(guard);
      continue;
    }
    // Leader: write everything queued so far as one batch, while later
    // callers queue up for the next one.
    writing_ = true;
    std::vector<pending*> group;
    group.swap(queue_);
    guard.unlock();
    write_group(group);
    guard.lock();
    writing_ = false;
    for (auto* q : group)
      q->done = true;
    written_.notify_all();
  }
  std::vector<append_result> out;
  out.reserve(mine.size());
  for (auto& q : mine)
    out.push_back(q.result);
  return out;
}

bool lifecycle_store::load_bounds() {
  if (loaded_)
    return true;
  auto db = store_->access();
  if (!db)
    return false;
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{})};
  auto upper = std::string{keys::stream_prefix};
  upper.back() = static_cast<char>(upper.back() + 1);
  it->SeekForPrev(upper);
  if (it->Valid() && it->key().starts_with(keys::stream_prefix))
    next_ = keys::read_be64(it->key().ToStringView().substr(keys::stream_prefix.size())) + 1;
  it->Seek(std::string{keys::stream_prefix});
  if (it->Valid() && it->key().starts_with(keys::stream_prefix))
    first_ = keys::read_be64(it->key().ToStringView().substr(keys::stream_prefix.size()));
  else
    first_ = next_;
  if (!it->status().ok())
    return false;
  loaded_ = true;
  return true;
}

std::optional<std::uint64_t> lifecycle_store::kept() const {
  auto db = store_->access();
  if (!db)
    return std::nullopt;
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{})};
  auto upper = std::string{keys::stream_prefix};
  upper.back() = static_cast<char>(upper.back() + 1);
  it->SeekForPrev(upper);
  if (!it->Valid() || !it->key().starts_with(keys::stream_prefix))
    return it->status().ok() ? std::optional<std::uint64_t>{0} : std::nullopt;
  auto last = keys::read_be64(it->key().ToStringView().substr(keys::stream_prefix.size()));
  it->Seek(std::string{keys::stream_prefix});
  if (!it->Valid() || !it->status().ok())
    return std::nullopt;
  auto first = keys::read_be64(it->key().ToStringView().substr(keys::stream_prefix.size()));
  return last >= first ? last - first + 1 : 0;
}

void lifecycle_store::write_group(std::vector<pending*>& group) {
  auto fail = [&group](write_status w) {
    for (auto* p : group)
      p->result = {w, 0};
  };
  if (!load_bounds())
    return fail(write_status::failed);
  auto db = store_->access();
  if (!db)
    return fail(write_status::failed);
  // The latest of each account as this batch leaves it.
  std::unordered_map<std::string, presence_event> latest;
  rocksdb::WriteBatch batch;
  auto next = next_;
  for (auto* p : group) {
    auto& ev = *p->ev;
    auto known = latest.find(ev.address);
    if (known == latest.end()) {
      presence_event stored;
      std::string v;
      auto got = db->Get(rocksdb::ReadOptions{}, keys::latest_state(ev.address), &v);
      if (!got.ok() && !got.IsNotFound()) {
        p->result = {write_status::failed, 0};
        continue;
      }
      if (got.ok())
        decode_event(v, stored);
      known = latest.emplace(ev.address, stored).first;
    }
    if (!newer(ev, known->second)) {
      p->result = {write_status::ok, 0}; // stale: refused, nothing written
      continue;
    }
    auto stored = ev;
    stored.bound.clear();
    stored.cursor = next++;
    auto bytes = encode_event(stored);
    batch.Put(keys::stream_entry(stored.cursor), bytes);
    batch.Put(keys::latest_state(ev.address), bytes);
    known->second = stored;
    p->result = {write_status::ok, stored.cursor};
  }
  if (next == next_)
    return;
  auto written = store_->write(db, batch);
  if (written != write_status::ok) {
    loaded_ = false; // the local copy may hold the batch unacknowledged
    for (auto* p : group)
      if (p->result.cursor != 0)
        p->result = {written, 0};
    return;
  }
  next_ = next;
  trim(next_ - 1);
}

// Drops the oldest transitions past either bound. Not synced: a trim lost
// in a crash is redone by the next.
void lifecycle_store::trim(std::uint64_t last) {
  // In steps of a sixteenth, so that a full stream does not pay a second
  // write for every append.
  auto drop_below = first_;
  auto slack = std::max<std::uint64_t>(1, options_.max_events / 16);
  if (last + 1 - first_ > options_.max_events + slack)
    drop_below = last + 1 - options_.max_events;
  if (++appends_since_age_check_ >= 1024) {
    appends_since_age_check_ = 0;
    auto db = store_->access();
    if (!db)
      return;
    auto horizon = now_ms() - options_.max_age_ms;
    account::prefix_scan it{db.db, std::string{keys::stream_prefix}};
    for (std::size_t n = 0; it.valid() && n < 100000; it.next(), ++n) {
      presence_event ev;
      if (decode_event(it.value().ToStringView(), ev) && ev.at_ms >= horizon)
        break;
      drop_below = std::max(drop_below, keys::read_be64(it.suffix()) + 1);
    }
  }
  if (drop_below <= first_)
    return;
  auto db = store_->access();
  if (!db)
    return;
  rocksdb::WriteBatch batch;
  batch.DeleteRange(keys::stream_entry(first_), keys::stream_entry(drop_below));
  if (store_->write(db, batch) == write_status::ok)
    first_ = drop_below;
}

bool lifecycle_store::read(std::uint64_t after, std::size_t max, std::vector<presence_event>& out) {
  auto db = store_->access();
  if (!db)
    return false;
  std::unique_ptr<rocksdb::Iterator> raw;
  rocksdb::ReadOptions ro;
  auto upper = std::string{keys::stream_prefix};
  upper.back() = static_cast<char>(upper.back() + 1);
  rocksdb::Slice upper_slice{upper};
  ro.iterate_upper_bound = &upper_slice;
  raw.reset(db->NewIterator(ro));
  for (raw->Seek(keys::stream_entry(after + 1)); raw->Valid() && out.size() < max; raw->Next()) {
    presence_event ev;
    if (!decode_event(raw->value().ToStringView(), ev))
      continue; // unreadable: skipped rather than stopping every subscriber
    out.push_back(std::move(ev));
  }
  return raw->status().ok();
}

bool lifecycle_store::latest(const std::string& address, presence_event& out) {
  out = presence_event{};
  out.address = address;
  auto normal = store_->normalise(address);
  if (!normal)
    return true; // no account of ours: it never had a transition
  auto db = store_->access();
  if (!db)
    return false;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::latest_state(*normal), &v);
  if (got.IsNotFound())
    return true;
  return got.ok() && decode_event(v, out);
}

write_status lifecycle_store::ack(const std::string& subscriber, std::uint64_t cursor) {
  auto lock = store_->lock(subscriber);
  auto db = store_->access();
  if (!db)
    return write_status::failed;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::subscriber_ack(subscriber), &v);
  if (got.ok() && v.size() == 8 && keys::read_be64(v) >= cursor)
    return write_status::ok;
  rocksdb::WriteBatch batch;
  batch.Put(keys::subscriber_ack(subscriber), keys::be64(cursor));
  return store_->write(db, batch);
}

bool lifecycle_store::acked(const std::string& subscriber, std::uint64_t& out) {
  auto db = store_->access();
  if (!db)
    return false;
  std::string v;
  auto got = db->Get(rocksdb::ReadOptions{}, keys::subscriber_ack(subscriber), &v);
  out = got.ok() && v.size() == 8 ? keys::read_be64(v) : 0;
  return got.ok() || got.IsNotFound();
}

long lifecycle_store::close_open(std::int64_t now_ms) {
  std::vector<presence_event> open;
  {
    auto db = store_->access();
    if (!db)
      return -1;
    account::prefix_scan it{db.db, "s/"};
    for (; it.valid(); it.next()) {
      presence_event ev;
      if (decode_event(it.value().ToStringView(), ev) && ev.present())
        open.push_back(std::move(ev));
    }
    if (!it.ok())
      return -1;
  }
  for (auto& ev : open) {
    ev.state = message::lifecycle_state::OFFLINE;
    ev.sequence += 1;
    ev.at_ms = now_ms;
    if (append(ev).written != write_status::ok)
      return -1;
  }
  return static_cast<long>(open.size());
}

} // namespace irsp::lifecycle
