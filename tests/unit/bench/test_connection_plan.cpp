// irsp-bench's connection plan: port lists, targets, source addresses, and
// which account and worker each connection gets.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <map>
#include <set>

#include "bench/irsp_bench/connection_plan.hpp"

using namespace irsp::bench;

TEST_CASE("a port list is one or more ports, comma-separated") {
  std::string error;
  auto one = parse_port_list("5222", error);
  REQUIRE(one);
  CHECK(*one == std::vector<std::uint16_t>{5222});
  auto three = parse_port_list("5222,5322,65535", error);
  REQUIRE(three);
  CHECK(*three == std::vector<std::uint16_t>{5222, 5322, 65535});
}

TEST_CASE("a bad port list is refused with the reason") {
  std::string error;
  for (const char* bad : {"", "5222,", ",5222", "0", "65536", "52x2", "5222, 5322", "-1",
                          "123456"}) {
    CAPTURE(bad);
    error.clear();
    CHECK_FALSE(parse_port_list(bad, error));
    CHECK_FALSE(error.empty());
  }
  CHECK_FALSE(parse_port_list("5222,5222", error));
  CHECK(error.find("twice") != std::string::npos);
}

TEST_CASE("targets are every host with every port, host-major") {
  std::string error;
  auto t = make_targets({"127.0.0.1", "127.0.0.2"}, {5222, 5322}, error);
  REQUIRE(t);
  REQUIRE(t->size() == 4);
  CHECK((*t)[0].name == "127.0.0.1:5222");
  CHECK((*t)[1].name == "127.0.0.1:5322");
  CHECK((*t)[2].name == "127.0.0.2:5222");
  CHECK((*t)[3].name == "127.0.0.2:5322");
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&(*t)[3].address);
  CHECK(v4->sin_family == AF_INET);
  CHECK(ntohs(v4->sin_port) == 5322);
  CHECK(ntohl(v4->sin_addr.s_addr) == 0x7f000002u);
  auto v6 = make_targets({"::1"}, {5222}, error);
  REQUIRE(v6);
  CHECK((*v6)[0].name == "[::1]:5222");
  CHECK((*v6)[0].length == sizeof(sockaddr_in6));
  CHECK_FALSE(make_targets({"localhost"}, {5222}, error));
}

TEST_CASE("source addresses count up from the first") {
  in_addr first{};
  inet_pton(AF_INET, "127.0.0.1", &first);
  CHECK(ntohl(source_address(first, 0).sin_addr.s_addr) == 0x7f000001u);
  CHECK(ntohl(source_address(first, 4).sin_addr.s_addr) == 0x7f000005u);
  CHECK(ntohl(source_address(first, 255).sin_addr.s_addr) == 0x7f000100u);
  CHECK(source_address(first, 3).sin_port == 0);
}

TEST_CASE("one process and no source binding for a small run") {
  std::string error;
  auto p = make_plan(2000, 0, 1, 0, 1, 0, error);
  REQUIRE(p);
  CHECK(p->processes == 1);
  CHECK(p->sources == 1);
  CHECK(p->connections() == 2000);
  CHECK(p->account(1999) == 1999);
}

TEST_CASE("enough processes to keep each under the cap, enough source addresses") {
  std::string error;
  auto p = make_plan(100000, 0, 6, 0, 2, 0, error);
  REQUIRE(p);
  CHECK(p->processes == 12); // ceil(100 000 / 9000)
  CHECK(p->connections_per_process() <= max_connections_per_process);
  CHECK(p->sources == 5); // ceil(100 000 / 20 000)
  // Rounding over threads must not leave a process one over the cap.
  auto edge = make_plan(9001, 0, 1, 0, 2, 0, error);
  REQUIRE(edge);
  CHECK(edge->connections_per_process() <= max_connections_per_process);
  auto exact = make_plan(18000, 0, 1, 0, 2, 0, error);
  REQUIRE(exact);
  CHECK(exact->processes == 2);
}

TEST_CASE("a process count that overfills a process is refused") {
  std::string error;
  CHECK_FALSE(make_plan(20000, 0, 1, 2, 1, 0, error));
  CHECK(error.find("per process") != std::string::npos);
  CHECK(make_plan(18000, 0, 1, 2, 1, 0, error));
  CHECK_FALSE(make_plan(1000, 0, 1, 1, 1, 251, error));
  CHECK_FALSE(make_plan(1000, 1.5, 1, 1, 1, 1, error));
}

TEST_CASE("every connection has exactly one worker, round-robin over processes and threads") {
  std::string error;
  auto p = make_plan(30000, 0, 1, 0, 2, 0, error);
  REQUIRE(p);
  REQUIRE(p->workers() == 8); // 4 processes x 2 threads
  std::map<int, int> per_worker;
  for (int i = 0; i < p->connections(); ++i)
    ++per_worker[p->worker(i)];
  REQUIRE(per_worker.size() == 8);
  for (const auto& [worker, count] : per_worker)
    CHECK((count == 3750));
  int per_process = 0;
  for (int t = 0; t < p->threads; ++t)
    per_process += per_worker[t];
  CHECK(per_process <= p->connections_per_process());
}

TEST_CASE("replacing logins come after the first logins, spread over distinct accounts") {
  std::string error;
  auto p = make_plan(1000, 0.1, 1, 0, 1, 0, error);
  REQUIRE(p);
  CHECK(p->replacements == 100);
  CHECK(p->connections() == 1100);
  std::set<int> again;
  for (int i = 1000; i < 1100; ++i) {
    const int a = p->account(i);
    CHECK(a >= 0);
    CHECK(a < 1000);
    again.insert(a);
  }
  CHECK(again.size() == 100);     // no account twice
  CHECK(*again.begin() == 0);
  CHECK(*again.rbegin() >= 900);  // spread over the whole range
  auto all = make_plan(10, 1.0, 1, 0, 1, 0, error);
  REQUIRE(all);
  for (int i = 10; i < 20; ++i)
    CHECK(all->account(i) == i - 10);
}

TEST_CASE("an account always goes to the same server, so its replacement reaches its session") {
  std::string error;
  auto p = make_plan(600, 0.5, 3, 0, 1, 3, error);
  REQUIRE(p);
  std::map<int, std::set<int>> servers_of;
  for (int i = 0; i < p->connections(); ++i)
    servers_of[p->account(i)].insert(p->target(i));
  for (const auto& [account, servers] : servers_of)
    CHECK(servers.size() == 1);
  std::map<int, int> per_server;
  for (int a = 0; a < 600; ++a)
    ++per_server[p->target(a)];
  CHECK(per_server == std::map<int, int>{{0, 200}, {1, 200}, {2, 200}});
  std::set<int> sources;
  for (int i = 0; i < p->connections(); ++i)
    sources.insert(p->source(i));
  CHECK(sources == std::set<int>{0, 1, 2});
}

TEST_CASE("lists split at commas, keeping empty pieces for the caller to refuse") {
  CHECK(split_list("a") == std::vector<std::string>{"a"});
  CHECK(split_list("a,b") == std::vector<std::string>{"a", "b"});
  CHECK(split_list("a,,b,") == std::vector<std::string>{"a", "", "b", ""});
}
