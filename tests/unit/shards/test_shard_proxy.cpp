// Issue 14: requests reach the shard of their account; a binding across two
// shards has one half in each, made, undone and removed in step
// (cluster/shard_proxy.hpp), with real stores and account servers.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/account/account_server.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/binding_store.hpp"
#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"
#include "cluster/as_link_atoms.hpp"
#include "cluster/shard_map.hpp"
#include "cluster/shard_proxy.hpp"
#include "temp_dir.hpp"

using namespace irsp;
using namespace irsp::account;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t shards = 2;

template <class Response, class... Ts>
Response ask(caf::scoped_actor& self, const caf::actor& dest, Ts&&... xs) {
  Response out{};
  self->request(dest, 10s, std::forward<Ts>(xs)...)
    .receive([&](Response& r) { out = std::move(r); },
             [&](caf::error& e) { FAIL(self->system().render(e)); });
  return out;
}

// The first name "<prefix>-N" whose account is in `shard`.
std::string name_in(const std::string& prefix, std::size_t shard) {
  for (int i = 0;; ++i) {
    auto name = prefix + "-" + std::to_string(i);
    if (cluster::shard_of_name(name, "localhost", shards) == shard)
      return name;
  }
}

struct two_shards {
  test::temp_dir dir;
  std::vector<std::shared_ptr<account_store>> stores;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<caf::actor> servers;
  caf::actor proxy;

  two_shards() {
    for (std::size_t k = 0; k < shards; ++k) {
      store_options o;
      o.path = dir / ("shard" + std::to_string(k));
      o.scram_iterations = 16;
      std::string error;
      stores.push_back(account_store::open(o, error));
      REQUIRE(stores.back());
      servers.push_back(spawn_account_server(sys, stores.back(), 2));
    }
    proxy = cluster::spawn_account_shards(sys, "localhost", shards);
    for (std::size_t k = 0; k < shards; ++k)
      caf::anon_send(proxy, caf::put_atom::value, static_cast<std::uint32_t>(k), servers[k]);
  }
  ~two_shards() {
    for (auto& a : servers)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
  }

  register_response enrol(caf::scoped_actor& self, const std::string& name, account_kind kind) {
    register_request r;
    r.name = name;
    r.kind = kind;
    r.password = "long enough";
    if (kind == account_kind::DEVICE)
      r.device = {"M", "Acme", "1"};
    auto resp = ask<register_response>(self, proxy, r);
    REQUIRE(resp.status == register_status::OK);
    return resp;
  }

  std::vector<std::string> peers(std::size_t k, const std::string& address) {
    binding_store b{*stores[k]};
    std::vector<std::string> out;
    REQUIRE(b.peers(address, out));
    return out;
  }
};

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("each account lives in its own shard") {
  two_shards f;
  caf::scoped_actor self{f.sys};
  for (std::size_t k = 0; k < shards; ++k) {
    auto address = f.enrol(self, name_in("acct", k), account_kind::USER).address;
    CHECK(f.stores[k]->find(address));
    CHECK_FALSE(f.stores[1 - k]->find(address));
    // Reads find it through the proxy, wherever it is.
    auto view = ask<account_view>(self, f.proxy, find_atom::value, address);
    CHECK(view.address == address);
  }
}

TEST_CASE("a binding across shards: a half in each, both removed by unbind") {
  two_shards f;
  caf::scoped_actor self{f.sys};
  auto user = f.enrol(self, name_in("user", 0), account_kind::USER).address;
  auto dev = f.enrol(self, name_in("cam", 1), account_kind::DEVICE);
  CHECK(ask<bind_status>(self, f.proxy, bind_request{user, dev.address, "000000"})
        == bind_status::WRONG_CODE);
  CHECK(f.peers(1, dev.address).empty());
  CHECK(ask<bind_status>(self, f.proxy, bind_request{user, dev.address, dev.verification_code})
        == bind_status::OK);
  CHECK(f.peers(0, user) == strings{dev.address});
  CHECK(f.peers(1, dev.address) == strings{user});
  CHECK(ask<bind_status>(self, f.proxy, bind_request{user, dev.address, dev.verification_code})
        == bind_status::ALREADY_BOUND);
  // A device cannot bind a device, across shards too: its half is undone.
  auto other = f.enrol(self, name_in("cam2", 0), account_kind::DEVICE);
  CHECK(ask<bind_status>(self, f.proxy,
                         bind_request{other.address, dev.address, dev.verification_code})
        == bind_status::NOT_A_USER);
  CHECK(f.peers(1, dev.address) == strings{user});
  CHECK(ask<unbind_status>(self, f.proxy, unbind_request{dev.address, user})
        == unbind_status::OK);
  CHECK(f.peers(0, user).empty());
  CHECK(f.peers(1, dev.address).empty());
  CHECK(ask<unbind_status>(self, f.proxy, unbind_request{user, dev.address})
        == unbind_status::NOT_BOUND);
}

