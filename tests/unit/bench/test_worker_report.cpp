// irsp-bench: a worker process's report survives the pipe exactly, and the
// coordinator's merge keeps every sample, so its percentiles are those of
// all connections (not an average of per-process percentiles).
#include <catch2/catch.hpp>

#include <random>

#include "bench/irsp_bench/worker_report.hpp"

using namespace irsp::bench;

namespace {

worker_report sample_report() {
  worker_report w;
  auto& r = w.result;
  r.attempted = 12;
  r.ready = 10;
  r.replaced = 2;
  r.replaced_in_login = 1;
  r.login_failures["timeout during sasl"] = 2;
  r.dropped["server closed the connection during ready"] = 1;
  r.mechanisms["SCRAM-SHA-256"] = 10;
  r.tls_versions["TLSv1.3"] = 10;
  for (int i = 1; i <= 10; ++i) {
    r.login.add(i * 1000);
    r.login_tcp.add(i);
    r.login_tls.add(i * 2);
    r.login_auth.add(i * 3);
    r.login_bind.add(i * 4);
    r.login_session.add(i * 5);
  }
  r.registration.add(77);
  r.first_start_ns = 123456789;
  r.last_ready_ns = 987654321;
  r.first_ready_ns = 200000000;
  r.key_cache_hits = 8;
  r.key_cache_misses = 2;
  r.sent = 1000;
  r.replies = 990;
  r.errors = 5;
  r.error_conditions["service-unavailable"] = 5;
  r.acks = 3;
  r.timeouts = 4;
  r.measured = 900;
  for (int i = 0; i < 900; ++i)
    r.round_trip.add(1000 + i);
  w.learned_keys.add("sha256:4096:0011:aabbccddeeff0011", "00ff");
  return w;
}

void check_same(const latency_samples& a, const latency_samples& b) {
  CHECK(a.values() == b.values());
}

} // namespace

TEST_CASE("a report decodes to what was encoded") {
  const auto in = sample_report();
  auto out = decode_report(encode_report(in));
  REQUIRE(out);
  const auto& a = in.result;
  const auto& b = out->result;
  CHECK(b.attempted == a.attempted);
  CHECK(b.ready == a.ready);
  CHECK(b.replaced == a.replaced);
  CHECK(b.replaced_in_login == a.replaced_in_login);
  CHECK(b.login_failures == a.login_failures);
  CHECK(b.dropped == a.dropped);
  CHECK(b.mechanisms == a.mechanisms);
  CHECK(b.tls_versions == a.tls_versions);
  check_same(a.login, b.login);
  check_same(a.login_tcp, b.login_tcp);
  check_same(a.login_tls, b.login_tls);
  check_same(a.login_auth, b.login_auth);
  check_same(a.login_bind, b.login_bind);
  check_same(a.login_session, b.login_session);
  check_same(a.registration, b.registration);
  check_same(a.round_trip, b.round_trip);
  CHECK(b.first_start_ns == a.first_start_ns);
  CHECK(b.last_ready_ns == a.last_ready_ns);
  CHECK(b.first_ready_ns == a.first_ready_ns);
  CHECK(b.key_cache_hits == a.key_cache_hits);
  CHECK(b.key_cache_misses == a.key_cache_misses);
  CHECK(b.sent == a.sent);
  CHECK(b.replies == a.replies);
  CHECK(b.errors == a.errors);
  CHECK(b.error_conditions == a.error_conditions);
  CHECK(b.acks == a.acks);
  CHECK(b.timeouts == a.timeouts);
  CHECK(b.measured == a.measured);
  CHECK(out->learned_keys.entries() == in.learned_keys.entries());
}

TEST_CASE("an empty report round-trips") {
  auto out = decode_report(encode_report(worker_report{}));
  REQUIRE(out);
  CHECK(out->result.ready == 0);
  CHECK(out->result.login.size() == 0);
  CHECK(out->learned_keys.size() == 0);
}

TEST_CASE("a truncated, padded or foreign report is refused") {
  const auto bytes = encode_report(sample_report());
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, bytes.size() / 2, bytes.size() - 1})
    CHECK_FALSE(decode_report(std::string_view(bytes).substr(0, cut)));
  CHECK_FALSE(decode_report(bytes + "x"));
  auto foreign = bytes;
  foreign[0] = 'X';
  CHECK_FALSE(decode_report(foreign));
  // A sample count larger than the bytes that follow must not be trusted.
  auto huge = encode_report(worker_report{});
  CHECK_FALSE(decode_report(huge.substr(0, huge.size() - 8) + std::string(8, '\xff')));
}

TEST_CASE("merged percentiles are those of all samples, not an average of the parts") {
  // Two processes with very different latencies: 900 fast logins and 100
  // slow ones. The p99 of the whole run is a slow one; averaging the two
  // processes' p99s would say otherwise.
  run_result fast, slow, merged;
  for (int i = 0; i < 900; ++i)
    fast.login.add(1'000'000 + i); // ~1 ms
  for (int i = 0; i < 100; ++i)
    slow.login.add(500'000'000 + i); // ~500 ms
  fast.ready = 900;
  slow.ready = 100;
  merged.merge(decode_report(encode_report(worker_report{fast, {}}))->result);
  merged.merge(decode_report(encode_report(worker_report{slow, {}}))->result);
  const auto s = merged.login.summarise();
  CHECK(s.count == 1000);
  CHECK(merged.ready == 1000);
  CHECK(s.p50_us == Approx(1000.499)); // rank 500: a fast one
  CHECK(s.p90_us == Approx(1000.899)); // rank 900: the last fast one
  CHECK(s.p99_us == Approx(500000.089)); // rank 990: the 90th slow one
  const double averaged = (fast.login.summarise().p99_us + slow.login.summarise().p99_us) / 2;
  CHECK(s.p99_us != Approx(averaged));
}

TEST_CASE("merging counts adds them, and keeps the earliest start and latest ready") {
  run_result a, b;
  a.first_start_ns = 50;
  a.last_ready_ns = 100;
  a.login_failures["x"] = 1;
  a.key_cache_hits = 3;
  b.first_start_ns = 40;
  b.last_ready_ns = 90;
  b.login_failures["x"] = 2;
  b.login_failures["y"] = 1;
  b.key_cache_hits = 4;
  b.replaced = 5;
  a.merge(b);
  CHECK(a.first_start_ns == 40);
  CHECK(a.last_ready_ns == 100);
  CHECK(a.login_failures == std::map<std::string, int>{{"x", 3}, {"y", 1}});
  CHECK(a.key_cache_hits == 7);
  CHECK(a.replaced == 5);
  run_result empty_start;
  empty_start.merge(a);
  CHECK(empty_start.first_start_ns == 40);
}
