// Issue 14: the account store's primary role in etcd (cluster/store_primary.hpp)
// against a real etcd: only the named backup takes over, and only once the
// primary's lease is gone; the operator's node only before any backup.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <mutex>
#include <vector>

#include "cluster/cluster_atoms.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/store_primary.hpp"
#include "etcd_process.hpp"

using namespace irsp::cluster;
using namespace std::chrono_literals;

namespace {

/// What a view was told, in order.
struct told_log {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::uint64_t>> entries;
  std::pair<std::string, std::uint64_t> last() {
    std::lock_guard<std::mutex> guard{mutex};
    return entries.empty() ? std::pair<std::string, std::uint64_t>{"?", 0} : entries.back();
  }
};

caf::actor recording_view(caf::actor_system& sys, std::shared_ptr<told_log> log) {
  return sys.spawn([log](caf::event_based_actor*) -> caf::behavior {
    return {
      [log](store_primary_atom, std::uint32_t, const std::string& name, std::uint64_t epoch) {
        std::lock_guard<std::mutex> guard{log->mutex};
        log->entries.emplace_back(name, epoch);
        return true;
      },
    };
  });
}

struct node_under_test {
  std::shared_ptr<told_log> log = std::make_shared<told_log>();
  std::unique_ptr<store_primary_watch> watch;
  etcd_client etcd;
  std::int64_t lease = 0;
  bool complete = true;

  node_under_test(caf::actor_system& sys, const std::string& endpoint, const std::string& name,
                  bool named)
    : etcd(endpoint, 2000ms) {
    store_primary_config c;
    c.keys = store_keys::of("example.org", 0);
    c.name = name;
    c.named_by_operator = named;
    c.complete = [this] { return complete; };
    c.view = recording_view(sys, log);
    watch = std::make_unique<store_primary_watch>(std::move(c));
    auto granted = etcd.grant(2);
    REQUIRE(granted);
    lease = granted->id;
  }
  void step() { watch->step(etcd, lease, true); }
};

} // namespace

TEST_CASE("may_take_store: the named backup, or the operator's node before any backup") {
  CHECK(may_take_store(std::nullopt, "a", true));
  CHECK_FALSE(may_take_store(std::nullopt, "b", false));
  CHECK(may_take_store(std::string{"b"}, "b", false));
  CHECK_FALSE(may_take_store(std::string{"b"}, "a", true)); // a backup was named: not a
  CHECK_FALSE(may_take_store(std::string{"b"}, "c", false));
}

TEST_CASE("the named backup takes the store over once the primary's lease is gone") {
  irsp::test::etcd_process server;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  node_under_test a{sys, server.endpoint(), "a", true};
  node_under_test b{sys, server.endpoint(), "b", false};
  node_under_test c{sys, server.endpoint(), "c", false};
  auto keys = store_keys::of("example.org", 0);

  // Nobody serves yet; b and c may not start it, a (named by the operator) does.
  b.step();
  c.step();
  CHECK(b.log->last().first.empty());
  a.step();
  auto [name, first_epoch] = a.log->last();
  CHECK(name == "a");
  CHECK(first_epoch > 0);
  b.step();
  c.step();
  CHECK(b.log->last() == std::make_pair(std::string{"a"}, first_epoch));
  CHECK(c.log->last().first == "a");

  // a names b its backup (only while a is primary: guarded by the key).
  auto named = a.etcd.put_guarded(keys.backup, "b", keys.primary, "a");
  REQUIRE(named);
  CHECK(named->applied);
  auto forged = c.etcd.put_guarded(keys.backup, "c", keys.primary, "c");
  REQUIRE(forged);
  CHECK_FALSE(forged->applied);

  // a's lease is gone: c (not named) cannot take over, nor a half copy of b.
  REQUIRE(a.etcd.revoke(a.lease));
  c.step();
  CHECK(c.log->last().first.empty());
  b.complete = false;
  b.step();
  CHECK(b.log->last().first.empty());
  b.complete = true;
  b.step();
  auto [taken_by, epoch] = b.log->last();
  CHECK(taken_by == "b");
  CHECK(epoch > first_epoch); // the old primary's batches are refused by it
  c.step();
  CHECK(c.log->last().first == "b");

  // a comes back with a new lease: b holds the role, a only hears of it;
  // a named by the operator does not matter once a backup was named.
  auto again = a.etcd.grant(2);
  REQUIRE(again);
  a.lease = again->id;
  a.step();
  CHECK(a.log->last() == std::make_pair(std::string{"b"}, epoch));
  REQUIRE(b.etcd.revoke(b.lease));
  a.step();
  CHECK(a.log->last().first.empty());
}

TEST_CASE("a node's own key under an earlier lease is nobody's") {
  irsp::test::etcd_process server;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  node_under_test earlier{sys, server.endpoint(), "a", true};
  earlier.step();
  REQUIRE(earlier.log->last().first == "a");
  // The same node restarted: a new lease while the old key still lives.
  node_under_test restarted{sys, server.endpoint(), "a", true};
  restarted.step();
  CHECK(restarted.log->last().first.empty());
}
