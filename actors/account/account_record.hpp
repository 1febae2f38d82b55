// IRSP §7.1: one stored account, and its encoding as schema::Account.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actors/account/credentials.hpp"
#include "actors/account/exchanges.hpp"

namespace irsp::account {

/// An account with its secrets, as the store holds it.
struct account_record {
  account_view view;
  scram_secret scram_sha256;
  scram_secret scram_sha1;
  code_hash code;              ///< empty for users
  std::int64_t code_issued_ms = 0;
};

/// Encodes a record as a Cap'n Proto `Account` message (flat array bytes).
std::string encode_record(const account_record& record);

/// Decodes what encode_record wrote, or any older/newer version of it;
/// nullopt when the bytes are not an Account message.
std::optional<account_record> decode_record(std::string_view bytes);

} // namespace irsp::account
