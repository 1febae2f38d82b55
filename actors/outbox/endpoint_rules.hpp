// IRSP §8.8.2: what a registered endpoint and an idempotency key may be.
#pragma once

#include <string>
#include <string_view>

#include "actors/outbox/outbox_record.hpp"

namespace irsp::outbox {

/// Longest idempotency key, in octets.
constexpr std::size_t max_key_octets = 200;

/// Empty when `e` may be registered, else one line saying what is wrong:
/// a name of 1-64 of [a-z0-9._-], an https:// URL with a host (RFC 2818: the
/// certificate is always verified), concurrency 1-64, max attempts 1-1000.
/// The CA file is checked by whoever can read it (the operator command).
std::string check_endpoint(const external_endpoint& e);

/// Whether `key` may be an idempotency key: 1-200 octets of printable ASCII
/// without spaces (it travels as an HTTP header value).
bool valid_key(std::string_view key);

} // namespace irsp::outbox
