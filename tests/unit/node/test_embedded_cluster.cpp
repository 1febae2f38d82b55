// The embedding API with the cluster settings (issue 14): a hosting platform
// embeds cluster members, not only a lone node.
#include <catch2/catch.hpp>

#include <irsp/node.hpp>

#include <chrono>
#include <thread>

#include "node/tls/cluster_ca.hpp"
#include "temp_dir.hpp"

namespace {

irsp::node_options member_in(const std::string& dir, const std::string& name) {
  irsp::node_options o;
  o.data_dir = dir;
  o.domain = "home.example";
  o.c2s_port = 0;
  o.c2s_tls_port = 0;
  o.builtin_apps = false;
  o.cluster_listen = "127.0.0.1:0";
  o.node_name = name;
  o.heartbeat_ms = 100;
  o.failure_ms = 1000;
  return o;
}

// What `node` says of member `name`, waiting up to 20 s for `state`.
bool sees(irsp::node& node, const std::string& name, const std::string& state) {
  for (int i = 0; i < 200; ++i) {
    for (auto& m : node.cluster_members())
      if (m.name == name && m.state == state)
        return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

} // namespace

TEST_CASE("two embedded members form a cluster, share the account store, see one leave") {
  irsp::test::temp_dir dir;
  auto a_dir = dir / "a";
  auto b_dir = dir / "b";
  REQUIRE(irsp::tls::create_cluster_ca(dir / "ca", "test").empty());
  REQUIRE(irsp::tls::issue_node_certificate(dir / "ca", a_dir + "/cluster", "a").empty());
  REQUIRE(irsp::tls::issue_node_certificate(dir / "ca", b_dir + "/cluster", "b").empty());

  irsp::node a{member_in(a_dir, "a")};
  REQUIRE(a.start());
  auto a_listen = a.options().cluster_listen;
  CHECK(a_listen.rfind("127.0.0.1:", 0) == 0);
  CHECK(a_listen != "127.0.0.1:0"); // the port it got

  auto ob = member_in(b_dir, "b");
  ob.cluster_seeds = {a_listen};
  irsp::node b{ob};
  REQUIRE(b.start());
  CHECK(b.options().storage_node == a_listen); // the first seed serves the store

  REQUIRE(sees(a, "b", "alive"));
  REQUIRE(sees(b, "a", "alive"));
  CHECK(a.cluster_members().front().state == "self");

  // Registered through b, stored by a (with b as its backup): both see it.
  auto tv = b.register_account({"tv1", true, "long enough", "", "M", "Acme", "1"});
  REQUIRE(tv.ok);
  CHECK(a.register_account({"tv1", true, "long enough", "", "M", "Acme", "1"}).status
        == "exists");

  b.stop();
  CHECK(sees(a, "b", "dead"));
}

TEST_CASE("a cluster member without the cluster's certificates does not start") {
  irsp::test::temp_dir dir;
  irsp::node n{member_in(dir / "x", "x")};
  CHECK_FALSE(n.start());
  CHECK(n.error().find("cluster init") != std::string::npos);
}
