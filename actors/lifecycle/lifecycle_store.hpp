// Issue 15 (DESIGN.md §5): the lifecycle stream. Every transition of an
// account (online, suspect, offline) is numbered (epoch, sequence) by its
// actor, given a cursor here, and stored before anyone hears of it; a
// subscriber replays the stream from a cursor and acknowledges what it took.
#pragma once

#include <condition_variable>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/account/replicator.hpp"
#include "actors/lifecycle/lifecycle_options.hpp"
#include "actors/message/exchanges.hpp"

namespace irsp::account {
class account_store;
} // namespace irsp::account

namespace irsp::lifecycle {

/// What an append came to.
struct append_result {
  account::write_status written = account::write_status::failed;
  /// The transition's place in the stream; 0 when it was refused as stale:
  /// the account's stored latest transition is as new or newer (an actor
  /// of an older activation must not speak after a newer one).
  std::uint64_t cursor = 0;
};

/// The stream, in the account store's database (keys in account_keys.hpp),
/// so that it is replicated with the accounts. Thread-safe and blocking:
/// called from the account server's detached workers. Appends of concurrent
/// callers are written as one synced batch (group commit): cursors are
/// assigned in write order, so a reader never sees cursor n+1 before n.
class lifecycle_store {
public:
  lifecycle_store(std::shared_ptr<account::account_store> store, lifecycle_options options = {});

  /// The next epoch of `address` (1 for its first activation): a persisted
  /// counter, never a clock. nullopt when it could not be written.
  std::optional<std::uint64_t> next_epoch(const std::string& address,
                                          account::write_status& written);

  /// Stores `ev` (its `cursor` and `bound` are ignored) as the account's
  /// latest transition and at the end of the stream.
  append_result append(const message::presence_event& ev);

  /// Stores each of `evs` in order, as one write when no other caller's
  /// appends are waiting; one result per event.
  std::vector<append_result> append(const std::vector<message::presence_event>& evs);

  /// Up to `max` transitions with a cursor above `after`, in cursor order.
  /// False when the stream could not be read.
  bool read(std::uint64_t after, std::size_t max, std::vector<message::presence_event>& out);

  /// The latest transition of `address`; state offline and epoch 0 if it
  /// never had one. False when it could not be read.
  bool latest(const std::string& address, message::presence_event& out);

  /// Records that `subscriber` took everything up to `cursor` (never moves
  /// back: acknowledgements may arrive out of order).
  account::write_status ack(const std::string& subscriber, std::uint64_t cursor);

  /// What `subscriber` acknowledged last (0: nothing). False on a read error.
  bool acked(const std::string& subscriber, std::uint64_t& out);

  /// How many transitions the stream holds now (for /metrics): its cursors
  /// are contiguous, as trimming drops a range from the oldest, so two seeks
  /// tell, whatever its length. nullopt when it could not be read.
  std::optional<std::uint64_t> kept() const;

  /// The stream's bounds are read from the database again before the next
  /// append: its contents changed under this object (this node's copy of
  /// the store became the primary one, after a snapshot from elsewhere).
  void forget_bounds() { loaded_ = false; }

  /// For a lone node starting: every account whose latest transition is
  /// online or suspect lost its sessions with the process that held them;
  /// each gets its offline (same epoch, next sequence) now, so the stream
  /// does not go on saying online. Returns how many, or -1 on a storage fault.
  long close_open(std::int64_t now_ms);

private:
  struct pending;
  void write_group(std::vector<pending*>& group);
  bool load_bounds();
  void trim(std::uint64_t last);

  std::shared_ptr<account::account_store> store_;
  lifecycle_options options_;
  std::mutex mutex_;
  std::condition_variable written_;
  std::vector<pending*> queue_;
  bool writing_ = false;
  // Owned by the writer of the group in progress:
  std::atomic<bool> loaded_{false}; // cleared by forget_bounds() from any thread
  std::uint64_t next_ = 1;  // the next cursor
  std::uint64_t first_ = 1; // the oldest kept
  std::uint64_t appends_since_age_check_ = 0;
};

/// The stored form of a transition (schema LifecycleEvent).
std::string encode_event(const message::presence_event& ev);
bool decode_event(std::string_view bytes, message::presence_event& out);

} // namespace irsp::lifecycle
