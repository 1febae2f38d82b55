// The node's own RocksDB, beside the AS's account store.
#pragma once

#include <memory>
#include <string>

namespace irsp::account {
class account_store;
} // namespace irsp::account

namespace irsp {

/// Opens `<data_dir>/local`: what belongs to this node rather than to the
/// AS — the §8.8.2 outbox and its endpoints (its applications and its
/// delivery thread are this node's), the inbound HTTPS API keys (sealed under
/// this node's key file) and the nonces they used. In a cluster
/// `<data_dir>/accounts` is shard 0's database, which a backup's snapshot
/// clears and a primary copies to its backup: these must not live there.
/// Given `accounts`, what an earlier version kept there is moved here first
/// (once). Null, with `error` set, on failure.
std::shared_ptr<account::account_store> open_node_local_store(const std::string& data_dir,
                                                              const std::string& domain,
                                                              account::account_store* accounts,
                                                              std::string& error);

/// The same for a command run on a stopped node's data dir: it opens the
/// account store itself, if there is one, for the move. On failure it
/// prints the error and sets `exit_code` to 2.
std::shared_ptr<account::account_store> open_node_local_store(const std::string& data_dir,
                                                              const std::string& domain,
                                                              int& exit_code);

} // namespace irsp
