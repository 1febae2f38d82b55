// `irsp-node events`: the lifecycle stream (issue 15) of a stopped node, as
// JSON lines, for operators and tests.
#pragma once

namespace CLI {
class App;
}

namespace irsp::cli {

struct store_location;

/// Adds the options of `events` to its subcommand; the command runs from the
/// parser's callback and sets `exit_code`: 0 done, 2 the data dir is unusable
/// or the stream could not be read.
void add_events_command(CLI::App& events, const store_location& where, int& exit_code);

} // namespace irsp::cli
