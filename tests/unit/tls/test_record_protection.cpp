// RFC 8446 §5.2-§5.3, §7.1-§7.3: TLS 1.3 record protection, checked against RFC 8448's trace.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "node/tls/record_protection.hpp"

using irsp::tls::cipher_suite;
using irsp::tls::derive_traffic_keys;
using irsp::tls::record_cipher;
using irsp::tls::traffic_keys;
using irsp::tls::update_traffic_keys;

namespace {

std::vector<std::uint8_t> unhex(std::string hex) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : hex)
    if (c != ' ' && c != '\n')
      digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

template <std::size_t N>
std::vector<std::uint8_t> head(const std::array<std::uint8_t, N>& a, std::size_t n) {
  return std::vector<std::uint8_t>(a.begin(), a.begin() + n);
}

// RFC 8448 §3 (Simple 1-RTT Handshake), TLS_AES_128_GCM_SHA256.
const auto server_ap_secret =
    unhex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643");
const auto client_ap_secret =
    unhex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5");

// The 50 bytes 00 01 .. 31 that both sides send as application data.
std::vector<std::uint8_t> rfc8448_payload() {
  std::vector<std::uint8_t> p;
  for (int i = 0; i < 50; ++i)
    p.push_back(static_cast<std::uint8_t>(i));
  return p;
}

std::vector<std::uint8_t> seal(cipher_suite suite, const traffic_keys& keys, std::uint64_t seq,
                               const std::vector<std::uint8_t>& payload, std::uint8_t type) {
  std::size_t length = payload.size() + 1 + 16;
  std::vector<std::uint8_t> record = {23, 3, 3, std::uint8_t(length >> 8), std::uint8_t(length)};
  record.resize(5 + length);
  record_cipher c(suite, keys, true);
  REQUIRE(c.seal(seq, record.data(), payload.data(), payload.size(), type, record.data() + 5));
  return record;
}

}  // namespace

TEST_CASE("traffic keys and IVs match RFC 8448", "[tls][record]") {
  traffic_keys server;
  traffic_keys client;
  REQUIRE(derive_traffic_keys(cipher_suite::aes_128_gcm_sha256, server_ap_secret.data(), 0, server));
  REQUIRE(derive_traffic_keys(cipher_suite::aes_128_gcm_sha256, client_ap_secret.data(), 0, client));
  CHECK(head(server.key, 16) == unhex("9f02283b6c9c07efc26bb9f2ac92e356"));
  CHECK(head(server.iv, 12) == unhex("cf782b88dd83549aadf1e984"));
  CHECK(head(client.key, 16) == unhex("17422dda596ed5d9acd890e3c63f5051"));
  CHECK(head(client.iv, 12) == unhex("5b78923dee08579033e523d9"));
}

TEST_CASE("application data records match RFC 8448 byte for byte", "[tls][record]") {
  traffic_keys server;
  traffic_keys client;
  REQUIRE(derive_traffic_keys(cipher_suite::aes_128_gcm_sha256, server_ap_secret.data(), 0, server));
  REQUIRE(derive_traffic_keys(cipher_suite::aes_128_gcm_sha256, client_ap_secret.data(), 0, client));
  // The server's is its second record under these keys (the first carried
  // its NewSessionTicket), so sequence number 1; the client's is its first.
  auto server_record = unhex(
      "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f"
      "82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2"
      "1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d");
  auto client_record = unhex(
      "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa"
      "66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2"
      "97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4");
  CHECK(seal(cipher_suite::aes_128_gcm_sha256, server, 1, rfc8448_payload(), 23) == server_record);
  CHECK(seal(cipher_suite::aes_128_gcm_sha256, client, 0, rfc8448_payload(), 23) == client_record);

  // And back, with the content type at the end of the inner plaintext.
  std::vector<std::uint8_t> inner(server_record.size() - 5 - 16);
  record_cipher opener(cipher_suite::aes_128_gcm_sha256, server, false);
  REQUIRE(opener.open(1, server_record.data(), server_record.data() + 5, server_record.size() - 5,
                      inner.data()));
  auto expected = rfc8448_payload();
  expected.push_back(23);
  CHECK(inner == expected);
  // The wrong sequence number is the wrong nonce: not authentic.
  CHECK_FALSE(opener.open(0, server_record.data(), server_record.data() + 5,
                          server_record.size() - 5, inner.data()));
  CHECK_FALSE(opener.open(2, server_record.data(), server_record.data() + 5,
                          server_record.size() - 5, inner.data()));
}

TEST_CASE("every suite seals and opens, and any flipped bit is caught", "[tls][record]") {
  auto suite = GENERATE(cipher_suite::aes_128_gcm_sha256, cipher_suite::aes_256_gcm_sha384,
                        cipher_suite::chacha20_poly1305_sha256);
  std::vector<std::uint8_t> secret(48, 0x5a);
  traffic_keys keys;
  REQUIRE(derive_traffic_keys(suite, secret.data(), 7, keys));
  std::vector<std::uint8_t> payload = {'<', 'r', '/', '>'};
  auto record = seal(suite, keys, 7, payload, 23);
  REQUIRE(record.size() == 5 + payload.size() + 1 + 16);

  record_cipher opener(suite, keys, false);
  std::vector<std::uint8_t> inner(record.size() - 5 - 16);
  // Several records through one context: the key schedule is reused, the nonce is not.
  for (int round = 0; round < 3; ++round) {
    REQUIRE(opener.open(7, record.data(), record.data() + 5, record.size() - 5, inner.data()));
    CHECK(inner == std::vector<std::uint8_t>{'<', 'r', '/', '>', 23});
  }
  for (std::size_t byte = 0; byte < record.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = record;
      bad[byte] ^= std::uint8_t(1 << bit);
      INFO("byte " << byte << " bit " << bit);
      // The header is additional data: authenticated, not encrypted.
      CHECK_FALSE(opener.open(7, bad.data(), bad.data() + 5, bad.size() - 5, inner.data()));
    }
  }
}

TEST_CASE("a key update replaces secret, key and IV and restarts the sequence", "[tls][record]") {
  // RFC 8446 §7.2; that the new secret is the one OpenSSL derives is checked
  // on a live connection in test_compact.cpp.
  traffic_keys keys;
  REQUIRE(derive_traffic_keys(cipher_suite::aes_128_gcm_sha256, server_ap_secret.data(), 41, keys));
  traffic_keys before = keys;
  REQUIRE(update_traffic_keys(cipher_suite::aes_128_gcm_sha256, keys));
  CHECK(keys.sequence == 0);
  CHECK(keys.secret != before.secret);
  CHECK(keys.key != before.key);
  CHECK(keys.iv != before.iv);
  // The key and IV are those of the new secret (§7.3).
  traffic_keys fresh;
  REQUIRE(derive_traffic_keys(cipher_suite::aes_128_gcm_sha256, keys.secret.data(), 0, fresh));
  CHECK(fresh.key == keys.key);
  CHECK(fresh.iv == keys.iv);
}
