// Every registration the store acknowledged survives SIGKILL (DESIGN.md §4).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>

#include "actors/account/account_store.hpp"
#include "temp_dir.hpp"

using namespace irsp::account;

TEST_CASE("acknowledged registrations survive kill -9 at a random moment") {
  irsp::test::temp_dir dir;
  auto store_dir = dir / "accounts";
  std::random_device rd;
  // Kill after a random number of acknowledgements, so the kill lands at a
  // random point of a write: before, during or after a WAL sync.
  auto kill_after = std::uniform_int_distribution<int>(50, 400)(rd);

  int out[2];
  REQUIRE(::pipe(out) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::execl(IRSP_CRASH_WRITER, IRSP_CRASH_WRITER, store_dir.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  std::set<long> acknowledged;
  std::string pending;
  char buf[4096];
  while (static_cast<int>(acknowledged.size()) < kill_after) {
    auto n = ::read(out[0], buf, sizeof buf);
    REQUIRE(n > 0);
    pending.append(buf, static_cast<size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      acknowledged.insert(std::stol(pending.substr(0, nl)));
      pending.erase(0, nl + 1);
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out[0]);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  store_options o;
  o.path = store_dir;
  std::string error;
  auto store = account_store::open(o, error);
  REQUIRE(store);
  for (long i : acknowledged) {
    auto address = "user" + std::to_string(i) + "@localhost";
    auto record = store->find_record(address);
    INFO(address);
    REQUIRE(record);
    CHECK(record->view.display_name == "User number " + std::to_string(i));
    CHECK(record->view.version == 1);
    CHECK(password_matches(record->scram_sha256, scram_hash::sha256,
                           "password-" + std::to_string(i)));
    CHECK(password_matches(record->scram_sha1, scram_hash::sha1,
                           "password-" + std::to_string(i)));
  }
  // The store is still writable after recovery.
  register_request r;
  r.name = "after-crash";
  r.password = "long enough";
  CHECK(store->register_account(r).status == register_status::OK);
}
