// RFC 5802 §3 (SaltedPassword = Hi(password, salt, i)), RFC 8018 §5.2 PBKDF2.
#pragma once

#include <string>
#include <string_view>

namespace irsp::bench {

/// SCRAM's SaltedPassword as lowercase hex: PBKDF2-HMAC-SHA-256 (or SHA-1
/// when `sha256` is false) of `password` over `salt` with `iterations`.
///
/// Hand-rolled over OpenSSL's low-level SHA functions with the HMAC pads
/// hashed once: OpenSSL 3's PKCS5_PBKDF2_HMAC goes through the provider
/// layer on every iteration (a context copy and a malloc each) and took
/// ~3 ms of this client's CPU per login at Prosody's 10 000 iterations,
/// CPU the server under test shares. Empty if `iterations` < 1.
std::string scram_salted_password_hex(std::string_view password, std::string_view salt,
                                      int iterations, bool sha256);

} // namespace irsp::bench
