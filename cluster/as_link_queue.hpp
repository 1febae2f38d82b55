// IRSP §8.7 between ASs: what waits for a peer AS that is down — a durable,
// bounded FIFO of LinkRequest frames, one RocksDB per peer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace rocksdb {
class DB;
}

namespace irsp::cluster {

/// The frames waiting for one peer, in the order accepted. Every change is
/// synced (WAL) before it returns: a frame acknowledged as queued survives
/// kill -9. One user at a time (the link actor).
class as_link_queue {
public:
  /// Opens (creating) the queue in `dir`; null with `error` set on failure.
  static std::unique_ptr<as_link_queue> open(const std::string& dir, std::size_t max_frames,
                                             std::string& error);
  ~as_link_queue();

  enum class put_result { stored, full, failed };
  /// Appends a frame at the back.
  put_result push(const std::string& frame);
  /// The frame at the front and its sequence number; nullopt when empty.
  std::optional<std::pair<std::uint64_t, std::string>> front() const;
  /// Removes the front frame if it is `seq`; false on a storage failure.
  bool pop(std::uint64_t seq);
  std::size_t size() const { return size_; }

private:
  as_link_queue() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::size_t max_ = 0;
  std::size_t size_ = 0;
  std::uint64_t head_ = 0; // sequence of the front frame
  std::uint64_t next_ = 0; // sequence of the next frame pushed
};

} // namespace irsp::cluster
