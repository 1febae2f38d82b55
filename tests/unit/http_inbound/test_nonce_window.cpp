// IRSP §8.8.3 replay protection: the nonce window.
#include <catch2/catch.hpp>

#include "node/http/nonce_window.hpp"

using irsp::http::nonce_window;
using outcome = nonce_window::outcome;

TEST_CASE("a nonce is accepted once per key within the window") {
  nonce_window w{300, 100};
  CHECK(w.remember("k1", "nonce-a", 1000, 1000) == outcome::fresh);
  CHECK(w.remember("k1", "nonce-a", 1000, 1100) == outcome::replayed);
  CHECK(w.remember("k1", "nonce-a", 1200, 1250) == outcome::replayed); // another timestamp too
  CHECK(w.remember("k2", "nonce-a", 1000, 1100) == outcome::fresh);   // keys are separate
  CHECK(w.size() == 2);
}

TEST_CASE("a nonce is kept until its timestamp leaves the window, then forgotten") {
  nonce_window w{300, 100};
  REQUIRE(w.remember("k", "n", 1000, 1000) == outcome::fresh);
  // Still inside the window at 1300 (|1300 - 1000| <= 300): still a replay.
  CHECK(w.remember("k", "n", 1000, 1300) == outcome::replayed);
  // At 1301 the timestamp is refused by the time check; the entry is gone.
  CHECK(w.remember("k", "other", 1301, 1301) == outcome::fresh);
  CHECK(w.size() == 1);
}

TEST_CASE("memory is bounded: a full window refuses rather than forgets") {
  nonce_window w{300, 3};
  CHECK(w.remember("k", "a", 1000, 1000) == outcome::fresh);
  CHECK(w.remember("k", "b", 1001, 1001) == outcome::fresh);
  CHECK(w.remember("k", "c", 1002, 1002) == outcome::fresh);
  CHECK(w.remember("k", "d", 1003, 1003) == outcome::full);
  CHECK(w.remember("k", "a", 1000, 1003) == outcome::replayed); // nothing was forgotten
  // Once the oldest expires (1000 + 300 < 1301) there is room again.
  CHECK(w.remember("k", "d", 1301, 1301) == outcome::fresh);
  CHECK(w.size() == 3);
}
