// Features plug into the message path of user/device actors as modules
// (actors/principal/principal_module.hpp): the actor calls each at its hook
// points and knows none by name. Offline delivery is one; here a module of
// the test's own keeps what finds no session and hands it to the next.
#include "message_fixture.hpp"

#include <mutex>

#include "actors/principal/principal_module.hpp"

using namespace irsp;
using namespace irsp::test;

namespace {

class keeping_module : public principal::principal_module {
public:
  bool undeliverable(caf::event_based_actor*, const std::string& address, delivery& d,
                     std::function<void(principal::kept_status)> done) override {
    {
      std::lock_guard<std::mutex> guard{mutex};
      kept.emplace_back(address, d.payload);
    }
    done(principal::kept_status::kept);
    return true;
  }

  void first_session(caf::event_based_actor*, const std::string& address,
                     std::function<bool(const delivery&)> to_sessions) override {
    std::vector<std::pair<std::string, std::string>> mine;
    {
      std::lock_guard<std::mutex> guard{mutex};
      mine.swap(kept);
    }
    for (auto& [to, payload] : mine)
      if (to == address)
        handed += to_sessions(delivery{delivery_kind::DIRECT, to, payload, 0}) ? 1 : 0;
  }

  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> kept;
  int handed = 0;
};

// Declines everything: the next module gets its turn.
class passing_module : public principal::principal_module {};

caf::actor spawn_router_with(message_fixture& f, principal::principal_modules modules) {
  router_config rc;
  rc.domain = "localhost";
  rc.accounts = f.account_server;
  rc.lifecycle = f.lifecycle_writer;
  rc.modules = std::move(modules);
  return spawn_router(*f.sys, rc);
}

direct_status to_self(caf::scoped_actor& self, const caf::actor& router, const std::string& a,
                      const std::string& payload) {
  return ask<direct_response>(self, router,
                              direct_request{a, a, payload, {}, absent_resource::TO_ACCOUNT})
    .status;
}

} // namespace

TEST_CASE("a module keeps what finds no session and hands it to the first session") {
  message_fixture f;
  f.start();
  auto alice = f.user("alice");
  auto keeper = std::make_shared<keeping_module>();
  auto router = spawn_router_with(f, {std::make_shared<passing_module>(), keeper});
  caf::scoped_actor self{*f.sys}, phone{*f.sys};
  CHECK(to_self(self, router, alice, "while away") == direct_status::QUEUED);
  REQUIRE(keeper->kept.size() == 1);

  auto ref = f.session_of(phone);
  auto opened = ask<session_opened>(phone, router, open_atom::value, alice,
                                    std::string{"phone"}, ref);
  REQUIRE(opened.principal);
  expect(phone, [](delivery& d) { CHECK(d.payload == "while away"); });
  CHECK(keeper->handed == 1);
  // With a session, the modules are not asked.
  CHECK(to_self(self, router, alice, "now") == direct_status::DELIVERED);
  CHECK(keeper->kept.empty());
  f.close(phone, opened.principal, "phone");
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
}

TEST_CASE("without a module that keeps it, what finds no session is refused as queue-full") {
  message_fixture f;
  f.start();
  auto bob = f.user("bob");
  auto router = spawn_router_with(f, {std::make_shared<passing_module>()});
  caf::scoped_actor self{*f.sys};
  CHECK(to_self(self, router, bob, "nobody keeps this") == direct_status::QUEUE_FULL);
  auto bare = spawn_router_with(f, {});
  CHECK(to_self(self, bare, bob, "nor this") == direct_status::QUEUE_FULL);
  for (auto& r : {router, bare})
    caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
}
