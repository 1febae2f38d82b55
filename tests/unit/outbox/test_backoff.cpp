// IRSP §8.8.2 retries: the backoff schedule (exponential, capped, full jitter).
#include <catch2/catch.hpp>

#include "actors/outbox/backoff.hpp"

using namespace irsp::outbox;
using ms = std::chrono::milliseconds;

TEST_CASE("the ceiling doubles per failure from the base and stops at the cap") {
  backoff_policy p{ms{100}, ms{1000}};
  CHECK(backoff_ceiling(p, 0) == ms{0});
  CHECK(backoff_ceiling(p, 1) == ms{100});
  CHECK(backoff_ceiling(p, 2) == ms{200});
  CHECK(backoff_ceiling(p, 3) == ms{400});
  CHECK(backoff_ceiling(p, 4) == ms{800});
  CHECK(backoff_ceiling(p, 5) == ms{1000});
  CHECK(backoff_ceiling(p, 1000000) == ms{1000}); // no overflow however many failures
}

TEST_CASE("a cap below the base leaves the base") {
  backoff_policy p{ms{500}, ms{100}};
  CHECK(backoff_ceiling(p, 1) == ms{500});
  CHECK(backoff_ceiling(p, 7) == ms{500});
}

TEST_CASE("delays are drawn over the whole range from zero to the ceiling") {
  backoff_policy p{ms{100}, ms{1000}};
  std::mt19937_64 rng{42};
  for (std::uint32_t failures : {1u, 3u, 9u}) {
    auto ceiling = backoff_ceiling(p, failures);
    ms lowest = ceiling, highest{0};
    for (int i = 0; i < 2000; ++i) {
      auto d = backoff_delay(p, failures, rng);
      REQUIRE(d >= ms{0});
      REQUIRE(d <= ceiling);
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
    }
    // Full jitter: both ends of the range are reached, not just near the ceiling.
    CHECK(lowest <= ceiling / 10);
    CHECK(highest >= ceiling * 9 / 10);
  }
}
