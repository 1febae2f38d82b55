// XEP-0160-style offline storage: upgrading a data dir whose queues were kept
// in a RocksDB of their own (<data-dir>/offline, before they moved into the
// account store so that deleting an account deletes its queue in one write).
#pragma once

#include <string>

namespace irsp::account {
class account_store;
}

namespace irsp::offline {

/// Moves every message of the separate offline store at `path` into
/// `accounts`, durably and exactly once (a marker is written with the last
/// batch; a crash before it makes the next start import again, writing the
/// same keys), then removes `path`. Messages of accounts that no longer
/// exist, or stored before their account was created (a deleted namesake's),
/// are dropped. True when there is nothing to import or all went well;
/// otherwise false with `error` naming the problem, and nothing is removed.
/// Call before the store serves anything.
bool import_legacy_offline(account::account_store& accounts, const std::string& path,
                           std::string& error);

} // namespace irsp::offline
