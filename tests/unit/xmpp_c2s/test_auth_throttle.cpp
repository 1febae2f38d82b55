// RFC 6120 §6.4.5, §13.8: wrong passwords counted per address, per account and address,
// and per account.
#include "node/xmpp/auth_throttle.hpp"
#include "node/xmpp/sasl_negotiation.hpp"

#include <catch2/catch.hpp>

#include <tuple>
#include <vector>

using namespace irsp::xmpp;
using namespace std::chrono_literals;

namespace {

throttle_limits limits(std::uint32_t per_address, std::uint32_t per_pair,
                       std::uint32_t spread, std::size_t max_entries = 1000) {
  throttle_limits l;
  l.per_address = per_address;
  l.per_account_and_address = per_pair;
  l.per_account_spread = spread;
  l.window = std::chrono::minutes(1);
  l.max_entries = max_entries;
  return l;
}

} // namespace

TEST_CASE("an address is held back for an account after its failures, until the window passes") {
  auth_throttle t{limits(20, 3, 100)};
  auto now = auth_throttle::clock::now();
  for (int i = 0; i < 3; ++i) {
    CHECK(t.account_allowed("alice", "10.0.0.1", now));
    t.failed("10.0.0.1", "alice", now);
  }
  CHECK_FALSE(t.account_allowed("alice", "10.0.0.1", now));
  CHECK(t.account_allowed("bob", "10.0.0.1", now));
  CHECK(t.address_allowed("10.0.0.1", now));
  CHECK(t.account_allowed("alice", "10.0.0.1", now + 61s));
}

TEST_CASE("failures from one address never refuse the account from another") {
  // The owner's phone at 10.0.0.2 gets in while 10.0.0.1 guesses away.
  auth_throttle t{limits(1000, 5, 10)};
  auto now = auth_throttle::clock::now();
  for (int i = 0; i < 50; ++i)
    t.failed("10.0.0.1", "alice", now);
  CHECK_FALSE(t.account_allowed("alice", "10.0.0.1", now));
  CHECK(t.account_allowed("alice", "10.0.0.2", now));
  CHECK(t.address_allowed("10.0.0.2", now));
}

TEST_CASE("a guessing attack spread over addresses tightens only the addresses that failed") {
  auth_throttle t{limits(1000, 5, 10)};
  auto now = auth_throttle::clock::now();
  // Ten addresses, one wrong password each: each is still under its own
  // limit of five, but together they mark a spread attack on alice.
  for (int i = 0; i < 9; ++i)
    t.failed("10.0.1." + std::to_string(i), "alice", now);
  CHECK(t.account_allowed("alice", "10.0.1.0", now)); // 9 < 10: not yet
  t.failed("10.0.1.9", "alice", now);
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(t.account_allowed("alice", "10.0.1." + std::to_string(i), now));
  // An address that has not failed for alice is never refused on her behalf.
  CHECK(t.account_allowed("alice", "10.0.2.1", now));
  // Other accounts are untouched, from the same addresses too.
  CHECK(t.account_allowed("bob", "10.0.1.0", now));
  CHECK(t.account_allowed("alice", "10.0.1.0", now + 61s));
}

TEST_CASE("an address is held back after its failures, whichever accounts it tried") {
  auth_throttle t{limits(4, 100, 100)};
  auto now = auth_throttle::clock::now();
  for (int i = 0; i < 4; ++i)
    t.failed("10.0.0.1", "user" + std::to_string(i), now);
  CHECK_FALSE(t.address_allowed("10.0.0.1", now));
  CHECK(t.address_allowed("10.0.0.2", now));
}

TEST_CASE("a success clears the account's count from that address, not the address's") {
  auth_throttle t{limits(2, 2, 100)};
  auto now = auth_throttle::clock::now();
  t.failed("10.0.0.1", "alice", now);
  t.failed("10.0.0.1", "alice", now);
  CHECK_FALSE(t.account_allowed("alice", "10.0.0.1", now));
  t.succeeded("alice", "10.0.0.1");
  CHECK(t.account_allowed("alice", "10.0.0.1", now));
  CHECK_FALSE(t.address_allowed("10.0.0.1", now));
}

TEST_CASE("IPv6 addresses count by their /64, IPv4-mapped ones as IPv4") {
  CHECK(auth_throttle::address_bucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(auth_throttle::address_bucket("::ffff:192.0.2.7") == "192.0.2.7");
  CHECK(auth_throttle::address_bucket("192.0.2.7") == "192.0.2.7");
  auth_throttle t{limits(3, 100, 100)};
  auto now = auth_throttle::clock::now();
  for (int i = 1; i <= 3; ++i)
    t.failed("2001:db8:1:2::" + std::to_string(i), "user" + std::to_string(i), now);
  CHECK_FALSE(t.address_allowed("2001:db8:1:2:ffff::9", now));
  CHECK(t.address_allowed("2001:db8:1:3::1", now));
}

TEST_CASE("the table stays bounded when names and addresses are sprayed") {
  auth_throttle t{limits(5, 5, 5, 100)};
  auto now = auth_throttle::clock::now();
  for (int i = 0; i < 10000; ++i)
    t.failed("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250),
             "user" + std::to_string(i), now + i * 1ms);
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

TEST_CASE("a throttle passes on what it sees and counts what other nodes saw") {
  throttle_limits limits;
  limits.per_account_and_address = 3;
  auth_throttle t{limits};
  std::vector<std::tuple<bool, std::string, std::string>> shared;
  t.share_with([&shared](bool failed, std::string_view address, std::string_view account) {
    shared.emplace_back(failed, std::string{address}, std::string{account});
  });
  auto now = auth_throttle::clock::now();
  t.failed("192.0.2.1", "alice", now);
  t.succeeded("bob", "192.0.2.1");
  REQUIRE(shared.size() == 2);
  CHECK(shared[0] == std::make_tuple(true, std::string{"192.0.2.1"}, std::string{"alice"}));
  CHECK(shared[1] == std::make_tuple(false, std::string{"192.0.2.1"}, std::string{"bob"}));

  // Two failures elsewhere and one here use up alice's allowance from there,
  // and what was heard is not passed on again.
  t.heard(true, "192.0.2.1", "alice", now);
  t.heard(true, "192.0.2.1", "alice", now);
  CHECK(shared.size() == 2);
  CHECK_FALSE(t.account_allowed("alice", "192.0.2.1", now));
  CHECK(t.account_allowed("alice", "192.0.2.2", now)); // the owner elsewhere still may
  // A success elsewhere clears the pair's count here too.
  t.heard(false, "192.0.2.1", "alice", now);
  CHECK(t.account_allowed("alice", "192.0.2.1", now));
}
