#include <catch2/catch.hpp>

#include "node/net/memory_release.hpp"

using irsp::net::memory_release;

TEST_CASE("memory is released once the connections fall by a quarter of their peak") {
  memory_release m{100};
  for (std::size_t n = 1; n <= 1000; ++n)
    m.opened(n);
  CHECK_FALSE(m.closed(999));
  CHECK_FALSE(m.closed(751)); // a drop of 249: less than a quarter
  CHECK(m.closed(750));
  // Once per fall: the release is already scheduled.
  CHECK_FALSE(m.closed(700));
  CHECK_FALSE(m.closed(0));
  m.released(0);
  CHECK_FALSE(m.closed(0));
}

TEST_CASE("a small fall releases nothing, however large a share of the peak") {
  memory_release m{1024};
  for (std::size_t n = 1; n <= 1000; ++n)
    m.opened(n);
  CHECK_FALSE(m.closed(0));
}

TEST_CASE("after a release the peak starts again from the count then") {
  memory_release m{100};
  m.opened(1000);
  REQUIRE(m.closed(500));
  m.released(500);
  CHECK_FALSE(m.closed(400)); // a quarter of the new peak of 500 is 125
  CHECK(m.closed(375));
  m.released(375);
  m.opened(2000);
  CHECK_FALSE(m.closed(1501));
  CHECK(m.closed(1500));
}
