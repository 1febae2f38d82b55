// In-process routing (IRSP §8.3): upload->echo->push round trips/s and notifications/s vs a CAF ping-pong.
//
// Everything runs in one actor system with 2 scheduler threads, real RocksDB
// stores in a temp dir, and no sockets. The benchmark thread only hands a batch
// of work to a driver actor and waits for it, so the figures are those of
// actors talking to actors, and the ratios to the ping-pong are taken in one run.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/account/account_server.hpp"
#include "actors/account/account_store.hpp"
#include "actors/app/app_host.hpp"
#include "actors/app/echo_app.hpp"
#include "actors/atoms.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"
#include "actors/lifecycle/lifecycle_writer.hpp"
#include "actors/message/exchanges.hpp"
#include "actors/message/router.hpp"
#include "actors/offline/offline_module.hpp"
#include "actors/offline/offline_queue.hpp"
#include "actors/offline/offline_store.hpp"
#include "irsp/application.hpp"

namespace irsp_bench {

using clock_type = std::chrono::steady_clock;
using run_atom = caf::atom_constant<caf::atom("run")>;

/// One batch of work handed to a driver actor; the benchmark thread waits on
/// `done`, which is set exactly once, by whoever sees the batch finish or fail.
struct batch {
  long count = 0;   ///< round trips, or open/close cycles, to complete
  long window = 1;  ///< how many may be in flight at once
  std::string payload;
  std::vector<std::int64_t>* latencies = nullptr; ///< ns per round trip; window 1 only
  std::string error;
  std::atomic<bool> finished{false};
  std::promise<void> done;

  void finish(std::string why = {}) {
    if (finished.exchange(true))
      return;
    error = std::move(why);
    done.set_value();
  }
};

using batch_ptr = std::shared_ptr<batch>;

} // namespace irsp_bench

// Only ever passed between actors of this process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(irsp_bench::batch_ptr)

