// IRSP §8.8.3 request signatures: HMAC-SHA-256 (RFC 2104) over the canonical form.
#include "node/http/request_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace irsp::http {

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0xf];
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

using digest = std::array<unsigned char, 32>;

digest hmac(std::string_view secret, std::string_view message) {
  digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

} // namespace

std::string canonical_request(std::string_view method, std::string_view path,
                              std::string_view timestamp, std::string_view nonce,
                              std::string_view body) {
  std::string out{signature_scheme};
  for (auto part : {method, path, timestamp, nonce}) {
    out += '\n';
    out += part;
  }
  out += '\n';
  out += sha256_hex(body);
  return out;
}

std::string sha256_hex(std::string_view data) {
  digest d{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return to_hex(d.data(), d.size());
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  auto d = hmac(secret, message);
  return to_hex(d.data(), d.size());
}

bool signature_matches(std::string_view secret, std::string_view canonical,
                       std::string_view presented) {
  if (presented.size() != 64)
    return false;
  digest given{};
  for (std::size_t i = 0; i < given.size(); ++i) {
    int hi = hex_value(presented[2 * i]);
    int lo = hex_value(presented[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  auto expected = hmac(secret, canonical);
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

} // namespace irsp::http
