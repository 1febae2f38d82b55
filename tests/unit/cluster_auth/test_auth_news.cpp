// The nodes of a cluster pass on what their password checks saw: news seen on
// one node reaches every peer it knows (and not itself), batched; a peer that
// left hears nothing more.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <chrono>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "cluster/auth_news.hpp"
#include "cluster/cluster_atoms.hpp"
#include "cluster/member_info.hpp"
#include "cluster/wire_types.hpp"

using namespace irsp::cluster;
using namespace std::chrono_literals;

namespace {

struct heard_log {
  std::mutex mutex;
  std::vector<std::tuple<bool, std::string, std::string>> items;

  std::size_t size() {
    std::lock_guard<std::mutex> guard{mutex};
    return items.size();
  }
  // Waits up to 10 s for `n` items: the batches go out every 20 ms here.
  bool reaches(std::size_t n) {
    for (int i = 0; i < 1000 && size() < n; ++i)
      std::this_thread::sleep_for(10ms);
    return size() >= n;
  }
};

caf::actor spawn_node(caf::actor_system& sys, heard_log& log) {
  auth_news_config c;
  c.batch_every = 20ms;
  c.apply = [&log](bool failed, const std::string& address, const std::string& account) {
    std::lock_guard<std::mutex> guard{log.mutex};
    log.items.emplace_back(failed, address, account);
  };
  return spawn_auth_news(sys, c);
}

member_info peer(const std::string& name, const caf::actor& auth) {
  member_info m;
  m.name = name;
  m.auth = auth;
  return m;
}

} // namespace

TEST_CASE("password-check news goes to every known peer, in batches, and stops when one leaves") {
  caf::actor_system_config cfg;
  announce_cluster_types(cfg);
  caf::actor_system sys{cfg};
  heard_log on_a, on_b, on_c;
  auto a = spawn_node(sys, on_a);
  auto b = spawn_node(sys, on_b);
  auto c = spawn_node(sys, on_c);
  caf::anon_send(a, member_up_atom::value, peer("b", b));
  caf::anon_send(a, member_up_atom::value, peer("c", c));

  caf::anon_send(a, auth_news_atom::value, true, std::string{"192.0.2.7"},
                 std::string{"alice"});
  caf::anon_send(a, auth_news_atom::value, false, std::string{"192.0.2.8"},
                 std::string{"bob"});
  REQUIRE(on_b.reaches(2));
  REQUIRE(on_c.reaches(2));
  CHECK(on_b.items[0] == std::make_tuple(true, std::string{"192.0.2.7"}, std::string{"alice"}));
  CHECK(on_b.items[1] == std::make_tuple(false, std::string{"192.0.2.8"}, std::string{"bob"}));
  CHECK(on_a.size() == 0); // its own news is not applied again

  caf::anon_send(a, member_down_atom::value, peer("c", c));
  caf::anon_send(a, auth_news_atom::value, true, std::string{"192.0.2.9"},
                 std::string{"carol"});
  REQUIRE(on_b.reaches(3));
  // c left before that news; b got it, so c would have by now.
  CHECK(on_c.size() == 2);
  for (auto& x : {a, b, c})
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
}