TEST_CASE("a half left by a failed bind is completed by binding again") {
  two_shards f;
  caf::scoped_actor self{f.sys};
  auto user = f.enrol(self, name_in("user", 0), account_kind::USER).address;
  auto dev = f.enrol(self, name_in("cam", 1), account_kind::DEVICE);
  // The user's shard is unreachable after the device's half was written
  // (as when its node dies between the two steps).
  caf::anon_send(f.proxy, caf::put_atom::value, std::uint32_t{0}, caf::actor{});
  CHECK(ask<bind_status>(self, f.proxy, bind_request{user, dev.address, dev.verification_code})
        == bind_status::STORAGE_UNAVAILABLE);
  caf::anon_send(f.proxy, caf::put_atom::value, std::uint32_t{0}, f.servers[0]);
  CHECK(f.peers(0, user).empty());
  // The device's half alone (rolled back, or left by a crash) binds nothing;
  // binding again makes both.
  binding_store{*f.stores[1]}.bind_device_half(dev.address, user, dev.verification_code);
  CHECK(ask<bind_status>(self, f.proxy, bind_request{user, dev.address, dev.verification_code})
        == bind_status::OK);
  CHECK(f.peers(0, user) == strings{dev.address});
  CHECK(f.peers(1, dev.address) == strings{user});
}

TEST_CASE("deleting an account removes its peers' halves in other shards") {
  two_shards f;
  caf::scoped_actor self{f.sys};
  auto user = f.enrol(self, name_in("user", 0), account_kind::USER).address;
  auto dev = f.enrol(self, name_in("cam", 1), account_kind::DEVICE);
  REQUIRE(ask<bind_status>(self, f.proxy, bind_request{user, dev.address, dev.verification_code})
          == bind_status::OK);
  auto gone = ask<delete_response>(self, f.proxy, delete_request{user, {}});
  CHECK(gone.status == delete_status::OK);
  CHECK(gone.unbound == strings{dev.address});
  CHECK(f.peers(1, dev.address).empty());
  // A namesake starts with nothing on either side.
  auto again = f.enrol(self, name_in("user", 0), account_kind::USER).address;
  CHECK(again == user);
  CHECK(f.peers(0, user).empty());
  CHECK(f.peers(1, dev.address).empty());
}

TEST_CASE("a shard with no node answers storage-unavailable, the other serves") {
  two_shards f;
  caf::scoped_actor self{f.sys};
  caf::anon_send(f.proxy, caf::put_atom::value, std::uint32_t{1}, caf::actor{});
  register_request r;
  r.name = name_in("late", 1);
  r.password = "long enough";
  bool unavailable = false;
  self->request(f.proxy, 10s, r)
    .receive([](register_response&) {},
             [&](caf::error& e) { unavailable = e == caf::sec::cannot_connect_to_node; });
  CHECK(unavailable);
  f.enrol(self, name_in("early", 0), account_kind::USER);
}

TEST_CASE("a binding across ASs is recorded in the shard of our own account") {
  two_shards f;
  caf::scoped_actor self{f.sys};
  auto dev = f.enrol(self, name_in("cam", 1), account_kind::DEVICE);
  auto user = f.enrol(self, name_in("user", 1), account_kind::USER).address;
  std::string remote_user = "bob@as2.example", remote_dev = "tv@as2.example";
  CHECK(ask<bind_status>(self, f.proxy, cluster::as_link_atom::value,
                         bind_request{remote_user, dev.address, dev.verification_code})
        == bind_status::OK);
  CHECK(f.peers(1, dev.address) == strings{remote_user});
  CHECK(ask<bind_status>(self, f.proxy, cluster::as_link_atom::value, bound_atom::value, user,
                         remote_dev)
        == bind_status::OK);
  CHECK(f.peers(1, user) == strings{remote_dev});
  CHECK(ask<unbind_status>(self, f.proxy, cluster::as_link_atom::value,
                           unbind_request{dev.address, remote_user})
        == unbind_status::OK);
  CHECK(f.peers(1, dev.address).empty());
  CHECK(f.peers(0, dev.address).empty());
}
