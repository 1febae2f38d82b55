// IRSP §9: authorisation rules of the message server.
#include "actors/message/authorization.hpp"

namespace irsp::message {

direct_status authorize_direct(const std::string& from, const std::string& to,
                               const std::unordered_set<std::string>& peers) {
  return to == from || peers.count(to) != 0 ? direct_status::DELIVERED
                                            : direct_status::NOT_ALLOWED;
}

bool may_upload(const std::string& from, const std::string& apps_domain) {
  auto at = from.rfind('@');
  return at != std::string::npos && at > 0 && from.compare(at + 1, std::string::npos, apps_domain) != 0;
}

} // namespace irsp::message
