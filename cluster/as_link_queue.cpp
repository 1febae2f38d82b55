// IRSP §8.7 between ASs: the durable FIFO of frames for a peer that is down.
#include "cluster/as_link_queue.hpp"

#include <rocksdb/db.h>

#include <filesystem>

#include "actors/account/account_keys.hpp"

namespace irsp::cluster {

using account::keys::be64;
using account::keys::read_be64;

std::unique_ptr<as_link_queue> as_link_queue::open(const std::string& dir,
                                                   std::size_t max_frames, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) {
    error = "AS link queue " + dir + ": " + s.ToString();
    return nullptr;
  }
  std::unique_ptr<as_link_queue> q{new as_link_queue};
  q->db_.reset(raw);
  q->max_ = max_frames;
  std::unique_ptr<rocksdb::Iterator> it{q->db_->NewIterator(rocksdb::ReadOptions{})};
  bool first = true;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto seq = read_be64(std::string_view(it->key().data(), it->key().size()));
    if (first)
      q->head_ = seq;
    first = false;
    q->next_ = seq + 1;
    ++q->size_;
  }
  if (first)
    q->head_ = q->next_ = 1;
  return q;
}

as_link_queue::~as_link_queue() = default;

as_link_queue::put_result as_link_queue::push(const std::string& frame) {
  if (size_ >= max_)
    return put_result::full;
  rocksdb::WriteOptions w;
  w.sync = true;
  if (!db_->Put(w, be64(next_), frame).ok())
    return put_result::failed;
  if (size_ == 0)
    head_ = next_;
  ++next_;
  ++size_;
  return put_result::stored;
}

std::optional<std::pair<std::uint64_t, std::string>> as_link_queue::front() const {
  if (size_ == 0)
    return std::nullopt;
  std::string value;
  if (!db_->Get(rocksdb::ReadOptions{}, be64(head_), &value).ok())
    return std::nullopt;
  return std::make_pair(head_, std::move(value));
}

bool as_link_queue::pop(std::uint64_t seq) {
  if (size_ == 0 || seq != head_)
    return true;
  rocksdb::WriteOptions w;
  w.sync = true;
  if (!db_->Delete(w, be64(seq)).ok())
    return false;
  ++head_;
  --size_;
  return true;
}

} // namespace irsp::cluster
