// Built-in application last-seen (§8.3.2): bounded memory, and answers that
// say what is known and since when.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>

#include "actors/app/last_seen_app.hpp"

using irsp::device_status;
using irsp::app::last_seen_app;

namespace {

struct no_context : irsp::app_context {
  std::string name_ = "last-seen";
  const std::string& name() const override { return name_; }
  void push(const std::string&, std::string, std::function<void(const irsp::send_result&)>) override {}
  void send_to_app(const std::string&, std::string,
                   std::function<void(const irsp::send_result&)>) override {}
};

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

nlohmann::json ask(last_seen_app& app, const std::string& device) {
  no_context ctx;
  return nlohmann::json::parse(app.on_upload(ctx, {"alice@localhost", device}).reply);
}

} // namespace

TEST_CASE("last-seen: a device not seen since the node started says so, with the time") {
  auto before = now_ms();
  last_seen_app app; // as after a restart: nothing recorded yet
  auto j = ask(app, "tv1@localhost");
  CHECK(j["seen"] == false);
  REQUIRE(j.contains("known_since_ms"));
  CHECK(j["known_since_ms"].get<std::int64_t>() >= before);
  CHECK(j["known_since_ms"].get<std::int64_t>() <= now_ms());

  no_context ctx;
  app.on_device_status(ctx, device_status{"tv1@localhost", true, 7, 1, 1000});
  app.on_device_status(ctx, device_status{"tv1@localhost", false, 7, 2, 2000});
  app.on_device_status(ctx, device_status{"tv1@localhost", true, 7, 1, 1000}); // late, older
  j = ask(app, "tv1@localhost");
  CHECK(j["seen"] == true);
  CHECK(j["online"] == false);
  CHECK(j["at_ms"] == 2000);
  CHECK(j["sequence"] == 2);
}

TEST_CASE("last-seen: remembers a bounded number of devices and never answers wrongly") {
  last_seen_app app{2};
  no_context ctx;
  auto start = now_ms();
  app.on_device_status(ctx, device_status{"a@localhost", true, 1, 1, start + 10});
  app.on_device_status(ctx, device_status{"b@localhost", true, 1, 1, start + 20});
  app.on_device_status(ctx, device_status{"a@localhost", false, 1, 2, start + 30});
  app.on_device_status(ctx, device_status{"c@localhost", true, 1, 1, start + 40});
  CHECK(app.size() == 2);
  // b was heard from longest ago and is forgotten: not "never seen", but
  // nothing known about it since its last transition.
  auto b = ask(app, "b@localhost");
  CHECK(b["seen"] == false);
  CHECK(b["known_since_ms"] == start + 20);
  CHECK(ask(app, "a@localhost")["online"] == false);
  CHECK(ask(app, "c@localhost")["online"] == true);
  // A device never seen at all gets the same honest horizon.
  CHECK(ask(app, "d@localhost")["known_since_ms"] == start + 20);
  for (int i = 0; i < 1000; ++i)
    app.on_device_status(ctx, device_status{"dev" + std::to_string(i), true, 1, 1, start + 50 + i});
  CHECK(app.size() == 2);
}
