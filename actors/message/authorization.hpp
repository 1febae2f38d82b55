// IRSP §9 and DESIGN.md §4: who may address whom.
#pragma once

#include <string>
#include <unordered_set>

#include "actors/message/exchanges.hpp"

namespace irsp::message {

/// A user may message only devices bound to it, a device only users bound
/// to it: bindings always join a user and a device, so both rules are "the
/// recipient is a bound peer". An account may also message itself, its own
/// other sessions (RFC 6121 §8.5.2, bare JID of the sender). Applications are
/// reached by upload, not here.
direct_status authorize_direct(const std::string& from, const std::string& to,
                               const std::unordered_set<std::string>& peers);

/// Whether an upload may be made by `from`: any account of this AS, never
/// an empty or application sender.
bool may_upload(const std::string& from, const std::string& apps_domain);

} // namespace irsp::message
