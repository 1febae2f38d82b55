// IRSP §7.1: the account server actor answers the §8.2 exchanges.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/account/account_server.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/messages.hpp"
#include "actors/atoms.hpp"
#include "temp_dir.hpp"

using namespace irsp::account;

namespace {

struct server_fixture {
  irsp::test::temp_dir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::actor server;

  server_fixture() {
    store_options o;
    o.path = dir / "accounts";
    o.scram_iterations = 16;
    std::string error;
    std::shared_ptr<account_store> store = account_store::open(o, error);
    REQUIRE(store);
    server = spawn_account_server(sys, store, 4);
  }
  ~server_fixture() { caf::anon_send_exit(server, caf::exit_reason::user_shutdown); }

  template <class Response, class... Ts>
  Response ask(Ts&&... xs) {
    caf::scoped_actor self{sys};
    Response out{};
    self->request(server, caf::infinite, std::forward<Ts>(xs)...)
      .receive([&](Response& r) { out = std::move(r); },
               [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  }
};

} // namespace

TEST_CASE("the account server serves the four exchanges") {
  server_fixture f;
  register_request r;
  r.name = "cam";
  r.kind = account_kind::DEVICE;
  r.password = "long enough";
  r.device = {"C1", "Acme", "9"};
  auto reg = f.ask<register_response>(r);
  REQUIRE(reg.status == register_status::OK);
  CHECK(f.ask<register_response>(r).status == register_status::EXISTS);

  modify_request m{"cam@localhost", {{"name", "Porch"}}, 0, ""};
  CHECK(f.ask<modify_response>(m).status == modify_status::OK);
  auto view = f.ask<account_view>(irsp::find_atom::value, std::string{"cam@localhost"});
  CHECK(view.display_name == "Porch");

  auto reset = f.ask<reset_code_response>(reset_code_request{"cam@localhost", ""});
  CHECK(reset.status == reset_code_status::OK);
  CHECK(reset.verification_code != reg.verification_code);

  auto secret = f.ask<scram_secret>(irsp::scram_atom::value, std::string{"CAM@localhost"}, true);
  CHECK(password_matches(secret, scram_hash::sha256, "long enough"));

  CHECK(f.ask<delete_response>(delete_request{"cam@localhost", ""}).status == delete_status::OK);
  CHECK(f.ask<account_view>(irsp::find_atom::value, std::string{"cam@localhost"}).address.empty());
  CHECK(f.ask<scram_secret>(irsp::scram_atom::value, std::string{"cam@localhost"}, true).salt.empty());
}

TEST_CASE("concurrent requests through the pool: one registration wins") {
  server_fixture f;
  caf::scoped_actor self{f.sys};
  register_request r;
  r.name = "contended";
  r.password = "long enough";
  // Sent without waiting, so the four workers race on one address.
  for (int i = 0; i < 16; ++i)
    self->send(f.server, r);
  int ok = 0;
  int exists = 0;
  int i = 0;
  self->receive_for(i, 16)([&](register_response& resp) {
    (resp.status == register_status::OK ? ok : exists)++;
  });
  CHECK(ok == 1);
  CHECK(exists == 15);
}
