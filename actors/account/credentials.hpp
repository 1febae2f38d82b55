// IRSP §9 / RFC 5802, RFC 7677: the secrets the account server keeps instead of
// passwords and verification codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace irsp::account {

/// The two SCRAM hash functions IRSP offers.
enum class scram_hash { sha1, sha256 };

/// Server-side SCRAM secrets (RFC 5802 §3); all byte strings are raw, not base64.
struct scram_secret {
  std::string salt;
  std::uint32_t iterations = 0;
  std::string stored_key;
  std::string server_key;
};

/// Iterations used for new credentials; RFC 7677 recommends at least 4096.
constexpr std::uint32_t default_scram_iterations = 4096;

/// SASLprep-normalises `password` (RFC 4013); nullopt when it has prohibited
/// characters or is empty after preparation.
std::optional<std::string> saslprep(std::string_view password);

/// Derives secrets from a prepared password with a fresh random salt.
scram_secret derive_scram_secret(scram_hash hash, std::string_view prepared_password,
                                 std::uint32_t iterations = default_scram_iterations);

/// Derives secrets from a prepared password with the given salt.
scram_secret derive_scram_secret(scram_hash hash, std::string_view prepared_password,
                                 std::string_view salt, std::uint32_t iterations);

/// Checks a cleartext password (SASL PLAIN) against stored secrets in constant time.
/// `password` is as the client sent it; it is SASLprep'd here (a password that
/// fails preparation never matches).
bool password_matches(const scram_secret& secret, scram_hash hash,
                      std::string_view password);

/// A verification code kept as SHA-256(salt || code).
struct code_hash {
  std::string salt;
  std::string hash;
};

/// A fresh random device verification code: 12 characters of Crockford base32
/// (60 bits), grouped as XXXX-XXXX-XXXX for people to read off a label.
std::string random_verification_code();

/// Hashes a code with a fresh random salt.
code_hash hash_code(std::string_view code);

/// Checks a presented code against its stored hash in constant time; dashes
/// and case in the presented code are ignored.
bool code_matches(const code_hash& stored, std::string_view presented);

/// `n` cryptographically random bytes; throws std::runtime_error only when the
/// system's random generator fails.
std::string random_bytes(std::size_t n);

/// Output length in bytes of the SCRAM hash (20 or 32).
std::size_t scram_hash_size(scram_hash hash);

/// H(data) of RFC 5802 §2.2.
std::string scram_digest(scram_hash hash, std::string_view data);

/// HMAC(key, data) of RFC 5802 §2.2.
std::string scram_hmac(scram_hash hash, std::string_view key, std::string_view data);

/// Byte-string equality whose time depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace irsp::account
