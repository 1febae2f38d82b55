// irsp-bench's own PBKDF2 (RFC 8018 §5.2) against published vectors and
// against OpenSSL's PKCS5_PBKDF2_HMAC.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <random>

#include "bench/irsp_bench/scram_key.hpp"

using irsp::bench::scram_salted_password_hex;

namespace {

std::string openssl_hex(const std::string& pw, const std::string& salt, int iterations,
                        bool sha256) {
  unsigned char out[32];
  int len = sha256 ? 32 : 20;
  PKCS5_PBKDF2_HMAC(pw.data(), static_cast<int>(pw.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, sha256 ? EVP_sha256() : EVP_sha1(),
                    len, out);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < len; ++i) {
    hex += digits[out[i] >> 4];
    hex += digits[out[i] & 15];
  }
  return hex;
}

} // namespace

TEST_CASE("RFC 6070 PBKDF2-HMAC-SHA1 vectors") {
  CHECK(scram_salted_password_hex("password", "salt", 1, false)
        == "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  CHECK(scram_salted_password_hex("password", "salt", 2, false)
        == "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  CHECK(scram_salted_password_hex("password", "salt", 4096, false)
        == "4b007901b765489abead49d926f721d065a429c1");
}

TEST_CASE("RFC 7914 §11 PBKDF2-HMAC-SHA256 vector, first block") {
  CHECK(scram_salted_password_hex("passwd", "salt", 1, true)
        == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
}

TEST_CASE("agrees with OpenSSL on random inputs, including long passwords") {
  std::mt19937 rng{12345};
  for (int i = 0; i < 50; ++i) {
    std::string pw(rng() % 200, '\0'), salt(1 + rng() % 32, '\0');
    for (auto& c : pw)
      c = static_cast<char>(rng());
    for (auto& c : salt)
      c = static_cast<char>(rng());
    int iterations = 1 + static_cast<int>(rng() % 50);
    for (bool sha256 : {false, true})
      CHECK(scram_salted_password_hex(pw, salt, iterations, sha256)
            == openssl_hex(pw, salt, iterations, sha256));
  }
}

TEST_CASE("no key for fewer than one iteration") {
  CHECK(scram_salted_password_hex("pw", "salt", 0, true).empty());
}
