// Prometheus text exposition 0.0.4: what the registry renders.
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>

#include "node/metrics/registry.hpp"
#include "node/metrics/text_format.hpp"

using namespace irsp::metrics;
using namespace std::chrono_literals;

TEST_CASE("counters and gauges render with HELP and TYPE, in registration order") {
  registry r;
  auto& logins = r.add_counter("irsp_logins_total", "Successful logins.");
  auto& sessions = r.add_gauge("irsp_sessions", "Sessions bound.");
  logins.add();
  logins.add(2);
  sessions.add(5);
  sessions.sub(2);
  CHECK(r.render()
        == "# HELP irsp_logins_total Successful logins.\n"
           "# TYPE irsp_logins_total counter\n"
           "irsp_logins_total 3\n"
           "# HELP irsp_sessions Sessions bound.\n"
           "# TYPE irsp_sessions gauge\n"
           "irsp_sessions 3\n");
}

TEST_CASE("series of one family share one HELP/TYPE block; label values are escaped") {
  registry r;
  r.add_counter("x_total", "Help with \\ and\nnewline.", {{"kind", "a\"b"}}).add(1);
  r.add_counter("x_total", "ignored", {{"kind", "c\\d\ne"}}).add(2);
  CHECK(r.render()
        == "# HELP x_total Help with \\\\ and\\nnewline.\n"
           "# TYPE x_total counter\n"
           "x_total{kind=\"a\\\"b\"} 1\n"
           "x_total{kind=\"c\\\\d\\ne\"} 2\n");
}

TEST_CASE("a histogram renders cumulative buckets, +Inf, sum and count") {
  registry r;
  auto& h = r.add_histogram("lat_seconds", "Latency.", {0.001, 0.01}, {{"exchange", "upload"}});
  h.observe(500us);   // first bucket
  h.observe(1ms);     // exactly on a bound: le means inside
  h.observe(5ms);     // second
  h.observe(2s);      // above every bound
  CHECK(r.render()
        == "# HELP lat_seconds Latency.\n"
           "# TYPE lat_seconds histogram\n"
           "lat_seconds_bucket{exchange=\"upload\",le=\"0.001\"} 2\n"
           "lat_seconds_bucket{exchange=\"upload\",le=\"0.01\"} 3\n"
           "lat_seconds_bucket{exchange=\"upload\",le=\"+Inf\"} 4\n"
           "lat_seconds_sum{exchange=\"upload\"} 2.0065\n"
           "lat_seconds_count{exchange=\"upload\"} 4\n");
}

TEST_CASE("an empty histogram has every bucket at zero") {
  registry r;
  r.add_histogram("h_seconds", "H.", histogram::latency_bounds());
  auto text = r.render();
  CHECK(text.find("h_seconds_bucket{le=\"5e-05\"} 0\n") != std::string::npos);
  CHECK(text.find("h_seconds_bucket{le=\"10\"} 0\n") != std::string::npos);
  CHECK(text.find("h_seconds_bucket{le=\"+Inf\"} 0\n") != std::string::npos);
  CHECK(text.find("h_seconds_count 0\n") != std::string::npos);
}

TEST_CASE("callbacks are read at each scrape") {
  registry r;
  int depth = 1;
  r.add_gauge_callback("q_depth", "Queue depth.", [&] {
    return std::vector<sample>{{{{"state", "alive"}}, double(depth)}, {{}, 0.5}};
  });
  CHECK(r.render().find("q_depth{state=\"alive\"} 1\nq_depth 0.5\n") != std::string::npos);
  depth = 7;
  CHECK(r.render().find("q_depth{state=\"alive\"} 7\n") != std::string::npos);
}

TEST_CASE("bad names, clashing types and repeated series are refused") {
  registry r;
  r.add_counter("a_total", "A.");
  CHECK_THROWS_AS(r.add_counter("a_total", "A."), std::invalid_argument);
  CHECK_THROWS_AS(r.add_gauge("a_total", "A."), std::invalid_argument);
  CHECK_THROWS_AS(r.add_counter("9lives", "bad"), std::invalid_argument);
  CHECK_THROWS_AS(r.add_counter("b-total", "bad"), std::invalid_argument);
  CHECK_THROWS_AS(r.add_counter("c_total", "bad label", {{"__x", "1"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.add_histogram("h", "le is the histogram's", {1.0}, {{"le", "1"}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(r.add_histogram("h2", "not increasing", {1.0, 1.0}), std::invalid_argument);
  CHECK_THROWS_AS(r.add_gauge_callback("a_total", "A.", [] { return std::vector<sample>{}; }),
                  std::invalid_argument);
}

TEST_CASE("numbers are written as the format spells them") {
  CHECK(format_number(3) == "3");
  CHECK(format_number(0.25) == "0.25");
  CHECK(format_number(0.0001) == "0.0001");
  CHECK(format_number(5e-05) == "5e-05");
  CHECK(format_number(123456789012.0) == "123456789012");
  CHECK(format_number(-2) == "-2");
  CHECK(format_number(1.5e300) == "1.5e+300");
  CHECK(format_number(1.0 / 0.0) == "+Inf");
  CHECK(format_number(-1.0 / 0.0) == "-Inf");
  CHECK(format_number(0.0 / 0.0) == "NaN");
  CHECK(valid_metric_name("irsp:rate_5m"));
  CHECK_FALSE(valid_label_name("a:b"));
}
