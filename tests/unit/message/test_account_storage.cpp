// What user/device actors and the offline queue make of the account store:
// deletion takes everything of an account with it, and a storage fault is
// answered as one (storage-failure), never as "no such account", and heals.
#include "message_fixture.hpp"

#include <rocksdb/db.h>

using namespace irsp;
using namespace irsp::test;

namespace {

struct silent_app : application {
  app_reply on_upload(app_context&, const upload&) override { return app_reply::accept(); }
};

push_status push(message_fixture& f, const std::string& to, const std::string& payload) {
  caf::scoped_actor self{*f.sys};
  return ask<push_response>(self, f.router, push_request{"news", to, payload}).status;
}

// Moves what was written into a table file, out of memory, so that the next
// read of it goes to the (faulty) disk.
void flush(message_fixture& f) {
  auto db = f.accounts->access();
  REQUIRE(db);
  REQUIRE(db->Flush(rocksdb::FlushOptions{}).ok());
}

} // namespace

TEST_CASE("a deleted account's queue and bindings go with it: a namesake inherits nothing") {
  message_fixture f;
  f.start();
  f.add_app("news", std::make_shared<silent_app>());
  auto alice = f.user("alice");
  auto [tv, code] = f.device("tv1");
  caf::scoped_actor self{*f.sys};
  REQUIRE(f.bind(self, alice, tv, code) == bind_status::OK);
  // While the device is offline, a push and a message from its user wait for it.
  CHECK(push(f, tv, "for the old tv") == push_status::QUEUED);
  {
    caf::scoped_actor phone{*f.sys};
    auto me = f.open(phone, alice).principal;
    CHECK(ask<direct_response>(phone, me, send_atom::value, direct_request{"", tv, "old secret"})
            .status
          == direct_status::QUEUED);
  }
  REQUIRE(f.offline_store->size(tv) == 2);

  auto gone = ask<account::delete_response>(self, f.router, account::delete_request{tv, ""});
  REQUIRE(gone.status == account::delete_status::OK);
  CHECK(gone.unbound == std::vector<std::string>{alice});
  f.device("tv1"); // someone else's device, same name

  CHECK(f.offline_store->size(tv) == 0);
  CHECK(f.offline_store->peek(tv).messages.empty());
  caf::scoped_actor session{*f.sys};
  auto opened = f.open(session, tv);
  REQUIRE(opened.principal);
  CHECK(opened.peers.empty());
  // The first thing the new device gets is live traffic, not the old queue.
  CHECK(push(f, tv, "hello new tv") == push_status::DELIVERED);
  expect(session, [](delivery& d) { CHECK(d.payload == "hello new tv"); });
  // And the old user cannot reach it.
  caf::scoped_actor phone{*f.sys};
  auto me = f.open(phone, alice);
  CHECK(me.peers.empty());
  CHECK(ask<direct_response>(phone, me.principal, send_atom::value,
                             direct_request{"", tv, "still there?"})
          .status
        == direct_status::NOT_ALLOWED);
}

TEST_CASE("an account that cannot be read is a storage failure until it can, then works") {
  message_fixture f;
  f.start();
  f.add_app("news", std::make_shared<silent_app>());
  auto tv = f.device("tv1").first;
  flush(f);
  f.faults.fs->fail_reads = true;
  CHECK(push(f, tv, "one") == push_status::STORAGE_FAILURE);
  CHECK(push(f, tv, "two") == push_status::STORAGE_FAILURE);
  {
    // A session cannot open (the client's stream ends with a server error
    // and it tries again), but it is not told the account does not exist.
    caf::scoped_actor session{*f.sys};
    bool failed = false;
    session
      ->request(f.router, std::chrono::seconds(10), open_atom::value, tv, std::string{"r1"},
                caf::actor_cast<caf::actor>(session))
      .receive([](session_opened&) { FAIL("opened, or refused as not existing"); },
               [&](caf::error&) { failed = true; });
    CHECK(failed);
  }
  f.faults.fs->fail_reads = false;
  CHECK(push(f, tv, "three") == push_status::QUEUED);
  caf::scoped_actor session{*f.sys};
  REQUIRE(f.open(session, tv).principal);
  expect(session, [](delivery& d) { CHECK(d.payload == "three"); });
}

TEST_CASE("an account registered after traffic for its name is found at once") {
  message_fixture f;
  f.start();
  f.add_app("news", std::make_shared<silent_app>());
  CHECK(push(f, "later@localhost", "too early") == push_status::NO_SUCH_ACCOUNT);
  f.user("later");
  CHECK(push(f, "later@localhost", "now") == push_status::QUEUED);
  caf::scoped_actor session{*f.sys};
  CHECK(f.open(session, "later@localhost").principal);
}

TEST_CASE("offline queues recover from a failed write with the account store") {
  message_fixture f;
  f.start();
  f.add_app("news", std::make_shared<silent_app>());
  auto tv = f.device("tv1").first;
  CHECK(push(f, tv, "before") == push_status::QUEUED);
  f.faults.fs->fail = true;
  CHECK(push(f, tv, "during") == push_status::STORAGE_FAILURE);
  f.faults.fs->fail = false;
  CHECK(push(f, tv, "after") == push_status::QUEUED);
  caf::scoped_actor session{*f.sys};
  f.open(session, tv);
  expect(session, [](delivery& d) { CHECK(d.payload == "before"); });
  expect(session, [](delivery& d) { CHECK(d.payload == "after"); });
}
