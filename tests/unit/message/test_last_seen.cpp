// Built-in application last-seen (§8.3.2) answers from the lifecycle stream
// (issue 15): what it says survives a restart, and an unknown device is
// "not seen", never a guess.
#include "message_fixture.hpp"

#include <nlohmann/json.hpp>

#include <thread>

#include "actors/app/last_seen_app.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

nlohmann::json ask_last_seen(message_fixture& f, const caf::actor& last_seen,
                             const std::string& device) {
  caf::scoped_actor self{*f.sys};
  auto r = ask<upload_response>(self, last_seen, upload_request{"alice@localhost", "last-seen",
                                                                 device});
  REQUIRE(r.status == upload_status::ACCEPTED);
  return nlohmann::json::parse(r.reply);
}

// Waits (bounded) until last-seen says `state` for `device`.
nlohmann::json wait_for_state(message_fixture& f, const caf::actor& last_seen,
                              const std::string& device, const std::string& state) {
  nlohmann::json j;
  for (int i = 0; i < 500; ++i) {
    j = ask_last_seen(f, last_seen, device);
    if (j["seen"] == true && j["state"] == state)
      return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("last-seen never said " << state << " for " << device << ": " << j.dump());
  return j;
}

} // namespace

TEST_CASE("last-seen: a device's latest transition, kept across a restart") {
  message_fixture f;
  f.start();
  auto last_seen = app::spawn_last_seen(*f.sys, f.account_server);
  f.apps.push_back(last_seen);
  auto [tv, code] = f.device("tv1");
  CHECK(ask_last_seen(f, last_seen, tv)["seen"] == false);
  CHECK(ask_last_seen(f, last_seen, "nobody@localhost")["seen"] == false);
  CHECK(ask_last_seen(f, last_seen, "tv1@elsewhere.example")["seen"] == false);

  nlohmann::json online, offline;
  {
    caf::scoped_actor tv_session{*f.sys};
    auto opened = f.open(tv_session, tv);
    online = wait_for_state(f, last_seen, tv, "online");
    f.close(tv_session, opened.principal);
    offline = wait_for_state(f, last_seen, tv, "offline");
  }
  CHECK(online["online"] == true);
  CHECK(online["sequence"] == 1);
  auto epoch = online["epoch"].get<std::uint64_t>();
  CHECK(epoch >= 1);
  CHECK(offline["epoch"] == epoch);
  CHECK(offline["sequence"] == 2);
  CHECK(offline["cursor"].get<std::uint64_t>() > online["cursor"].get<std::uint64_t>());
  // The address is normalised like any other.
  CHECK(ask_last_seen(f, last_seen, "TV1@localhost")["sequence"] == 2);

  f.stop();
  f.start();
  last_seen = app::spawn_last_seen(*f.sys, f.account_server);
  f.apps.push_back(last_seen);
  auto after = ask_last_seen(f, last_seen, tv);
  CHECK(after == offline); // the same transition, cursor and all, after the restart
}
