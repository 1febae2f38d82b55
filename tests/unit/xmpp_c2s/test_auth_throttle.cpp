// RFC 6120 §6.4.5, §13.8: failed authentications counted per address and per account.
#include "node/xmpp/auth_throttle.hpp"
#include "node/xmpp/sasl_negotiation.hpp"

#include <catch2/catch.hpp>

using namespace irsp::xmpp;
using namespace std::chrono_literals;

TEST_CASE("an account is held back after its failures, until the window passes") {
  auth_throttle t{throttle_limits{20, 3, std::chrono::minutes(1), 1000}};
  auto now = auth_throttle::clock::now();
  for (int i = 0; i < 3; ++i) {
    CHECK(t.account_allowed("alice", now));
    t.failed("10.0.0.1", "alice", now);
  }
  CHECK_FALSE(t.account_allowed("alice", now));
  CHECK(t.account_allowed("bob", now));
  CHECK(t.address_allowed("10.0.0.1", now));
  CHECK(t.account_allowed("alice", now + 61s));
}

TEST_CASE("an address is held back after its failures, whichever accounts it tried") {
  auth_throttle t{throttle_limits{4, 100, std::chrono::minutes(1), 1000}};
  auto now = auth_throttle::clock::now();
  for (int i = 0; i < 4; ++i)
    t.failed("10.0.0.1", "user" + std::to_string(i), now);
  CHECK_FALSE(t.address_allowed("10.0.0.1", now));
  CHECK(t.address_allowed("10.0.0.2", now));
}

TEST_CASE("a success clears the account's count but not the address's") {
  auth_throttle t{throttle_limits{2, 2, std::chrono::minutes(1), 1000}};
  auto now = auth_throttle::clock::now();
  t.failed("10.0.0.1", "alice", now);
  t.failed("10.0.0.1", "alice", now);
  t.succeeded("alice");
  CHECK(t.account_allowed("alice", now));
  CHECK_FALSE(t.address_allowed("10.0.0.1", now));
}

TEST_CASE("the table stays bounded when names are sprayed") {
  auth_throttle t{throttle_limits{5, 5, std::chrono::minutes(1), 100}};
  auto now = auth_throttle::clock::now();
  for (int i = 0; i < 10000; ++i)
    t.failed("10.0.0." + std::to_string(i % 250), "user" + std::to_string(i), now + i * 1ms);
  CHECK(t.size() <= 100);
}

TEST_CASE("base64 round-trips and rejects what RFC 6120 §6.4.2 calls incorrect-encoding") {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "abcd",
                                                std::string("\0\xff\x10", 3)})
    CHECK(base64_decode(base64_encode(s)) == s);
  CHECK(base64_encode("n,,n=user,r=abc") == "biwsbj11c2VyLHI9YWJj");
  CHECK_FALSE(base64_decode("abc"));      // no padding
  CHECK_FALSE(base64_decode("ab=c"));     // padding inside
  CHECK_FALSE(base64_decode("YQ==YQ==")); // padding before the end
  CHECK_FALSE(base64_decode("YR=="));     // non-zero trailing bits
  CHECK_FALSE(base64_decode("Y Q=="));    // whitespace
}
