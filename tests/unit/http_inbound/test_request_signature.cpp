// IRSP §8.8.3: the canonical request and its HMAC-SHA-256 (RFC 4231 vectors).
#include <catch2/catch.hpp>

#include "node/http/request_signature.hpp"

using namespace irsp::http;

TEST_CASE("the canonical request is six lines, the last the body's SHA-256") {
  auto c = canonical_request("POST", "/v1/apps/echo/messages", "1700000000", "n0nce-0123456789",
                             "{\"payload\":\"hi\"}");
  CHECK(c == "IRSP-HMAC-SHA256\nPOST\n/v1/apps/echo/messages\n1700000000\nn0nce-0123456789\n"
             + sha256_hex("{\"payload\":\"hi\"}"));
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("HMAC-SHA-256 matches RFC 4231 test case 2") {
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("a signature matches only the exact HMAC, in either case of hex") {
  std::string secret = "s3cret";
  std::string canonical = "IRSP-HMAC-SHA256\nPOST\n/x\n1\nnonce\nabc";
  auto good = hmac_sha256_hex(secret, canonical);
  CHECK(signature_matches(secret, canonical, good));
  std::string upper = good;
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  CHECK(signature_matches(secret, canonical, upper));
  auto flipped = good;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  CHECK_FALSE(signature_matches(secret, canonical, flipped));
  CHECK_FALSE(signature_matches("other", canonical, good));
  CHECK_FALSE(signature_matches(secret, canonical + "x", good));
  CHECK_FALSE(signature_matches(secret, canonical, good.substr(0, 63)));
  CHECK_FALSE(signature_matches(secret, canonical, good.substr(0, 62) + "zz"));
  CHECK_FALSE(signature_matches(secret, canonical, ""));
}
