// IRSP §8.5 between ASs: presence news that crosses an AS link, as the
// router and the link hand it to each other (in-process only; over the link
// it is a LinkPresence or LinkProbe, schema/federation.capnp).
#pragma once

#include <string>

#include "actors/message/exchanges.hpp"

namespace irsp::cluster {

/// A transition of `event.address` (an account of one AS) for `target`, a
/// bound peer of it in the other AS; or the answer to a probe.
struct link_presence {
  message::presence_event event;
  std::string target;
};

/// `requester` (an account of one AS) asks `target`, its bound peer in the
/// other AS, for its presence; only an online target answers (link_presence).
struct link_probe {
  std::string requester;
  std::string target;
};

/// The answer to news that needs none.
struct link_ack {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_presence& x) {
  return f(x.event, x.target);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_probe& x) {
  return f(x.requester, x.target);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_ack&) {
  return f();
}

} // namespace irsp::cluster
