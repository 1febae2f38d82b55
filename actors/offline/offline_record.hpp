// XEP-0160-style offline storage: one stored message as the schema's
// OfflineMessage (schema/messaging.capnp), so old entries still read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actors/message/exchanges.hpp"

namespace irsp::offline {

/// The stored form of `d`, kept from `stored_ms` until `expires_ms`.
std::string encode_offline(const message::delivery& d, std::int64_t stored_ms,
                           std::int64_t expires_ms);

/// Reads a stored message back (its stored time into d.stored_ms); false for
/// bytes that are not one.
bool decode_offline(std::string_view bytes, message::delivery& d, std::int64_t& expires_ms);

} // namespace irsp::offline
