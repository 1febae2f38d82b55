// The low-level SHA API is deprecated in OpenSSL 3 but kept; it is the one
// without per-call allocation.
#define OPENSSL_API_COMPAT 10101
#include "bench/irsp_bench/scram_key.hpp"

#include <openssl/sha.h>

#include <cstring>

namespace irsp::bench {

namespace {

struct sha1_hash {
  using context = SHA_CTX;
  static constexpr std::size_t size = SHA_DIGEST_LENGTH;
  static constexpr std::size_t block = SHA_CBLOCK;
  static void init(context* c) { SHA1_Init(c); }
  static void update(context* c, const void* d, std::size_t n) { SHA1_Update(c, d, n); }
  static void final(context* c, unsigned char* out) { SHA1_Final(out, c); }
};

struct sha256_hash {
  using context = SHA256_CTX;
  static constexpr std::size_t size = SHA256_DIGEST_LENGTH;
  static constexpr std::size_t block = SHA256_CBLOCK;
  static void init(context* c) { SHA256_Init(c); }
  static void update(context* c, const void* d, std::size_t n) { SHA256_Update(c, d, n); }
  static void final(context* c, unsigned char* out) { SHA256_Final(out, c); }
};

template <class H>
std::string pbkdf2_hex(std::string_view password, std::string_view salt, int iterations) {
  // HMAC key schedule (RFC 2104): the padded key is hashed once; each
  // iteration then copies the two prepared contexts.
  unsigned char key[H::block] = {};
  if (password.size() > H::block) {
    typename H::context c;
    H::init(&c);
    H::update(&c, password.data(), password.size());
    H::final(&c, key);
  } else {
    std::memcpy(key, password.data(), password.size());
  }
  unsigned char pad[H::block];
  typename H::context inner, outer;
  for (std::size_t i = 0; i < H::block; ++i)
    pad[i] = key[i] ^ 0x36;
  H::init(&inner);
  H::update(&inner, pad, H::block);
  for (std::size_t i = 0; i < H::block; ++i)
    pad[i] = key[i] ^ 0x5c;
  H::init(&outer);
  H::update(&outer, pad, H::block);

  auto hmac = [&](const unsigned char* a, std::size_t a_len, const unsigned char* b,
                  std::size_t b_len, unsigned char* out) {
    typename H::context c = inner;
    H::update(&c, a, a_len);
    if (b_len > 0)
      H::update(&c, b, b_len);
    unsigned char inner_digest[H::size];
    H::final(&c, inner_digest);
    c = outer;
    H::update(&c, inner_digest, H::size);
    H::final(&c, out);
  };

  // One block suffices: dkLen = hLen for SCRAM. U1 = HMAC(P, salt || INT(1)).
  static constexpr unsigned char block_index[4] = {0, 0, 0, 1};
  unsigned char u[H::size], result[H::size];
  hmac(reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), block_index, 4, u);
  std::memcpy(result, u, H::size);
  for (int i = 1; i < iterations; ++i) {
    hmac(u, H::size, nullptr, 0, u);
    for (std::size_t j = 0; j < H::size; ++j)
      result[j] ^= u[j];
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (auto byte : result) {
    hex += digits[byte >> 4];
    hex += digits[byte & 15];
  }
  return hex;
}

} // namespace

std::string scram_salted_password_hex(std::string_view password, std::string_view salt,
                                      int iterations, bool sha256) {
  if (iterations < 1)
    return {};
  return sha256 ? pbkdf2_hex<sha256_hash>(password, salt, iterations)
                : pbkdf2_hex<sha1_hash>(password, salt, iterations);
}

} // namespace irsp::bench
