// Issue 14: acknowledged account writes per second with and without a backup,
// and how long a backup's catch-up snapshot takes. Reports; asserts nothing.
//   bench_replication [threads=8] [writes_per_thread=300] [snapshot_accounts=100000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <caf/all.hpp>

#include "actors/account/account_store.hpp"
#include "actors/account/replica_applier.hpp"
#include "actors/account/replication.hpp"

using namespace irsp::account;
using clock_type = std::chrono::steady_clock;

namespace {

std::shared_ptr<account_store> open_store(const std::string& path, bool sync = true) {
  store_options o;
  o.path = path;
  o.scram_iterations = 16;
  o.sync_writes = sync;
  std::string error;
  std::shared_ptr<account_store> store = account_store::open(o, error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    std::exit(1);
  }
  return store;
}

register_request user(const std::string& name) {
  register_request r;
  r.name = name;
  r.kind = account_kind::USER;
  r.password = "long enough";
  return r;
}

// Each thread modifies its own account `writes` times; acknowledged writes/s.
double modify_rate(account_store& store, int threads, int writes) {
  for (int t = 0; t < threads; ++t)
    store.register_account(user("w" + std::to_string(t)));
  std::atomic<int> acked{0};
  auto start = clock_type::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto address = "w" + std::to_string(t) + "@localhost";
      for (int i = 0; i < writes; ++i)
        if (store.modify({address, {{"name", std::to_string(i)}}, 0, ""}).status
            == modify_status::OK)
          ++acked;
    });
  for (auto& th : pool)
    th.join();
  std::chrono::duration<double> took = clock_type::now() - start;
  return acked / took.count();
}

} // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 8;
  int writes = argc > 2 ? std::atoi(argv[2]) : 300;
  int accounts = argc > 3 ? std::atoi(argv[3]) : 100000;
  auto base = std::filesystem::temp_directory_path() / ("bench-replication-" + std::to_string(::getpid()));
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  {
    auto alone = open_store((base / "alone").string());
    std::printf("no replication:   %8.0f acknowledged writes/s (%d threads)\n",
                modify_rate(*alone, threads, writes), threads);
  }
  {
    auto primary = open_store((base / "primary").string());
    auto backup = open_store((base / "backup").string());
    auto source = replication_source::make(sys, *primary);
    auto applier = spawn_replica_applier(sys, backup, 1);
    source->attach_backup(applier, 1);
    std::printf("with a backup:    %8.0f acknowledged writes/s (%d threads)\n",
                modify_rate(*primary, threads, writes), threads);
    primary->set_replicator(nullptr);
    caf::anon_send_exit(applier, caf::exit_reason::kill);
  }
  {
    // The accounts are written unsynced: only the snapshot is measured.
    auto primary = open_store((base / "big").string(), false);
    for (int i = 0; i < accounts; ++i)
      primary->register_account(user("a" + std::to_string(i)));
    auto backup = open_store((base / "big-backup").string());
    auto source = replication_source::make(sys, *primary);
    auto applier = spawn_replica_applier(sys, backup, 1);
    auto start = clock_type::now();
    bool ok = source->attach_backup(applier, 1);
    std::chrono::duration<double> took = clock_type::now() - start;
    std::printf("snapshot of %d accounts: %s in %.2f s\n", accounts, ok ? "done" : "FAILED",
                took.count());
    primary->set_replicator(nullptr);
    caf::anon_send_exit(applier, caf::exit_reason::kill);
  }
  std::filesystem::remove_all(base);
  return 0;
}
