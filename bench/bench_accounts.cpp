// Durable registrations per second (IRSP §8.2.1 on RocksDB), next to the two
// costs they are made of, measured side by side in one run: SCRAM key
// derivation alone, and registrations without the WAL sync.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include "actors/account/account_store.hpp"

using namespace irsp::account;

namespace {

struct bench_store {
  std::filesystem::path dir;
  std::unique_ptr<account_store> store;
  std::atomic<long> next{0};

  bench_store(bool sync, std::uint32_t iterations) {
    dir = std::filesystem::temp_directory_path()
          / ("irsp-bench-" + std::to_string(::getpid()) + (sync ? "-sync" : "-nosync")
             + std::to_string(iterations));
    std::filesystem::remove_all(dir);
    store_options o;
    o.path = dir.string();
    o.sync_writes = sync;
    o.scram_iterations = iterations;
    std::string error;
    store = account_store::open(o, error);
    if (!store)
      throw std::runtime_error(error);
  }
  ~bench_store() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<bench_store> shared;

void register_loop(benchmark::State& state, bool sync, std::uint32_t iterations) {
  if (state.thread_index() == 0)
    shared = std::make_unique<bench_store>(sync, iterations);
  // Google Benchmark starts the timed loop on all threads together, after
  // thread 0's setup above.
  for (auto _ : state) {
    register_request r;
    r.name = "u" + std::to_string(shared->next++);
    r.password = "benchmark password";
    auto resp = shared->store->register_account(r);
    if (resp.status != register_status::OK)
      state.SkipWithError("registration failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0)
    shared.reset();
}

void BM_register_durable(benchmark::State& state) {
  register_loop(state, true, default_scram_iterations);
}
void BM_register_no_sync(benchmark::State& state) {
  register_loop(state, false, default_scram_iterations);
}
void BM_register_durable_cheap_kdf(benchmark::State& state) {
  register_loop(state, true, 16);
}

void BM_scram_derivation(benchmark::State& state) {
  for (auto _ : state) {
    auto p = derive_scram_secret(scram_hash::sha256, "benchmark password");
    auto q = derive_scram_secret(scram_hash::sha1, "benchmark password");
    benchmark::DoNotOptimize(p);
    benchmark::DoNotOptimize(q);
  }
  state.SetItemsProcessed(state.iterations());
}

} // namespace

BENCHMARK(BM_scram_derivation)->UseRealTime();
BENCHMARK(BM_register_durable)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();
BENCHMARK(BM_register_no_sync)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_register_durable_cheap_kdf)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

BENCHMARK_MAIN();
