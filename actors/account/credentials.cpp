// IRSP §9 / RFC 5802 §3, RFC 7677, RFC 4013: SCRAM secrets, SASLprep, verification codes.
#include "actors/account/credentials.hpp"

#include <gsasl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace irsp::account {

namespace {

constexpr std::size_t salt_size = 16;
constexpr std::size_t code_length = 12;
constexpr std::string_view crockford_alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const EVP_MD* digest_of(scram_hash hash) {
  return hash == scram_hash::sha1 ? EVP_sha1() : EVP_sha256();
}

/// Crockford's decoding rules, so a code read off a label with the usual
/// confusions (lower case, I/L for 1, O for 0, separators) still matches.
std::string normalise_code(std::string_view code) {
  std::string out;
  out.reserve(code.size());
  for (char c : code) {
    if (c == '-' || c == ' ')
      continue;
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L')
      c = '1';
    else if (c == 'O')
      c = '0';
    out.push_back(c);
  }
  return out;
}

std::string hash_normalised_code(std::string_view salt, std::string_view normalised) {
  std::string input;
  input.reserve(salt.size() + normalised.size());
  input.append(salt).append(normalised);
  return scram_digest(scram_hash::sha256, input);
}

} // namespace

std::optional<std::string> saslprep(std::string_view password) {
  // gsasl wants a C string; an embedded NUL would silently truncate it.
  if (password.find('\0') != std::string_view::npos)
    return std::nullopt;
  std::string input(password);
  char* out = nullptr;
  int stringprep_rc = 0;
  // No GSASL_ALLOW_UNASSIGNED: RFC 4013 §2.5 treats what we store as a
  // "stored string", and a query can only match a stored string anyway.
  int rc = gsasl_saslprep(input.c_str(), static_cast<Gsasl_saslprep_flags>(0), &out,
                          &stringprep_rc);
  std::unique_ptr<char, decltype(&std::free)> guard(out, &std::free);
  if (rc != GSASL_OK || out == nullptr || *out == '\0')
    return std::nullopt;
  return std::string(out);
}

scram_secret derive_scram_secret(scram_hash hash, std::string_view prepared_password,
                                 std::uint32_t iterations) {
  return derive_scram_secret(hash, prepared_password, random_bytes(salt_size), iterations);
}

scram_secret derive_scram_secret(scram_hash hash, std::string_view prepared_password,
                                 std::string_view salt, std::uint32_t iterations) {
  // PKCS5_PBKDF2_HMAC takes an int and refuses 0; Hi() of RFC 5802 needs i >= 1.
  auto iter = static_cast<int>(std::clamp<std::uint32_t>(iterations, 1, INT_MAX));
  const std::size_t size = scram_hash_size(hash);
  std::string salted(size, '\0');
  if (PKCS5_PBKDF2_HMAC(prepared_password.data(), static_cast<int>(prepared_password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iter, digest_of(hash),
                        static_cast<int>(size),
                        reinterpret_cast<unsigned char*>(salted.data()))
      != 1)
    throw std::runtime_error("PBKDF2 failed");
  scram_secret secret;
  secret.salt = std::string(salt);
  secret.iterations = static_cast<std::uint32_t>(iter);
  secret.stored_key = scram_digest(hash, scram_hmac(hash, salted, "Client Key"));
  secret.server_key = scram_hmac(hash, salted, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return secret;
}

bool password_matches(const scram_secret& secret, scram_hash hash,
                      std::string_view password) {
  if (secret.iterations == 0 || secret.stored_key.size() != scram_hash_size(hash))
    return false;
  auto prepared = saslprep(password);
  if (!prepared)
    return false;
  auto candidate = derive_scram_secret(hash, *prepared, secret.salt, secret.iterations);
  OPENSSL_cleanse(prepared->data(), prepared->size());
  return constant_time_equal(candidate.stored_key, secret.stored_key);
}

std::string random_verification_code() {
  // 8 random bytes give 64 bits; the low 60 make 12 base32 digits.
  auto bytes = random_bytes(8);
  std::uint64_t bits = 0;
  for (unsigned char b : bytes)
    bits = (bits << 8) | b;
  std::string code;
  for (std::size_t i = 0; i < code_length; ++i) {
    if (i > 0 && i % 4 == 0)
      code.push_back('-');
    code.push_back(crockford_alphabet[bits & 0x1f]);
    bits >>= 5;
  }
  return code;
}

code_hash hash_code(std::string_view code) {
  code_hash result;
  result.salt = random_bytes(salt_size);
  result.hash = hash_normalised_code(result.salt, normalise_code(code));
  return result;
}

bool code_matches(const code_hash& stored, std::string_view presented) {
  return constant_time_equal(hash_normalised_code(stored.salt, normalise_code(presented)),
                             stored.hash);
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0
      && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::size_t scram_hash_size(scram_hash hash) {
  return hash == scram_hash::sha1 ? 20 : 32;
}

std::string scram_digest(scram_hash hash, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 digest_of(hash), nullptr)
      != 1)
    throw std::runtime_error("EVP_Digest failed");
  out.resize(len);
  return out;
}

std::string scram_hmac(scram_hash hash, std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (HMAC(digest_of(hash), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len)
      == nullptr)
    throw std::runtime_error("HMAC failed");
  out.resize(len);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace irsp::account
