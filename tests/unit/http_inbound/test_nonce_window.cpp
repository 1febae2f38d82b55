// IRSP §8.8.3 replay protection: the nonce window.
#include <catch2/catch.hpp>

#include "node/http/nonce_window.hpp"

#include <map>
#include <string>
#include <vector>

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

TEST_CASE("accepted nonces are kept, restored after a restart, and dropped once expired") {
  std::map<std::string, std::int64_t> kept; // what a store would hold
  nonce_window::persistence p;
  p.keep = [&](const std::string& entry, std::int64_t expires) { kept[entry] = expires; };
  p.drop = [&](const std::vector<std::string>& entries) {
    for (auto& e : entries)
      kept.erase(e);
  };
  {
    nonce_window before{300, 1000};
    before.persist_to(p);
    CHECK(before.remember("k1", "n1", 1000, 1000) == outcome::fresh);
    CHECK(before.remember("k1", "n1", 1000, 1001) == outcome::replayed);
    CHECK(kept.size() == 1); // a replay keeps nothing more
    CHECK(kept.begin()->second == 1300);
  }
  // A new process: what was kept comes back, and replays stay refused.
  nonce_window after{300, 1000};
  for (auto& [entry, expires] : kept)
    after.restore(entry, expires, 1010);
  after.persist_to(p);
  CHECK(after.remember("k1", "n1", 1000, 1010) == outcome::replayed);
  CHECK(after.remember("k2", "n1", 1000, 1010) == outcome::fresh);
  // Past their expiry they are forgotten, by the store too.
  CHECK(after.remember("k3", "n9", 1400, 1400) == outcome::fresh);
  CHECK(kept.size() == 1);
  CHECK(kept.begin()->second == 1700);
  // An entry already expired when restored is not put back.
  nonce_window late{300, 1000};
  late.restore("k9\nold", 100, 1010);
  CHECK(late.size() == 0);
}