namespace irsp_bench {

using namespace irsp;
using namespace irsp::message;

// ---------------------------------------------------------------------------
// Drivers

struct echo_session_state {
  std::string from;
  caf::actor router;
  batch_ptr current;
  long sent = 0;
  long delivered = 0;
  long accepted = 0;
  clock_type::time_point sent_at;
  static inline const char* name = "bench.echo_session";
};

using echo_session = caf::stateful_actor<echo_session_state>;

void echo_done_if_complete(echo_session* self) {
  auto& st = self->state;
  // Both the push and the upload's own status must be back, so that no reply
  // of this batch is still in flight when the next one starts.
  if (st.delivered == st.current->count && st.accepted == st.current->count)
    st.current->finish();
}

void send_upload(echo_session* self) {
  auto& st = self->state;
  ++st.sent;
  st.sent_at = clock_type::now();
  self->request(st.router, caf::infinite, upload_request{st.from, "echo", st.current->payload})
    .then(
      [self](const upload_response& r) {
        auto& st = self->state;
        if (r.status != upload_status::ACCEPTED) {
          st.current->finish("upload refused: " + status_name(r.status));
          return;
        }
        ++st.accepted;
        echo_done_if_complete(self);
      },
      [self](caf::error& e) { self->state.current->finish(self->system().render(e)); });
}

/// The client end of a user's session: uploads to `echo` and counts the
/// pushes it sends back. The router is told this actor is the session.
caf::behavior echo_session_fn(echo_session* self, std::string from, caf::actor router) {
  self->state.from = std::move(from);
  self->state.router = std::move(router);
  return {
    [self](run_atom, batch_ptr& b) {
      auto& st = self->state;
      st.current = b;
      st.sent = st.delivered = st.accepted = 0;
      for (long i = 0; i < b->window && st.sent < b->count; ++i)
        send_upload(self);
    },
    [self](std::uint64_t, delivery&) {
      auto& st = self->state;
      if (st.current->latencies)
        st.current->latencies->push_back((clock_type::now() - st.sent_at).count());
      ++st.delivered;
      if (st.sent < st.current->count)
        send_upload(self);
      else
        echo_done_if_complete(self);
    },
  };
}

struct pinger_state {
  caf::actor ponger;
  batch_ptr current;
  long sent = 0;
  long received = 0;
  clock_type::time_point sent_at;
  static inline const char* name = "bench.pinger";
};

using pinger = caf::stateful_actor<pinger_state>;

void send_ping(pinger* self) {
  auto& st = self->state;
  ++st.sent;
  st.sent_at = clock_type::now();
  self->request(st.ponger, caf::infinite, st.current->payload)
    .then(
      [self](const std::string&) {
        auto& st = self->state;
        if (st.current->latencies)
          st.current->latencies->push_back((clock_type::now() - st.sent_at).count());
        if (++st.received == st.current->count)
          st.current->finish();
        else if (st.sent < st.current->count)
          send_ping(self);
      },
      [self](caf::error& e) { self->state.current->finish(self->system().render(e)); });
}

/// The ceiling: the same payload, one request and one response, nothing else.
caf::behavior pinger_fn(pinger* self, caf::actor ponger) {
  self->state.ponger = std::move(ponger);
  return {
    [self](run_atom, batch_ptr& b) {
      auto& st = self->state;
      st.current = b;
      st.sent = st.received = 0;
      for (long i = 0; i < b->window && st.sent < b->count; ++i)
        send_ping(self);
    },
  };
}

caf::behavior ponger_fn() {
  return {
    [](std::string& payload) { return std::move(payload); },
  };
}

struct flapping_state {
  caf::actor router;
  std::vector<std::string> devices;
  batch_ptr current;
  static inline const char* name = "bench.flapping_devices";
};

using flapping_devices = caf::stateful_actor<flapping_state>;

// One open/close cycle of device `i`, then the next, `left` times. The close
// goes straight to the device's actor, queued behind the open it answers, so
// the next open (through the router) can only arrive after it.
void cycle(flapping_devices* self, std::size_t i, long left) {
  if (left == 0)
    return;
  auto& st = self->state;
  session_ref ref{caf::actor_cast<caf::actor>(self), i + 1};
  self->request(st.router, caf::infinite, open_atom::value, st.devices[i], std::string{"r1"}, ref)
    .then(
      [self, i, left, ref](session_opened& o) {
        if (!o.principal) {
          self->state.current->finish("open refused for " + self->state.devices[i]);
          return;
        }
        self->send(o.principal, close_atom::value, std::string{"r1"}, ref);
        cycle(self, i, left - 1);
      },
      [self](caf::error& e) { self->state.current->finish(self->system().render(e)); });
}

/// Sessions of devices that connect and disconnect as fast as they are let.
/// Completion is seen by the counting application, not here.
caf::behavior flapping_fn(flapping_devices* self, caf::actor router,
                          std::vector<std::string> devices) {
  self->state.router = std::move(router);
  self->state.devices = std::move(devices);
  // The device actors may tell a session things it has no use for here.
  self->set_default_handler(caf::drop);
  return {
    [self](run_atom, batch_ptr& b) {
      auto& st = self->state;
      st.current = b;
      auto per_device = b->count / static_cast<long>(st.devices.size());
      for (std::size_t i = 0; i < st.devices.size(); ++i)
        cycle(self, i, per_device);
    },
  };
}

/// An application subscribed to all devices that counts their transitions and
/// finishes the batch when the expected number has arrived.
class counting_app : public application {
public:
  app_reply on_upload(app_context&, const upload&) override { return app_reply::reject(); }

  void on_device_status(app_context&, const device_status&) override {
    auto n = ++seen_;
    std::lock_guard<std::mutex> guard{mutex_};
    if (waiting_ && n >= target_) {
      waiting_->finish();
      waiting_.reset();
    }
  }

  /// Finishes `b` once `more` further notifications have arrived.
  void expect(long more, batch_ptr b) {
    std::lock_guard<std::mutex> guard{mutex_};
    target_ = seen_ + more;
    waiting_ = std::move(b);
  }

private:
  std::atomic<long> seen_{0};
  std::mutex mutex_;
  long target_ = 0;
  batch_ptr waiting_;
};

// ---------------------------------------------------------------------------
// The node

/// One message server with its stores, and a second router without the
/// offline module, to show what the offline drain on every open costs.
struct routing_env {
  std::filesystem::path dir;
  std::shared_ptr<account::account_store> accounts;
  std::shared_ptr<offline::offline_store> offline_store;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor account_server, offline_queue, router, bare_router;
  std::shared_ptr<counting_app> counter = std::make_shared<counting_app>();
  std::shared_ptr<counting_app> bare_counter = std::make_shared<counting_app>();
  std::vector<caf::actor> actors; // stopped at teardown
  caf::actor lifecycle_writer;
  caf::actor session, pinger_actor, flapping1, flapping16, bare_flapping1, bare_flapping16;

