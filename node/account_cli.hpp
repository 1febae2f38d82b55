// `irsp-node account ...`: the §8.2 exchanges for operators and scripts, on a
// stopped node's data dir.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace irsp::cli {

/// Where the account subcommands find the store; filled by the parent app.
struct store_location {
  std::string data_dir;
  std::string domain;
  unsigned scram_iterations = 4096;
};

/// Adds `account register|show|list|modify|delete|reset-code` under `account`.
/// The chosen command runs from the parser's callback and records its exit
/// status in `exit_code`: 0 done, 1 the exchange failed (its status name on
/// stderr), 2 the data dir is unusable.
void add_account_commands(CLI::App& account, const store_location& where, int& exit_code);

} // namespace irsp::cli
