// `irsp-node key ...`: the operator's API keys for inbound HTTPS (§8.8.3),
// on a stopped node's data dir.
#pragma once

namespace CLI {
class App;
}

namespace irsp::cli {

struct store_location;

/// Adds `key create|list|revoke` under `key`. Exit status in `exit_code`:
/// 0 done, 1 the command failed (a status name on stderr), 2 the data dir
/// or its key file is unusable.
void add_key_commands(CLI::App& key, const store_location& where, int& exit_code);

} // namespace irsp::cli
