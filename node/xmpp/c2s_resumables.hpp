// XEP-0198 §5: the node's table of sessions a client may resume.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "actors/message/exchanges.hpp"

namespace irsp::xmpp {

/// XEP-0198 sessions that can be resumed, by resumption id: filed by the
/// connection that holds one, found by the connection that resumes it (on
/// any I/O thread of the node). Thread-safe.
class c2s_resumables {
public:
  /// Files (or refiles) `id` as held by `holder`.
  void put(const std::string& id, const message::session_ref& holder);

  /// The holder of `id`, or an empty ref.
  message::session_ref find(const std::string& id) const;

  /// Forgets `id` if `holder` still holds it (a successor may have refiled it).
  void erase(const std::string& id, const message::session_ref& holder);

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, message::session_ref> by_id_;
};

} // namespace irsp::xmpp
