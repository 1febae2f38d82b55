// Issue 14: the hook at the account store's one write point through which a
// primary copies each change to its backup before acknowledging it.
#pragma once

#include <functional>

namespace rocksdb {
class WriteBatch;
} // namespace rocksdb

namespace irsp::account {

/// What a write to the account store came to.
enum class write_status {
  ok,          ///< durable here (and on the backup when the store replicates)
  failed,      ///< the local write failed: storage-failure
  unavailable, ///< no live backup took it: storage-unavailable; not acknowledged
};

/// The status a change answers when its write did not succeed: any of the
/// schema's status enums that has storageFailure and storageUnavailable.
template <class Status>
Status write_failure(write_status w) {
  return w == write_status::unavailable ? Status::STORAGE_UNAVAILABLE : Status::STORAGE_FAILURE;
}

/// Copies the changes of one account-store shard to another node before they
/// are acknowledged. Set on a primary's store with account_store::set_replicator;
/// called from any thread that writes (the account server's detached workers,
/// the offline queue), so implementations are thread-safe and may block, but
/// never longer than their own timeout.
class replicator {
public:
  virtual ~replicator() = default;

  /// Makes `batch` durable here by calling `local_write` (true when the
  /// synced local write succeeded) and on the backup; ok only when both hold
  /// it. Called holding the address locks of every account the batch
  /// touches, so batches that touch the same key never overlap.
  virtual write_status replicate(rocksdb::WriteBatch& batch,
                                 const std::function<bool()>& local_write) = 0;
};

} // namespace irsp::account
