// IRSP §9 / RFC 5802, RFC 7677, RFC 4013: stored secrets and verification codes.
#include "actors/account/credentials.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <set>

using namespace irsp::account;

TEST_CASE("derived secrets have a fresh 16-byte salt and hash-sized keys") {
  for (auto hash : {scram_hash::sha1, scram_hash::sha256}) {
    auto a = derive_scram_secret(hash, "pencil");
    auto b = derive_scram_secret(hash, "pencil");
    CHECK(a.salt.size() == 16);
    CHECK(a.iterations == default_scram_iterations);
    CHECK(a.stored_key.size() == scram_hash_size(hash));
    CHECK(a.server_key.size() == scram_hash_size(hash));
    CHECK(a.salt != b.salt);
    CHECK(a.stored_key != b.stored_key);
  }
}

TEST_CASE("derivation with a given salt is deterministic") {
  auto a = derive_scram_secret(scram_hash::sha256, "pencil", "salt-salt-salt-s", 4096);
  auto b = derive_scram_secret(scram_hash::sha256, "pencil", "salt-salt-salt-s", 4096);
  CHECK(a.stored_key == b.stored_key);
  CHECK(a.server_key == b.server_key);
  CHECK(a.iterations == 4096);
}

TEST_CASE("password_matches accepts the right password and refuses others") {
  for (auto hash : {scram_hash::sha1, scram_hash::sha256}) {
    auto secret = derive_scram_secret(hash, "correct horse", 1000);
    CHECK(password_matches(secret, hash, "correct horse"));
    CHECK_FALSE(password_matches(secret, hash, "correct horsf"));
    CHECK_FALSE(password_matches(secret, hash, ""));
    // Secrets of the other hash never match.
    auto other = hash == scram_hash::sha1 ? scram_hash::sha256 : scram_hash::sha1;
    CHECK_FALSE(password_matches(secret, other, "correct horse"));
  }
}

TEST_CASE("password_matches SASLpreps the presented password") {
  // RFC 4013 §3: SOFT HYPHEN maps to nothing, so "I\xC2\xADX" is "IX".
  auto secret = derive_scram_secret(scram_hash::sha256, *saslprep("IX"), 1000);
  CHECK(password_matches(secret, scram_hash::sha256, "I\xC2\xADX"));
  // ROMAN NUMERAL NINE normalises (NFKC) to "IX" as well.
  CHECK(password_matches(secret, scram_hash::sha256, "\xE2\x85\xA8"));
}

TEST_CASE("saslprep follows the RFC 4013 examples") {
  CHECK(saslprep("I\xC2\xADX") == std::optional<std::string>("IX"));
  CHECK(saslprep("user") == std::optional<std::string>("user"));
  CHECK(saslprep("USER") == std::optional<std::string>("USER"));
  CHECK(saslprep("\xC2\xAA") == std::optional<std::string>("a"));
  CHECK(saslprep("\xE2\x85\xA8") == std::optional<std::string>("IX"));
  CHECK_FALSE(saslprep("\x07"));                // prohibited control character
  CHECK_FALSE(saslprep("\xD8\xA7" "1"));        // bidi: RandALCat then L/EN
  CHECK_FALSE(saslprep(""));
  CHECK_FALSE(saslprep("\xC2\xAD"));            // empty after mapping
  CHECK_FALSE(saslprep(std::string_view("a\0b", 3)));
}

TEST_CASE("a verification code reads as XXXX-XXXX-XXXX in Crockford base32") {
  const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  auto code = random_verification_code();
  REQUIRE(code.size() == 14);
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i == 4 || i == 9)
      CHECK(code[i] == '-');
    else
      CHECK(alphabet.find(code[i]) != std::string::npos);
  }
}

TEST_CASE("codes differ from one another") {
  std::set<std::string> codes;
  for (int i = 0; i < 100; ++i)
    codes.insert(random_verification_code());
  CHECK(codes.size() == 100);
}

TEST_CASE("a hashed code matches itself and no other") {
  auto code = random_verification_code();
  auto stored = hash_code(code);
  CHECK(stored.salt.size() == 16);
  CHECK(stored.hash.size() == 32);
  CHECK(code_matches(stored, code));
  auto other = code;
  other[0] = other[0] == 'A' ? 'B' : 'A';
  CHECK_FALSE(code_matches(stored, other));
  CHECK_FALSE(code_matches(stored, ""));
  // Same code, fresh salt: a different hash.
  CHECK(hash_code(code).hash != stored.hash);
}

TEST_CASE("code matching ignores dashes and case and maps I, L, O") {
  auto stored = hash_code("1A0B-C1DE-F0GH");
  CHECK(code_matches(stored, "1A0B-C1DE-F0GH"));
  CHECK(code_matches(stored, "1A0BC1DEF0GH"));
  CHECK(code_matches(stored, "1a0b-c1de-f0gh"));
  CHECK(code_matches(stored, "IAOB-CLDE-FOGH"));
  CHECK(code_matches(stored, "lAoB c1de-f0gh"));
  CHECK_FALSE(code_matches(stored, "1A0B-C1DE-F0GJ"));
}

TEST_CASE("constant_time_equal compares contents and lengths") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK(constant_time_equal("", ""));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
}
