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
  // Asked by the device itself: allowed whatever it is bound to.
  auto r = ask<upload_response>(self, last_seen, upload_request{device, "last-seen", device});
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

TEST_CASE("last-seen answers a user about its bound devices only") {
  message_fixture f;
  f.start();
  auto last_seen = app::spawn_last_seen(*f.sys, f.account_server);
  f.apps.push_back(last_seen);
  auto alice = f.user("alice");
  auto mallory = f.user("mallory");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor self{*f.sys};
  auto asks = [&](const std::string& who, const std::string& device) {
    return ask<upload_response>(self, last_seen, upload_request{who, "last-seen", device});
  };
  CHECK(asks(alice, tv).status == upload_status::NOT_ALLOWED);
  REQUIRE(ask<account::bind_status>(self, f.router, account::bind_request{alice, tv, code})
          == account::bind_status::OK);
  auto r = asks(alice, "TV1@localhost"); // normalised like any address
  CHECK(r.status == upload_status::ACCEPTED);
  CHECK(nlohmann::json::parse(r.reply)["device"] == "TV1@localhost");
  auto denied = asks(mallory, tv);
  CHECK(denied.status == upload_status::NOT_ALLOWED);
  CHECK(denied.reply.empty());
  CHECK(asks(mallory, "nobody@localhost").status == upload_status::NOT_ALLOWED);
}