  routing_env() {
    dir = std::filesystem::temp_directory_path()
          / ("irsp-bench-routing-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::string error;
    account::store_options ao;
    ao.path = (dir / "accounts").string();
    ao.scram_iterations = 16; // registration is setup here, not what is measured
    // Variants for RESULTS.md (issue 15), both off by default: the defaults
    // are what the earlier runs measured (synced WAL, 2 account workers).
    if (const char* v = std::getenv("IRSP_BENCH_SYNC_WRITES"); v && std::string{v} == "0")
      ao.sync_writes = false;
    accounts = account::account_store::open(ao, error);
    if (!accounts)
      throw std::runtime_error(error);
    offline_store = std::make_shared<offline::offline_store>(accounts, offline::offline_options{});

    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    unsigned workers = 2;
    if (const char* v = std::getenv("IRSP_BENCH_ACCOUNT_WORKERS"))
      workers = static_cast<unsigned>(std::max(1, std::atoi(v)));
    // As a node wires it: one stream store, appends through the writer.
    auto stream = std::make_shared<lifecycle::lifecycle_store>(accounts);
    account_server = account::spawn_account_server(*sys, accounts, workers, stream);
    lifecycle_writer = lifecycle::spawn_lifecycle_writer(*sys, stream);
    offline_queue = offline::spawn_offline_queue(*sys, offline_store);
    router = make_router(offline_queue);
    bare_router = make_router(nullptr);

    add_app(router, "echo", std::make_shared<app::echo_app>(), {});
    add_app(router, "counter", counter, subscription{true, {}});
    add_app(bare_router, "counter", bare_counter, subscription{true, {}});

    auto user = register_account("bench-user", account::account_kind::USER);
    session = sys->spawn(echo_session_fn, user, router);
    open_session(router, user, session);
    actors.push_back(session);

    pinger_actor = sys->spawn(pinger_fn, sys->spawn(ponger_fn));
    actors.push_back(pinger_actor);

    // One device for the single-device case and 16 others, per router: one
    // account must not have an actor under each router.
    auto devices = register_devices("bench-device-");
    auto bare_devices = register_devices("bench-bare-");
    flapping1 = spawn_flapping(router, {devices[0]});
    flapping16 = spawn_flapping(router, {devices.begin() + 1, devices.end()});
    bare_flapping1 = spawn_flapping(bare_router, {bare_devices[0]});
    bare_flapping16 = spawn_flapping(bare_router, {bare_devices.begin() + 1, bare_devices.end()});
  }

  ~routing_env() {
    // The user/device actors watch their router and stop with it.
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& a : {router, bare_router, offline_queue, lifecycle_writer, account_server})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    actors.clear();
    session = pinger_actor = flapping1 = flapping16 = bare_flapping1 = bare_flapping16 = nullptr;
    router = bare_router = offline_queue = lifecycle_writer = account_server = nullptr;
    sys.reset();
    offline_store.reset();
    accounts.reset();
    std::filesystem::remove_all(dir);
  }

  caf::actor make_router(caf::actor offline) {
    router_config rc;
    rc.domain = "localhost";
    rc.accounts = account_server;
    rc.modules = {offline::make_offline_module(std::move(offline))};
    rc.lifecycle = lifecycle_writer;
    // Long enough that no idle timer of a device actor fires during the run.
    rc.idle_timeout = std::chrono::hours(1);
    auto r = spawn_router(*sys, rc);
    return r;
  }

  void add_app(const caf::actor& via, const std::string& name,
               std::shared_ptr<application> handler, subscription s) {
    auto host = app::spawn_app_host(*sys, name, std::move(handler), via);
    caf::scoped_actor self{*sys};
    bool ok = false;
    self->request(via, std::chrono::seconds(10), app_atom::value, name, host, std::move(s))
      .receive([&](bool r) { ok = r; }, [](caf::error&) {});
    if (!ok)
      throw std::runtime_error("could not register application " + name);
    actors.push_back(host);
  }

  std::string register_account(const std::string& name, account::account_kind kind) {
    account::register_request r;
    r.name = name;
    r.kind = kind;
    r.password = "benchmark password";
    if (kind == account::account_kind::DEVICE)
      r.device = {"M", "Acme", "1"};
    auto resp = accounts->register_account(r);
    if (resp.status != account::register_status::OK)
      throw std::runtime_error("could not register " + name);
    return resp.address;
  }

  std::vector<std::string> register_devices(const std::string& prefix) {
    std::vector<std::string> out;
    for (int i = 0; i < 17; ++i)
      out.push_back(register_account(prefix + std::to_string(i), account::account_kind::DEVICE));
    return out;
  }

