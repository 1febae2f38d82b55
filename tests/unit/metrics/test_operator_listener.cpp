// The operator's HTTP surface: routes, methods and statuses, over a real socket.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <atomic>

#include "node/http/operator_listener.hpp"
#include "node/metrics/registry.hpp"

using namespace irsp;

namespace {

struct fixture {
  std::shared_ptr<metrics::registry> reg = std::make_shared<metrics::registry>();
  std::atomic<bool> healthy{true};
  std::unique_ptr<http::operator_listener> listener;

  fixture() {
    reg->add_counter("irsp_test_total", "A test counter.").add(4);
    std::string error;
    listener = http::operator_listener::start(
      "127.0.0.1", 0, reg,
      [this] {
        return http::evaluate({{"store", [this]() -> std::optional<std::string> {
                                  if (healthy)
                                    return std::nullopt;
                                  return "refuses writes";
                                }}});
      },
      error);
    REQUIRE(listener);
    REQUIRE(error.empty());
  }
};

} // namespace

TEST_CASE("GET /metrics answers the registry in the text format") {
  fixture f;
  httplib::Client c{"127.0.0.1", f.listener->port()};
  auto res = c.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(res->body.find("irsp_test_total 4\n") != std::string::npos);
}

TEST_CASE("GET /health is 200 while every check holds and 503 with the reason otherwise") {
  fixture f;
  httplib::Client c{"127.0.0.1", f.listener->port()};
  auto ok = c.Get("/health");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == R"({"status":"ok","checks":{"store":"ok"}})");
  f.healthy = false;
  auto bad = c.Get("/health");
  REQUIRE(bad);
  CHECK(bad->status == 503);
  CHECK(bad->body
        == R"({"status":"unavailable","reason":"store: refuses writes","checks":{"store":"refuses writes"}})");
}

TEST_CASE("another path is 404, another method 405 with Allow") {
  fixture f;
  httplib::Client c{"127.0.0.1", f.listener->port()};
  auto missing = c.Get("/metricsx");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto post = c.Post("/metrics", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "GET, HEAD");
  auto del = c.Delete("/health");
  REQUIRE(del);
  CHECK(del->status == 405);
}

TEST_CASE("a port in use is refused with a line naming the address") {
  fixture f;
  std::string error;
  auto second = http::operator_listener::start("127.0.0.1", f.listener->port(), f.reg,
                                               [] { return http::health_report{true, "{}"}; },
                                               error);
  CHECK_FALSE(second);
  CHECK(error.rfind("cannot listen on 127.0.0.1:" + std::to_string(f.listener->port()) + ": ", 0)
        == 0);
}

TEST_CASE("stop ends the listener: connections are refused after it") {
  fixture f;
  auto port = f.listener->port();
  f.listener->stop();
  f.listener->stop(); // idempotent
  httplib::Client c{"127.0.0.1", port};
  c.set_connection_timeout(2);
  CHECK_FALSE(c.Get("/metrics"));
}
