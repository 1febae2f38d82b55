// XEP-0198 §5: the node's table of sessions a client may resume.
#include "node/xmpp/c2s_resumables.hpp"

namespace irsp::xmpp {

void c2s_resumables::put(const std::string& id, const message::session_ref& holder) {
  std::lock_guard<std::mutex> guard{mutex_};
  by_id_[id] = holder;
}

message::session_ref c2s_resumables::find(const std::string& id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = by_id_.find(id);
  return i == by_id_.end() ? message::session_ref{} : i->second;
}

void c2s_resumables::erase(const std::string& id, const message::session_ref& holder) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = by_id_.find(id);
  if (i != by_id_.end() && i->second == holder)
    by_id_.erase(i);
}

} // namespace irsp::xmpp