  void open_session(const caf::actor& via, const std::string& address, const caf::actor& s) {
    caf::scoped_actor self{*sys};
    bool ok = false;
    self->request(via, std::chrono::seconds(10), open_atom::value, address, std::string{"r1"},
                  session_ref{s, 1})
      .receive([&](session_opened& o) { ok = static_cast<bool>(o.principal); },
               [](caf::error&) {});
    if (!ok)
      throw std::runtime_error("could not open a session of " + address);
  }

  caf::actor spawn_flapping(const caf::actor& via, std::vector<std::string> devices) {
    auto a = sys->spawn(flapping_fn, via, std::move(devices));
    actors.push_back(a);
    return a;
  }
};

std::unique_ptr<routing_env> env;

// ---------------------------------------------------------------------------
// Benchmarks

/// Hands `b` to `driver` and waits for it; false (and the benchmark skipped)
/// if it failed or never finished.
bool run_batch(benchmark::State& state, const caf::actor& driver, const batch_ptr& b) {
  auto done = b->done.get_future();
  caf::anon_send(driver, run_atom::value, b);
  // A safety net for a lost message, not a measurement.
  if (done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    state.SkipWithError("batch did not finish in 60 s");
    return false;
  }
  if (!b->error.empty()) {
    state.SkipWithError(b->error.c_str());
    return false;
  }
  return true;
}

void report_latency(benchmark::State& state, std::vector<std::int64_t>& ns) {
  if (ns.empty())
    return;
  std::sort(ns.begin(), ns.end());
  double sum = 0;
  for (auto x : ns)
    sum += static_cast<double>(x);
  auto at = [&](double q) {
    return static_cast<double>(ns[std::min(ns.size() - 1, static_cast<std::size_t>(q * ns.size()))])
           / 1000.0;
  };
  state.counters["mean_us"] = sum / static_cast<double>(ns.size()) / 1000.0;
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}

constexpr long round_trips_per_batch = 1000;

// range(0): payload octets; range(1): round trips in flight.
void round_trips(benchmark::State& state, const caf::actor& driver) {
  std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
  long window = state.range(1);
  std::vector<std::int64_t> latencies;
  for (auto _ : state) {
    auto b = std::make_shared<batch>();
    b->count = round_trips_per_batch;
    b->window = window;
    b->payload = payload;
    b->latencies = window == 1 ? &latencies : nullptr;
    if (!run_batch(state, driver, b))
      return;
  }
  state.SetItemsProcessed(state.iterations() * round_trips_per_batch);
  report_latency(state, latencies);
}

void BM_upload_echo_push(benchmark::State& state) { round_trips(state, env->session); }
void BM_caf_ping_pong(benchmark::State& state) { round_trips(state, env->pinger_actor); }

constexpr long cycles_per_batch = 320; // a multiple of 16 devices

// Each open/close cycle is two transitions, so two notifications.
void notifications(benchmark::State& state, counting_app& app, const caf::actor& driver) {
  for (auto _ : state) {
    auto b = std::make_shared<batch>();
    b->count = cycles_per_batch;
    app.expect(2 * cycles_per_batch, b);
    if (!run_batch(state, driver, b))
      return;
  }
  state.SetItemsProcessed(state.iterations() * 2 * cycles_per_batch);
}

void BM_device_notifications(benchmark::State& state) {
  notifications(state, *env->counter, state.range(0) == 1 ? env->flapping1 : env->flapping16);
}
void BM_device_notifications_no_offline(benchmark::State& state) {
  notifications(state, *env->bare_counter,
                state.range(0) == 1 ? env->bare_flapping1 : env->bare_flapping16);
}

// Side by side, in this order, so that the ratios come from neighbouring runs.
BENCHMARK(BM_upload_echo_push)
  ->ArgNames({"payload", "in_flight"})
  ->Args({64, 1})
  ->Args({64, 64})
  ->Args({4096, 1})
  ->Args({4096, 64})
  ->UseRealTime();
BENCHMARK(BM_caf_ping_pong)
  ->ArgNames({"payload", "in_flight"})
  ->Args({64, 1})
  ->Args({64, 64})
  ->Args({4096, 1})
  ->Args({4096, 64})
  ->UseRealTime();
BENCHMARK(BM_device_notifications)->ArgName("devices")->Arg(1)->Arg(16)->UseRealTime();
BENCHMARK(BM_device_notifications_no_offline)->ArgName("devices")->Arg(1)->Arg(16)->UseRealTime();

} // namespace irsp_bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  irsp_bench::env = std::make_unique<irsp_bench::routing_env>();
  benchmark::AddCustomContext("caf_scheduler_threads",
                              std::to_string(irsp_bench::env->sys->scheduler().num_workers()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  irsp_bench::env.reset();
  return 0;
}
