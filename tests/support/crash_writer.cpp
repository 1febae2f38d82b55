// Registers accounts as fast as it can from four threads and prints the index
// of each one the store acknowledged, until it is killed. The crash test
// kills it with SIGKILL and checks that every printed account survived.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "actors/account/account_store.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: irsp-crash-writer STORE_DIR\n");
    return 2;
  }
  irsp::account::store_options o;
  o.path = argv[1];
  o.scram_iterations = 16;
  std::string error;
  auto store = irsp::account::account_store::open(o, error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::atomic<long> next{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&] {
      for (;;) {
        auto i = next++;
        irsp::account::register_request r;
        r.name = "user" + std::to_string(i);
        r.password = "password-" + std::to_string(i);
        r.display_name = "User number " + std::to_string(i);
        if (store->register_account(r).status != irsp::account::register_status::OK)
          continue;
        // One write(2) per line, after the reply: the line is the acknowledgement.
        auto line = std::to_string(i) + "\n";
        if (::write(STDOUT_FILENO, line.data(), line.size()) < 0)
          return;
      }
    });
  for (auto& w : writers)
    w.join();
}
