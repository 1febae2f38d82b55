// IRSP §7.1: account records round-trip through schema::Account.
#include <catch2/catch.hpp>

#include "actors/account/account_record.hpp"

using namespace irsp::account;

TEST_CASE("a device record round-trips through its Cap'n Proto encoding") {
  account_record r;
  r.view = {"tv1@localhost", account_kind::DEVICE, "Living room", {"TV-55", "Acme", "SN1"},
            1000, 2000, 3};
  r.scram_sha256 = {"salt256", 4096, std::string(32, 'k'), std::string(32, 's')};
  r.scram_sha1 = {"salt1", 4096, std::string(20, 'k'), std::string(20, 's')};
  r.code = {"codesalt", std::string(32, 'h')};
  r.code_issued_ms = 1500;
  auto back = decode_record(encode_record(r));
  REQUIRE(back);
  CHECK(back->view.address == "tv1@localhost");
  CHECK(back->view.kind == account_kind::DEVICE);
  CHECK(back->view.device.manufacturer == "Acme");
  CHECK(back->view.version == 3);
  CHECK(back->scram_sha256.stored_key == r.scram_sha256.stored_key);
  CHECK(back->scram_sha1.iterations == 4096);
  CHECK(back->code.hash == r.code.hash);
  CHECK(back->code_issued_ms == 1500);
}

TEST_CASE("garbage does not decode as a record") {
  CHECK_FALSE(decode_record(""));
  CHECK_FALSE(decode_record("abc"));
  CHECK_FALSE(decode_record(std::string(16, '\xff')));
}
