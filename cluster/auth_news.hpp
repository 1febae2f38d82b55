// The nodes of one AS tell each other what their password checks saw, so that
// the guessing limits (node/xmpp/auth_throttle.hpp) are the AS's and not one
// node's: a guesser spreading over n nodes would otherwise get n allowances.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace irsp::cluster {

/// (auth_news_atom, bool failed, address, account): a failure or success
/// seen on this node. (auth_news_atom, std::vector<std::string>): a peer's
/// batch, as triples ("f" or "s", address, account).
using auth_news_atom = caf::atom_constant<caf::atom("authnews")>;

struct auth_news_config {
  /// Applies what another node saw (failed, address, account).
  std::function<void(bool, const std::string&, const std::string&)> apply;
  /// How long news waits to go out with others.
  std::chrono::milliseconds batch_every{200};
  /// Entries in one batch at most; beyond, news is dropped (these are
  /// limits, not records: a flood of failures is over any limit anyway).
  std::size_t max_batch = 4096;
};

/// Spawns the actor that batches this node's news to its peers and applies
/// theirs. Subscribe it to the membership: it learns its peers' news actors
/// from (member_up_atom, member_info) (member_info::auth) and forgets them
/// on (member_down_atom, member_info).
caf::actor spawn_auth_news(caf::actor_system& system, auth_news_config config);

} // namespace irsp::cluster
