// IRSP §8.8.3 (Table 8's request parameters): the canonical form of an
// inbound HTTPS request and its HMAC-SHA-256 signature (RFC 2104, FIPS 180-4).
// A codec: strings in, strings out; no sockets, no CAF.
#pragma once

#include <string>
#include <string_view>

namespace irsp::http {

/// The first line of every canonical request: names the scheme and its version.
inline constexpr std::string_view signature_scheme = "IRSP-HMAC-SHA256";

/// The string an external server signs, six lines joined by "\n" (no
/// trailing newline): the scheme, the method in upper case, the request
/// path exactly as sent (no query), the timestamp (decimal Unix seconds, as
/// in the header), the nonce, and the lower-case hex SHA-256 of the body.
std::string canonical_request(std::string_view method, std::string_view path,
                              std::string_view timestamp, std::string_view nonce,
                              std::string_view body);

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Lower-case hex HMAC-SHA-256 of `message` under `secret` (its octets as
/// given: the key's secret as printed by `irsp-node key create`).
std::string hmac_sha256_hex(std::string_view secret, std::string_view message);

/// Whether `presented` (64 hex digits, either case) is the HMAC of
/// `canonical` under `secret`. Compared in constant time (CRYPTO_memcmp),
/// so response timing tells an attacker nothing about how much matched.
bool signature_matches(std::string_view secret, std::string_view canonical,
                       std::string_view presented);

} // namespace irsp::http
