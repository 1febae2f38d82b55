// Issue 15: the lifecycle stream. Every transition is stored, with a
// persisted epoch, before anyone hears of it; a durable subscriber replays
// it from its acknowledgement after a restart; suspect is a state of its own.
#include "message_fixture.hpp"

#include <random>
#include <set>
#include <thread>

#include "actors/lifecycle/lifecycle_store.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

/// Records each transition handed to it (thread-safe: the test reads it).
struct recording_app : application {
  std::mutex mutex;
  std::vector<device_status> seen;
  app_reply on_upload(app_context&, const upload&) override { return app_reply::accept(); }
  void on_device_status(app_context&, const device_status& s) override {
    std::lock_guard<std::mutex> guard{mutex};
    seen.push_back(s);
  }
  std::vector<device_status> snapshot() {
    std::lock_guard<std::mutex> guard{mutex};
    return seen;
  }
};

// Every stored transition of `address`, read straight from the store.
std::vector<presence_event> stored(message_fixture& f, const std::string& address) {
  lifecycle::lifecycle_store stream{f.accounts};
  std::vector<presence_event> all, out;
  REQUIRE(stream.read(0, 1u << 20, all));
  for (auto& ev : all)
    if (ev.address == address)
      out.push_back(ev);
  return out;
}

// Waits (bounded: only a hang fails) until `app` has seen `n` transitions.
std::vector<device_status> wait_seen(recording_app& app, std::size_t n) {
  for (int i = 0; i < 1000; ++i) {
    auto s = app.snapshot();
    if (s.size() >= n)
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto s = app.snapshot();
  FAIL("the application saw " << s.size() << " transitions, not " << n);
  return s;
}

// Opens and closes sessions of `device` at random, `flips` times; returns
// the transitions that makes (each open of a first session, each close of a
// last one).
std::size_t flap(message_fixture& f, const std::string& device, int flips, std::mt19937& rng) {
  caf::scoped_actor s1{*f.sys}, s2{*f.sys};
  caf::actor principal;
  std::set<std::string> open;
  std::size_t transitions = 0;
  for (int i = 0; i < flips; ++i) {
    std::string resource = rng() % 2 ? "a" : "b";
    auto& session = resource == "a" ? s1 : s2;
    if (open.count(resource)) {
      f.close(session, principal, resource);
      open.erase(resource);
      transitions += open.empty();
    } else {
      transitions += open.empty();
      principal = f.open(session, device, resource).principal;
      open.insert(resource);
    }
  }
  for (auto& resource : open)
    f.close(resource == "a" ? s1 : s2, principal, resource);
  transitions += !open.empty();
  return transitions;
}

} // namespace

