// The embedding API (include/irsp/node.hpp) as a hosting platform uses it.
#include <catch2/catch.hpp>

#include <irsp/node.hpp>

#include "temp_dir.hpp"

namespace {

struct quiet_app : irsp::application {
  irsp::app_reply on_upload(irsp::app_context&, const irsp::upload&) override {
    return irsp::app_reply::accept();
  }
};

irsp::node_options options_in(const irsp::test::temp_dir& dir) {
  irsp::node_options o;
  o.data_dir = dir / "data";
  o.domain = "home.example";
  o.scram_iterations = 4096;
  o.c2s_port = 0; // any free ports: tests run side by side
  o.c2s_tls_port = 0;
  return o;
}

} // namespace

TEST_CASE("a hosting platform starts a node, adds an application, pushes, stops") {
  irsp::test::temp_dir dir;
  irsp::node node{options_in(dir)};
  REQUIRE(node.start());
  CHECK(node.running());
  CHECK(node.options().domain == "home.example");

  auto tv = node.register_account({"tv1", true, "long enough", "", "M", "Acme", "1"});
  REQUIRE(tv.ok);
  CHECK(tv.address == "tv1@home.example");
  CHECK(node.register_account({"tv1", true, "long enough", "", "M", "Acme", "1"}).status == "exists");

  CHECK(node.add_application("mine", std::make_shared<quiet_app>()));
  CHECK_FALSE(node.add_application("mine", std::make_shared<quiet_app>()));
  CHECK_FALSE(node.add_application("echo", std::make_shared<quiet_app>())); // built in

  CHECK(node.push("mine", tv.address, "hi").status == "queued");
  CHECK(node.push("mine", "nobody@home.example", "hi").status == "no-such-account");
  CHECK(node.push("ghost", tv.address, "hi").status == "no-such-application");
  CHECK(node.push("mine", tv.address, std::string(70 * 1024, 'x')).status == "payload-too-large");

  // Never connected: the stream knows no transition of it, and says so.
  auto state = node.device_state(tv.address);
  REQUIRE(state);
  CHECK(state->state == irsp::device_state::offline);
  CHECK(state->epoch == 0);
  CHECK(state->cursor == 0);

  CHECK(node.delete_account(tv.address).ok);
  CHECK(node.delete_account(tv.address).status == "no-such-account");
  node.stop();
  CHECK_FALSE(node.running());
  CHECK(node.push("mine", tv.address, "hi").status == "not-running");
  CHECK_FALSE(node.device_state(tv.address));
}

TEST_CASE("a node that cannot start says why") {
  irsp::test::temp_dir dir;
  auto o = options_in(dir);
  irsp::node first{o};
  REQUIRE(first.start());
  irsp::node second{o};
  CHECK_FALSE(second.start());
  CHECK(second.error().find("already running") != std::string::npos);
  first.stop();
  o.domain = "other.example";
  irsp::node third{o};
  CHECK_FALSE(third.start());
  CHECK(third.error().find("belongs to domain 'home.example'") != std::string::npos);
}
