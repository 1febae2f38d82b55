// `irsp-node endpoint ...`: the external endpoints of IRSP §8.8.2, registered
// by an operator on a stopped node's data dir.
#pragma once

namespace CLI {
class App;
}

namespace irsp::cli {

struct store_location;

/// Adds `endpoint add|list|remove` under `endpoint`. The chosen command runs
/// from the parser's callback and sets `exit_code`: 0 done, 1 refused
/// (`exists`, `no-such-endpoint` on stderr), 2 bad input or an unusable data
/// dir.
void add_endpoint_commands(CLI::App& endpoint, const store_location& where, int& exit_code);

} // namespace irsp::cli
