// Issue 14: the backup's applier — snapshot, then live batches in order.
#include "actors/account/replica_applier.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/account/account_keys.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/replica_atoms.hpp"
#include "actors/service_actor.hpp"

namespace irsp::account {

namespace {

struct applier_state {
  std::shared_ptr<account_store> store;
  std::uint64_t epoch = 0;     // the newest epoch the role assigner named
  bool receiving = false;      // a snapshot of `epoch` is coming in
  bool live = false;           // whole as of `applied`: live batches go on it
  std::uint64_t applied = 0;   // the primary's sequence number of the last batch
  // Applied, not yet synced: answered by the next sync tick.
  std::vector<std::pair<caf::typed_response_promise<std::uint64_t>, std::uint64_t>> unsynced;
  bool sync_pending = false;
  static inline const char* name = "replica_applier";
};

using applier = caf::stateful_actor<applier_state>;

caf::error refused(std::string why) {
  return caf::make_error(caf::sec::runtime_error, std::move(why));
}

// Unsynced batches of an epoch that is no longer served must not be
// acknowledged: the primary that sent them has been replaced.
void fail_unsynced(applier* self, const std::string& why) {
  for (auto& [rp, seq] : self->state.unsynced)
    rp.deliver(refused(why));
  self->state.unsynced.clear();
}

caf::error check_epoch(applier* self, std::uint64_t epoch) {
  if (epoch == self->state.epoch)
    return caf::none;
  return refused(epoch < self->state.epoch ? "stale epoch " + std::to_string(epoch)
                                           : "unknown epoch " + std::to_string(epoch));
}

// One synced write of the store's own bookkeeping (clear, mark, unmark).
bool write_synced(applier* self, rocksdb::WriteBatch& batch) {
  auto db = self->state.store->access();
  return self->state.store->write_unreplicated(db, batch, true) == write_status::ok;
}

} // namespace

caf::behavior replica_applier(applier* self, std::shared_ptr<account_store> store,
                              std::uint64_t epoch) {
  ignore_stray_errors(self);
  self->state.store = std::move(store);
  self->state.epoch = epoch;
  return {
    [self](replica_epoch_atom, std::uint64_t epoch) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (epoch < st.epoch)
        return refused("stale epoch " + std::to_string(epoch));
      if (epoch > st.epoch) {
        fail_unsynced(self, "fenced by epoch " + std::to_string(epoch));
        st.epoch = epoch;
        // A new primary numbers its changes afresh: it starts with a snapshot.
        st.live = false;
        st.receiving = false;
      }
      return st.epoch;
    },
    [self](replica_begin_atom, std::uint64_t epoch) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (auto err = check_epoch(self, epoch))
        return err;
      st.live = false;
      st.receiving = false;
      auto db = st.store->access();
      if (!db)
        return refused("backup store unavailable");
      rocksdb::WriteBatch clear;
      {
        std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(rocksdb::ReadOptions{})};
        for (it->SeekToFirst(); it->Valid(); it->Next())
          clear.Delete(it->key());
        if (!it->status().ok())
          return refused("backup store unreadable");
      }
      // After the deletes in the same batch: the mark survives them.
      clear.Put(keys::replica_incomplete, "");
      if (st.store->write_unreplicated(db, clear, true) != write_status::ok)
        return refused("backup store write failed");
      st.receiving = true;
      return epoch;
    },
    [self](replica_chunk_atom, std::uint64_t epoch,
           std::string& data) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (auto err = check_epoch(self, epoch))
        return err;
      if (!st.receiving)
        return refused("no snapshot in progress");
      rocksdb::WriteBatch chunk{std::move(data)};
      auto db = st.store->access();
      // Not synced one by one: the synced write that ends the snapshot syncs
      // the log with every chunk before it, and until then the mark says
      // the copy is not whole.
      rocksdb::WriteOptions wo;
      if (!db || !db->Write(wo, &chunk).ok()) {
        st.receiving = false;
        return refused("backup store write failed");
      }
      return static_cast<std::uint64_t>(chunk.Count());
    },
    [self](replica_end_atom, std::uint64_t epoch,
           std::uint64_t seq) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (auto err = check_epoch(self, epoch))
        return err;
      if (!st.receiving)
        return refused("no snapshot in progress");
      st.receiving = false;
      rocksdb::WriteBatch done;
      done.Delete(keys::replica_incomplete);
      if (!write_synced(self, done))
        return refused("backup store write failed");
      st.applied = seq;
      st.live = true;
      return seq;
    },
    [self](replica_apply_atom, std::uint64_t epoch, std::uint64_t seq,
           std::string& data) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (auto err = check_epoch(self, epoch))
        return err;
      if (!st.live)
        return refused("no complete snapshot: batch " + std::to_string(seq) + " refused");
      if (seq != st.applied + 1) {
        // The stream is broken: nothing after a hole may be applied.
        st.live = false;
        return refused("gap: expected " + std::to_string(st.applied + 1) + ", got "
                       + std::to_string(seq));
      }
      rocksdb::WriteBatch batch{std::move(data)};
      auto db = st.store->access();
      rocksdb::WriteOptions wo;
      if (!db || !db->Write(wo, &batch).ok()) {
        st.live = false;
        return refused("backup store write failed");
      }
      st.applied = seq;
      // Group commit: every batch that arrives before the tick shares its sync.
      auto rp = self->make_response_promise<std::uint64_t>();
      st.unsynced.emplace_back(rp, seq);
      if (!st.sync_pending) {
        st.sync_pending = true;
        self->send(self, replica_sync_atom::value);
      }
      return rp;
    },
    [self](replica_sync_atom) {
      auto& st = self->state;
      st.sync_pending = false;
      if (st.unsynced.empty())
        return;
      auto db = st.store->access();
      if (!db || !db->SyncWAL().ok()) {
        st.live = false;
        fail_unsynced(self, "backup store sync failed");
        return;
      }
      for (auto& [rp, seq] : st.unsynced)
        rp.deliver(seq);
      st.unsynced.clear();
    },
    [self](replica_state_atom) -> caf::result<std::uint64_t, std::uint64_t, bool> {
      auto& st = self->state;
      return {st.epoch, st.applied, st.live};
    },
  };
}

caf::actor spawn_replica_applier(caf::actor_system& system,
                                 std::shared_ptr<account_store> store, std::uint64_t epoch) {
  return system.spawn<caf::detached>(replica_applier, std::move(store), epoch);
}

} // namespace irsp::account