TEST_CASE("lifecycle: every transition is stored, in order, with a persisted epoch") {
  message_fixture f;
  f.idle_timeout = std::chrono::milliseconds(1); // passivate at once: new activations
  f.start();
  auto [tv, code] = f.device("tv1");
  std::vector<std::uint64_t> epochs;
  for (int round = 0; round < 3; ++round) {
    if (round == 2) { // and across a restart of the node
      f.stop();
      f.start();
    }
    caf::scoped_actor session{*f.sys};
    auto opened = f.open(session, tv);
    f.close(session, opened.principal);
    // The actor passivates; wait until its offline is stored.
    for (int i = 0; i < 500 && stored(f, tv).size() < 2u * (round + 1); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto evs = stored(f, tv);
    REQUIRE(evs.size() == 2u * (round + 1));
    auto& on = evs[evs.size() - 2];
    auto& off = evs.back();
    CHECK(on.state == lifecycle_state::ONLINE);
    CHECK(off.state == lifecycle_state::OFFLINE);
    CHECK(on.epoch == off.epoch);
    CHECK(off.sequence == on.sequence + 1);
    CHECK(off.cursor > on.cursor);
    epochs.push_back(on.epoch);
    // Wait for the passivation before the next round's activation.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // A counter: 1, 2, 3 — not the clock (which would be ~1.7e12).
  CHECK(epochs[0] >= 1);
  CHECK(epochs[1] > epochs[0]);
  CHECK(epochs[2] > epochs[1]);
  CHECK(epochs[2] < 1000);
}

TEST_CASE("lifecycle: a transition older than the stored one is refused") {
  message_fixture f;
  f.start();
  lifecycle::lifecycle_store stream{f.accounts};
  presence_event ev;
  ev.address = "tv9@localhost";
  ev.state = lifecycle_state::ONLINE;
  ev.epoch = 5;
  ev.sequence = 1;
  auto first = stream.append(ev);
  REQUIRE(first.written == account::write_status::ok);
  CHECK(first.cursor >= 1);
  auto again = stream.append(ev); // the same (epoch, sequence)
  CHECK(again.cursor == 0);
  ev.epoch = 4; // an older activation
  ev.sequence = 9;
  ev.state = lifecycle_state::OFFLINE;
  CHECK(stream.append(ev).cursor == 0);
  presence_event latest;
  REQUIRE(stream.latest("tv9@localhost", latest));
  CHECK(latest.epoch == 5);
  CHECK(latest.state == lifecycle_state::ONLINE);
}

TEST_CASE("lifecycle: concurrent appends get dense cursors in write order") {
  message_fixture f;
  f.start();
  lifecycle::lifecycle_store stream{f.accounts};
  constexpr int threads = 8, each = 200;
  std::vector<std::thread> ts;
  std::vector<std::vector<std::uint64_t>> cursors(threads);
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 1; i <= each; ++i) {
        presence_event ev;
        ev.address = "dev" + std::to_string(t) + "@localhost";
        ev.state = i % 2 ? lifecycle_state::ONLINE : lifecycle_state::OFFLINE;
        ev.epoch = 1;
        ev.sequence = static_cast<std::uint64_t>(i);
        cursors[t].push_back(stream.append(ev).cursor);
      }
    });
  for (auto& t : ts)
    t.join();
  std::set<std::uint64_t> all;
  for (auto& cs : cursors) {
    CHECK(std::is_sorted(cs.begin(), cs.end())); // one caller's appends in its order
    all.insert(cs.begin(), cs.end());
  }
  REQUIRE(all.size() == threads * each);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == threads * each); // no holes
  std::vector<presence_event> read;
  REQUIRE(stream.read(0, threads * each, read));
  REQUIRE(read.size() == threads * each);
  for (std::size_t i = 0; i < read.size(); ++i)
    CHECK(read[i].cursor == i + 1);
  // Each device's own transitions, in the stream's order, are in its order.
  std::map<std::string, std::uint64_t> last;
  for (auto& ev : read) {
    CHECK(ev.sequence == last[ev.address] + 1);
    last[ev.address] = ev.sequence;
  }
}

TEST_CASE("lifecycle: the stream keeps a bounded number of transitions") {
  message_fixture f;
  f.start();
  lifecycle::lifecycle_options o;
  o.max_events = 64;
  lifecycle::lifecycle_store stream{f.accounts, o};
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    presence_event ev;
    ev.address = "tv1@localhost";
    ev.epoch = 1;
    ev.sequence = i;
    ev.state = i % 2 ? lifecycle_state::ONLINE : lifecycle_state::OFFLINE;
    REQUIRE(stream.append(ev).cursor == i);
  }
  std::vector<presence_event> read;
  REQUIRE(stream.read(0, 100000, read));
  CHECK(read.size() >= 64);
  CHECK(read.size() <= 64 + 64 / 16 + 1);
  CHECK(read.back().cursor == 1000);
}

