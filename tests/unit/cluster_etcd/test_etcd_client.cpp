// etcd 3.4 v3 JSON gateway client (cluster/etcd_client.hpp) against a real etcd.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "cluster/etcd_client.hpp"
#include "etcd_process.hpp"

using namespace irsp::cluster;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// etcd 3.4's minimum lease TTL with default flags (3/2 election timeout,
// rounded up): a request for 1 s is granted 2 s.
constexpr std::int64_t short_ttl = 2;

// Only detects a hang: any bounded call must be back well before this.
constexpr auto hang_bound = 20s;

// Polls `done` until it holds or `bound` passes; whether it held.
template <class F>
bool eventually(F done, std::chrono::seconds bound) {
  auto give_up = steady::now() + bound;
  while (steady::now() < give_up) {
    if (done())
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

bool key_exists(etcd_client& c, const std::string& key) {
  auto r = c.get(key);
  REQUIRE(r);
  return !r->kvs.empty();
}

} // namespace

TEST_CASE("grant, put with the lease, and range shows the lease") {
  irsp::test::etcd_process etcd;
  etcd_client c(etcd.endpoint(), 2000ms);
  auto lease = c.grant(10);
  REQUIRE(lease);
  CHECK(lease->id != 0);
  CHECK(lease->ttl == 10);
  CHECK(lease->revision >= 1);

  auto rev = c.put("owner/alice@example", "node-a", lease->id);
  REQUIRE(rev);
  CHECK(*rev > lease->revision);
  REQUIRE(c.put("owner/bob@example", std::string("node\0b", 6)));
  REQUIRE(c.put("ownerx", "outside the prefix"));

  auto all = c.range("owner/");
  REQUIRE(all);
  CHECK(all->revision >= *rev);
  REQUIRE(all->kvs.size() == 2);
  CHECK(all->kvs[0].key == "owner/alice@example");
  CHECK(all->kvs[0].value == "node-a");
  CHECK(all->kvs[0].lease == lease->id);
  CHECK(all->kvs[0].create_revision == *rev);
  CHECK(all->kvs[0].mod_revision == *rev);
  CHECK(all->kvs[1].key == "owner/bob@example");
  CHECK(all->kvs[1].value == std::string("node\0b", 6));
  CHECK(all->kvs[1].lease == 0);

  auto one = c.get("owner/alice@example");
  REQUIRE(one);
  REQUIRE(one->kvs.size() == 1);
  CHECK(one->kvs[0].value == "node-a");
  auto none = c.get("owner/carol@example");
  REQUIRE(none);
  CHECK(none->kvs.empty());

  auto gone = c.remove("owner/bob@example");
  REQUIRE(gone);
  CHECK(gone->deleted == 1);
  CHECK_FALSE(key_exists(c, "owner/bob@example"));
}

TEST_CASE("create succeeds once, then reports the existing holder") {
  irsp::test::etcd_process etcd;
  etcd_client a(etcd.endpoint(), 2000ms);
  etcd_client b(etcd.endpoint(), 2000ms);
  auto lease_a = a.grant(10);
  auto lease_b = b.grant(10);
  REQUIRE(lease_a);
  REQUIRE(lease_b);

  auto first = a.create("owner/alice@example", "node-a", lease_a->id);
  REQUIRE(first);
  CHECK(first->applied);
  CHECK_FALSE(first->current);

  auto second = b.create("owner/alice@example", "node-b", lease_b->id);
  REQUIRE(second);
  CHECK_FALSE(second->applied);
  REQUIRE(second->current);
  CHECK(second->current->value == "node-a");
  CHECK(second->current->lease == lease_a->id);
  CHECK(second->current->create_revision == first->revision);
  CHECK(second->current->mod_revision == first->revision);

  auto still = a.get("owner/alice@example");
  REQUIRE(still);
  REQUIRE(still->kvs.size() == 1);
  CHECK(still->kvs[0].value == "node-a");
}

TEST_CASE("compare_and_swap applies on the current mod_revision, fails on a stale one") {
  irsp::test::etcd_process etcd;
  etcd_client c(etcd.endpoint(), 2000ms);
  auto v1 = c.put("placement/shard-1", "node-a");
  REQUIRE(v1);
  auto swap = c.compare_and_swap("placement/shard-1", *v1, "node-b");
  REQUIRE(swap);
  CHECK(swap->applied);
  CHECK(swap->revision > *v1);

  auto stale = c.compare_and_swap("placement/shard-1", *v1, "node-c");
  REQUIRE(stale);
  CHECK_FALSE(stale->applied);
  REQUIRE(stale->current);
  CHECK(stale->current->value == "node-b");
  CHECK(stale->current->mod_revision == swap->revision);
  CHECK(stale->current->create_revision == *v1);

  auto absent = c.compare_and_swap("placement/none", 5, "x");
  REQUIRE(absent);
  CHECK_FALSE(absent->applied);
  CHECK_FALSE(absent->current);
}

TEST_CASE("keep_alive keeps a lease and its key past the ttl") {
  irsp::test::etcd_process etcd;
  etcd_client c(etcd.endpoint(), 2000ms);
  auto lease = c.grant(short_ttl);
  REQUIRE(lease);
  REQUIRE(c.put("owner/alice@example", "node-a", lease->id));
  // Keep it alive for well over twice its ttl; the key must stay throughout.
  auto until = steady::now() + std::chrono::seconds(3 * short_ttl);
  int renewals = 0;
  while (steady::now() < until) {
    auto ttl = c.keep_alive(lease->id);
    REQUIRE(ttl);
    CHECK(*ttl == lease->ttl);
    ++renewals;
    CHECK(key_exists(c, "owner/alice@example"));
    std::this_thread::sleep_for(300ms);
  }
  CHECK(renewals >= 5);
  CHECK(key_exists(c, "owner/alice@example"));
}

TEST_CASE("a lease not kept alive expires and takes its key with it") {
  irsp::test::etcd_process etcd;
  etcd_client c(etcd.endpoint(), 2000ms);
  auto lease = c.grant(1); // raised to etcd's minimum
  REQUIRE(lease);
  CHECK(lease->ttl == short_ttl);
  REQUIRE(c.put("owner/alice@example", "node-a", lease->id));
  CHECK(key_exists(c, "owner/alice@example"));

  CHECK(eventually([&] { return !key_exists(c, "owner/alice@example"); }, hang_bound));
  auto ttl = c.keep_alive(lease->id);
  REQUIRE(ttl);
  CHECK(*ttl == 0);
  // Now another node may take the key over.
  auto taken = c.create("owner/alice@example", "node-b");
  REQUIRE(taken);
  CHECK(taken->applied);
}

TEST_CASE("revoke removes the lease's keys at once and an unknown lease is an error") {
  irsp::test::etcd_process etcd;
  etcd_client c(etcd.endpoint(), 2000ms);
  auto lease = c.grant(60);
  REQUIRE(lease);
  REQUIRE(c.put("owner/alice@example", "node-a", lease->id));
  REQUIRE(c.put("owner/bob@example", "node-a", lease->id));
  REQUIRE(c.put("owner/carol@example", "node-b"));
  auto revoked = c.revoke(lease->id);
  REQUIRE(revoked);
  auto left = c.range("owner/");
  REQUIRE(left);
  REQUIRE(left->kvs.size() == 1);
  CHECK(left->kvs[0].key == "owner/carol@example");

  auto again = c.revoke(lease->id);
  REQUIRE_FALSE(again);
  CHECK(again.error() == "etcd at " + etcd.endpoint() + ": etcd error: requested lease not found");
  auto put = c.put("owner/dave@example", "x", lease->id);
  REQUIRE_FALSE(put);
  CHECK(put.error().find("requested lease not found") != std::string::npos);
}

TEST_CASE("an endpoint nobody listens on is an error, at once") {
  auto endpoint = "http://127.0.0.1:" + std::to_string(irsp::test::free_port());
  etcd_client c(endpoint, 1000ms);
  auto started = steady::now();
  auto r = c.grant(5);
  REQUIRE_FALSE(r);
  CHECK(r.error() == "etcd at " + endpoint + ": connection refused");
  CHECK(steady::now() - started < hang_bound);
}

TEST_CASE("a server that accepts but never answers times out, never hangs") {
  // A listening socket nobody accepts from: the kernel completes the TCP
  // handshake, then nothing ever answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  auto endpoint = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  etcd_client c(endpoint, 500ms);
  auto started = steady::now();
  auto r = c.get("anything");
  auto took = steady::now() - started;
  ::close(fd);
  REQUIRE_FALSE(r);
  CHECK(r.error() == "etcd at " + endpoint + ": timed out after 500 ms");
  CHECK(took < hang_bound);
}

TEST_CASE("a SIGSTOPped etcd gives a timeout error, and the client recovers after SIGCONT") {
  irsp::test::etcd_process etcd;
  etcd_client c(etcd.endpoint(), 500ms);
  REQUIRE(c.put("k", "before")); // the connection is open and reused below
  REQUIRE(etcd.freeze());
  auto started = steady::now();
  auto r = c.get("k");
  auto took = steady::now() - started;
  auto k = c.keep_alive(1);
  etcd.thaw();
  REQUIRE_FALSE(r);
  CHECK(r.error() == "etcd at " + etcd.endpoint() + ": timed out after 500 ms");
  CHECK(took < hang_bound);
  CHECK_FALSE(k);

  // The same client works again once etcd does (its first answers after a
  // stop may be slow on a loaded machine, hence the bounded poll).
  etcd_result<range_outcome> after = range_outcome{};
  CHECK(eventually([&] { return bool(after = c.get("k")); }, hang_bound));
  REQUIRE(after);
  REQUIRE(after->kvs.size() == 1);
  CHECK(after->kvs[0].value == "before");
}
