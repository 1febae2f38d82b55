// irsp-bench's --connect-to on an IRSP cluster: each account to its actor's
// home node, or to another node, by the node's own placement function.
#include <catch2/catch.hpp>

#include <map>

#include "bench/irsp_bench/cluster_routing.hpp"
#include "cluster/placement.hpp"

using namespace irsp::bench;

namespace {
const std::vector<std::string> nodes{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"};
}

TEST_CASE("home sends each account to the node its actor lives on") {
  std::string error;
  auto t = account_targets(300, "bench", "localhost", nodes, connect_choice::home, error);
  REQUIRE(t);
  REQUIRE(t->size() == 300);
  std::map<int, int> per_node;
  for (int a = 0; a < 300; ++a) {
    const auto* home = irsp::cluster::home_of("bench" + std::to_string(a) + "@localhost", nodes);
    CHECK((*t)[a] == home - nodes.data());
    ++per_node[(*t)[a]];
  }
  CHECK(per_node.size() == 3); // every node is home to some
  // tests/e2e/cluster_fixtures.py's home_of gives the same for the first accounts.
  CHECK(std::vector<int>(t->begin(), t->begin() + 12)
        == std::vector<int>{2, 2, 0, 2, 2, 1, 2, 2, 0, 2, 2, 2});
}

TEST_CASE("the address is placed as the router prepares it: lower case") {
  std::string error;
  auto lower = account_targets(50, "bench", "localhost", nodes, connect_choice::home, error);
  auto upper = account_targets(50, "BENCH", "LocalHost", nodes, connect_choice::home, error);
  REQUIRE(lower);
  REQUIRE(upper);
  CHECK(*lower == *upper);
}

TEST_CASE("away never sends an account to its home") {
  std::string error;
  auto home = account_targets(300, "bench", "localhost", nodes, connect_choice::home, error);
  auto away = account_targets(300, "bench", "localhost", nodes, connect_choice::away, error);
  REQUIRE(home);
  REQUIRE(away);
  for (std::size_t a = 0; a < 300; ++a) {
    CHECK((*away)[a] != (*home)[a]);
    CHECK((*away)[a] == ((*home)[a] + 1) % 3);
  }
}

TEST_CASE("spread needs no cluster, home and away do, away with two nodes at least") {
  std::string error;
  auto spread = account_targets(10, "bench", "localhost", {}, connect_choice::spread, error);
  REQUIRE(spread);
  CHECK(spread->empty());
  CHECK_FALSE(account_targets(10, "bench", "localhost", {}, connect_choice::home, error));
  CHECK(error.find("--cluster-nodes") != std::string::npos);
  CHECK_FALSE(account_targets(10, "bench", "localhost", {"127.0.0.1:1"}, connect_choice::away,
                              error));
  CHECK(account_targets(10, "bench", "localhost", {"127.0.0.1:1"}, connect_choice::home, error));
}
