// RFC 7622 §3.3: which account names (XMPP localparts) IRSP accepts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace irsp::account {

/// Longest localpart in octets, after preparation (RFC 7622 §3.3.1).
constexpr std::size_t max_localpart_octets = 1023;

/// Prepares a localpart for comparison and storage: nodeprep (case-folded,
/// NFKC) and checked against the characters RFC 7622 forbids in a localpart
/// (`"&'/:<>@`, space, controls). Returns nullopt when the name is not
/// acceptable: empty, too long, not UTF-8, or with forbidden characters.
std::optional<std::string> prepare_localpart(std::string_view name);

/// Checks a domain part: lower-case LDH labels separated by dots, 1–253 octets.
bool valid_domain(std::string_view domain);

/// Splits `name@domain`; nullopt unless both parts are non-empty.
std::optional<std::pair<std::string, std::string>> split_address(std::string_view address);

} // namespace irsp::account
