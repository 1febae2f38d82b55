// RFC 7622 §3.3 localparts as IRSP accepts them.
#include <catch2/catch.hpp>

#include "actors/account/name_rules.hpp"

using irsp::account::prepare_localpart;
using irsp::account::split_address;
using irsp::account::valid_domain;

TEST_CASE("plain names are accepted and case-folded") {
  CHECK(prepare_localpart("alice") == std::optional<std::string>{"alice"});
  CHECK(prepare_localpart("Alice") == std::optional<std::string>{"alice"});
  CHECK(prepare_localpart("tv-livingroom_01.home") == std::optional<std::string>{"tv-livingroom_01.home"});
}

TEST_CASE("non-ASCII names are normalised") {
  // U+00C9 (É) folds to U+00E9 (é).
  CHECK(prepare_localpart("\xc3\x89mile") == std::optional<std::string>{"\xc3\xa9mile"});
  // Fullwidth 'ａ' (U+FF41) is NFKC-mapped to 'a'.
  CHECK(prepare_localpart("\xef\xbd\x81lice") == std::optional<std::string>{"alice"});
}

TEST_CASE("empty and overlong names are refused") {
  CHECK_FALSE(prepare_localpart(""));
  CHECK(prepare_localpart(std::string(1023, 'a')));
  CHECK_FALSE(prepare_localpart(std::string(1024, 'a')));
}

TEST_CASE("RFC 7622 forbidden characters are refused") {
  for (const char* bad : {"a b", "a\"b", "a&b", "a'b", "a/b", "a:b", "a<b", "a>b", "a@b",
                          "a\tb", "a\x7f" "b"})
    CHECK_FALSE(prepare_localpart(bad));
  CHECK_FALSE(prepare_localpart(std::string("a\0b", 3)));
}

TEST_CASE("malformed UTF-8 is refused") {
  CHECK_FALSE(prepare_localpart("a\xff"));
  CHECK_FALSE(prepare_localpart("\xc3"));
}

TEST_CASE("domains are lower-case LDH labels") {
  CHECK(valid_domain("localhost"));
  CHECK(valid_domain("as1.example"));
  CHECK(valid_domain("a-b.c0"));
  CHECK_FALSE(valid_domain(""));
  CHECK_FALSE(valid_domain("Example.com"));
  CHECK_FALSE(valid_domain("-a.b"));
  CHECK_FALSE(valid_domain("a-.b"));
  CHECK_FALSE(valid_domain("a..b"));
  CHECK_FALSE(valid_domain("a.b."));
  CHECK_FALSE(valid_domain(std::string(64, 'a') + ".b"));
}

TEST_CASE("addresses split at the last @") {
  auto parts = split_address("alice@localhost");
  REQUIRE(parts);
  CHECK(parts->first == "alice");
  CHECK(parts->second == "localhost");
  CHECK_FALSE(split_address("alice"));
  CHECK_FALSE(split_address("@localhost"));
  CHECK_FALSE(split_address("alice@"));
}
