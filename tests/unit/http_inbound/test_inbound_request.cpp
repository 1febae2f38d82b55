// IRSP §8.8.3: every refusal of an inbound request, and the mapping of the
// application's answer to HTTP.
#include <catch2/catch.hpp>

#include "node/http/inbound_reply.hpp"
#include "node/http/inbound_request.hpp"
#include "node/http/request_signature.hpp"

using namespace irsp::http;

namespace {

constexpr std::int64_t now = 1'700'000'000;
const std::string secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct signed_request {
  std::string path = "/v1/apps/echo/messages";
  std::string app = "echo";
  std::string key = "00000000000000aa";
  std::string ts = std::to_string(now);
  std::string nonce = "nonce-0123456789";
  std::string body = R"({"payload":"hello"})";
  std::string sig;

  signed_request& sign() {
    sig = hmac_sha256_hex(secret, canonical_request("POST", path, ts, nonce, body));
    return *this;
  }
  inbound_request view() const {
    return {"POST", path, app, std::string_view{key}, std::string_view{ts},
            std::string_view{nonce}, std::string_view{sig}, body};
  }
};

struct fixture {
  nonce_window nonces{300, 1000};
  inbound_checker checker{{{"00000000000000aa", {secret, ""}},
                           {"00000000000000bb", {secret, "notify"}}},
                          nonces,
                          {300, 100}};

  refusal refused(const inbound_request& r) {
    auto out = checker.check(r, now);
    REQUIRE(std::holds_alternative<refusal>(out));
    return std::get<refusal>(out);
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "a signed request becomes a message from external:<key id>") {
  signed_request r;
  auto out = checker.check(r.sign().view(), now);
  REQUIRE(std::holds_alternative<inbound_message>(out));
  auto& m = std::get<inbound_message>(out);
  CHECK(m.from == "external:00000000000000aa");
  CHECK(m.application == "echo");
  CHECK(m.payload == "hello");
}

TEST_CASE_METHOD(fixture, "each bad request gets its status") {
  signed_request r;
  r.sign();
  SECTION("replayed nonce") {
    REQUIRE(std::holds_alternative<inbound_message>(checker.check(r.view(), now)));
    auto no = refused(r.view());
    CHECK(no.http_status == 409);
    CHECK(no.status == "replayed");
  }
  SECTION("timestamp outside the window, either side") {
    r.ts = std::to_string(now - 301);
    auto no = refused(r.sign().view());
    CHECK(no.http_status == 401);
    CHECK(no.status == "stale-request");
    r.ts = std::to_string(now + 301);
    CHECK(refused(r.sign().view()).status == "stale-request");
    r.ts = std::to_string(now + 300); // the edge is inside
    CHECK(std::holds_alternative<inbound_message>(checker.check(r.sign().view(), now)));
  }
  SECTION("bad signature: another body than the one signed") {
    r.body = R"({"payload":"hellO"})";
    auto no = refused(r.view());
    CHECK(no.http_status == 401);
    CHECK(no.status == "bad-signature");
  }
  SECTION("bad signature: another path than the one signed") {
    r.path = "/v1/apps/notify/messages";
    r.app = "notify";
    CHECK(refused(r.view()).status == "bad-signature");
  }
  SECTION("a bad signature does not use up the nonce") {
    auto good = r.sig;
    r.sig = std::string(64, '0');
    CHECK(refused(r.view()).status == "bad-signature");
    r.sig = good;
    CHECK(std::holds_alternative<inbound_message>(checker.check(r.view(), now)));
  }
  SECTION("unknown key") {
    r.key = "00000000000000cc";
    auto no = refused(r.view());
    CHECK(no.http_status == 401);
    CHECK(no.status == "unknown-key");
  }
  SECTION("missing header") {
    auto v = r.view();
    v.signature.reset();
    auto no = refused(v);
    CHECK(no.http_status == 401);
    CHECK(no.status == "unsigned");
  }
  SECTION("malformed timestamp or nonce") {
    r.ts = "17e8";
    CHECK(refused(r.sign().view()).http_status == 400);
    r.ts = std::to_string(now);
    r.nonce = "short";
    CHECK(refused(r.sign().view()).status == "malformed-request");
  }
  SECTION("oversized body") {
    r.body = std::string(101, 'x');
    auto no = refused(r.sign().view());
    CHECK(no.http_status == 413);
    CHECK(no.status == "payload-too-large");
  }
  SECTION("malformed JSON, signed") {
    r.body = R"({"payload": )";
    auto no = refused(r.sign().view());
    CHECK(no.http_status == 400);
    CHECK(no.status == "malformed-request");
    r.body = R"({"payload": 42})";
    r.nonce = "nonce-0123456780";
    CHECK(refused(r.sign().view()).status == "malformed-request");
  }
  SECTION("a key bound to one application reaches no other") {
    r.key = "00000000000000bb";
    auto no = refused(r.sign().view());
    CHECK(no.http_status == 403);
    CHECK(no.status == "forbidden-application");
  }
}

TEST_CASE("the application's answer maps to HTTP with its IRSP status") {
  using irsp::message::app_message_response;
  using st = irsp::message::app_message_status;
  auto ok = reply_for(app_message_response{st::DELIVERED, "pong"});
  CHECK(ok.http_status == 200);
  CHECK(ok.body == R"({"reply":"pong","status":"delivered"})");
  auto busy = reply_for(app_message_response{st::APPLICATION_BUSY, {}});
  CHECK(busy.http_status == 503);
  CHECK(busy.retry_after == 1);
  CHECK(busy.body.find(R"("status":"application-busy")") != std::string::npos);
  CHECK(reply_for(app_message_response{st::NO_SUCH_APPLICATION, {}}).http_status == 404);
  CHECK(reply_for(app_message_response{st::REJECTED, "no"}).http_status == 422);
  CHECK(reply_for(app_message_response{st::PAYLOAD_TOO_LARGE, {}}).http_status == 413);
  CHECK(reply_for(app_message_response{st::APPLICATION_FAILURE, {}}).http_status == 500);
}