TEST_CASE("lifecycle: a durable application resumes after its acknowledgement, missing nothing") {
  message_fixture f;
  f.idle_timeout = std::chrono::milliseconds(5);
  f.start();
  auto [tv, code] = f.device("tv1");
  std::mt19937 rng{std::random_device{}()};
  auto first = std::make_shared<recording_app>();
  f.add_durable_app("recorder", first, {tv});
  auto made = flap(f, tv, 150, rng);
  auto before = wait_seen(*first, made);
  CHECK(before.size() == made);
  // Its acknowledgement of the last one is written (it follows the handler).
  {
    lifecycle::lifecycle_store stream{f.accounts};
    std::uint64_t acked = 0;
    for (int i = 0; i < 500 && acked < before.back().cursor; ++i) {
      REQUIRE(stream.acked("recorder", acked));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(acked == before.back().cursor);
  }
  // The node stops (the application with it), transitions go on while the
  // application is away, then it comes back under the same name.
  f.stop();
  f.start();
  auto missed = flap(f, tv, 150, rng);
  auto second = std::make_shared<recording_app>();
  f.add_durable_app("recorder", second, {tv});
  auto more = flap(f, tv, 100, rng);
  auto after = wait_seen(*second, missed + more);
  auto truth = stored(f, tv);
  REQUIRE(truth.size() == made + missed + more);
  // Everything after its acknowledgement, once; nothing missing.
  std::map<std::uint64_t, int> times;
  for (auto* run : {&before, &after})
    for (auto& s : *run)
      ++times[s.cursor];
  std::size_t twice = 0;
  for (auto& ev : truth) {
    INFO("cursor " << ev.cursor);
    CHECK(times[ev.cursor] >= 1);
    twice += times[ev.cursor] > 1;
  }
  CHECK(times.size() == truth.size()); // nothing that is not in the stream
  CHECK(twice == 0);
  // Each run in stream order, and alternating online/offline for one device.
  for (auto* run : {&before, &after}) {
    for (std::size_t i = 1; i < run->size(); ++i) {
      CHECK((*run)[i].cursor > (*run)[i - 1].cursor);
      CHECK((*run)[i].online != (*run)[i - 1].online);
    }
  }
}

TEST_CASE("lifecycle: suspect when every session is suspect, online again without offline") {
  message_fixture f;
  f.start();
  auto [tv, code] = f.device("tv1");
  auto alice = f.user("alice");
  caf::scoped_actor alice_session{*f.sys}, s1{*f.sys}, s2{*f.sys};
  f.open(alice_session, alice);
  REQUIRE(f.bind(alice_session, alice, tv, code) == bind_status::OK);
  expect(alice_session, [](bound_atom, const std::string&) {});
  auto p = f.open(s1, tv, "a").principal;
  f.open(s2, tv, "b");
  auto next_state = [&] {
    lifecycle_state out = lifecycle_state::OFFLINE;
    for (bool got = false; !got;)
      expect(alice_session, [&](presence_event& ev) {
        out = ev.state;
        got = true;
      });
    return out;
  };
  CHECK(next_state() == lifecycle_state::ONLINE);
  auto a = f.session_of(s1), b = f.session_of(s2);
  s1->send(p, suspect_atom::value, std::string{"a"}, a);
  s1->send(p, suspect_atom::value, std::string{"b"}, b);
  CHECK(next_state() == lifecycle_state::SUSPECT); // only once both are
  s1->send(p, alive_atom::value, std::string{"b"}, b);
  CHECK(next_state() == lifecycle_state::ONLINE);
  f.close(s2, p, "b"); // the one answering leaves: the other is suspect
  CHECK(next_state() == lifecycle_state::SUSPECT);
  f.close(s1, p, "a");
  CHECK(next_state() == lifecycle_state::OFFLINE);
  auto evs = stored(f, tv);
  REQUIRE(evs.size() == 5);
  std::vector<lifecycle_state> states;
  for (auto& ev : evs)
    states.push_back(ev.state);
  CHECK(states == std::vector<lifecycle_state>{lifecycle_state::ONLINE, lifecycle_state::SUSPECT,
                                               lifecycle_state::ONLINE, lifecycle_state::SUSPECT,
                                               lifecycle_state::OFFLINE});
}
