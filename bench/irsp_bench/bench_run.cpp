#include "bench/irsp_bench/bench_run.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "bench/irsp_bench/load_worker.hpp"
#include "node/tls/tls_context.hpp"

namespace irsp::bench {

namespace {

using namespace std::chrono_literals;

bench_clock::duration seconds(double s) {
  return std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(s));
}

/// Raises the open-file limit as far as allowed; the headroom is for the
/// epoll instances, stdio and the /proc files read while sampling.
bool enough_descriptors(int users, std::string& error) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return true;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(users) + 64 > limit.rlim_cur) {
    error = "--users " + std::to_string(users) + " needs more open files than this process may have ("
            + std::to_string(limit.rlim_cur) + ")";
    return false;
  }
  return true;
}

bool server_address(const bench_options& options, sockaddr_storage& address, socklen_t& length) {
  std::memset(&address, 0, sizeof address);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  if (inet_pton(AF_INET, options.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(options.port);
    length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET6, options.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(options.port);
    length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

template <class Pred>
bool wait_until(Pred done, bench_clock::time_point deadline, const char* progress_label,
                const std::vector<std::unique_ptr<worker_status>>& statuses, int users) {
  auto next_progress = bench_clock::now() + 1s;
  while (!done()) {
    auto now = bench_clock::now();
    if (now >= deadline)
      return false;
    if (progress_label != nullptr && now >= next_progress) {
      int ready = 0, failed = 0;
      for (const auto& s : statuses) {
        ready += s->ready.load();
        failed += s->failed.load();
      }
      std::fprintf(stderr, "irsp-bench: %s %d/%d ready, %d failed\n", progress_label, ready, users,
                   failed);
      next_progress = now + 1s;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

} // namespace

run_outcome run_bench(const bench_options& options) {
  run_outcome out;
  auto& m = out.measurements;
  m.started_utc = utc_now();
  if (!enough_descriptors(options.users, out.error))
    return out;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  if (!server_address(options, address, address_length)) {
    out.error = "not an address: " + options.host;
    return out;
  }
  tls::client_options tls_options;
  tls_options.verify_peer = false; // a local benchmark against self-signed servers
  if (options.direct_tls)
    tls_options.alpn = {"xmpp-client"}; // XEP-0368
  std::string tls_error;
  auto tls = tls::client_context::create(tls_options, tls_error);
  if (!tls) {
    out.error = "TLS client context: " + tls_error;
    return out;
  }
  auto sample_server = [&]() -> std::optional<process_sample> {
    return options.server_pid ? sample_process(*options.server_pid) : std::nullopt;
  };
  m.server_before = sample_server();
  if (options.server_pid && !m.server_before) {
    out.error = "cannot read /proc/" + std::to_string(*options.server_pid) + "/status";
    return out;
  }
  m.client_cpu_before = own_cpu_seconds();

  run_control control;
  std::vector<std::unique_ptr<worker_status>> statuses;
  std::vector<std::unique_ptr<load_worker>> workers;
  const int threads = std::min(options.threads, options.users);
  for (int w = 0; w < threads; ++w) {
    statuses.push_back(std::make_unique<worker_status>());
    workers.push_back(std::make_unique<load_worker>(options, control, *statuses.back(), *tls,
                                                    address, address_length, w, threads));
  }
  const auto ramp_start = bench_clock::now() + 20ms;
  control.ramp_start_ns = to_ns(ramp_start);
  std::vector<std::thread> running;
  for (auto& w : workers)
    running.emplace_back([&worker = *w] { worker.run(); });

  auto all = [&](std::atomic<bool> worker_status::*flag) {
    return [&statuses, flag] {
      for (const auto& s : statuses)
        if (!((*s).*flag).load())
          return false;
      return true;
    };
  };
  // Every login ends by its own timeout; this deadline only guards against a
  // worker that stopped turning.
  const auto login_deadline =
    ramp_start + seconds(options.users / options.ramp + options.login_timeout + 10);
  m.connect_deadline_hit =
    !wait_until(all(&worker_status::settled), login_deadline, "login:", statuses, options.users);
  m.connect_seconds = std::chrono::duration<double>(bench_clock::now() - ramp_start).count();
  m.server_connected = sample_server();
  m.client_cpu_connected = own_cpu_seconds();

  if (options.scenario == scenario_kind::connect) {
    control.phase = run_phase::hold;
    std::this_thread::sleep_for(seconds(options.duration));
  } else {
    const auto start = bench_clock::now();
    control.traffic_start_ns = to_ns(start);
    control.traffic_end_ns = to_ns(start + seconds(options.duration));
    control.phase = run_phase::traffic;
    m.window_seconds = options.duration - options.warmup;
    std::this_thread::sleep_until(start + seconds(options.duration));
    control.phase = run_phase::drain;
    wait_until(all(&worker_status::drained), bench_clock::now() + seconds(options.reply_timeout + 2),
               nullptr, statuses, options.users);
  }
  m.server_after = sample_server();
  m.client_cpu_after = own_cpu_seconds();

  control.phase = run_phase::close;
  for (auto& t : running)
    t.join(); // each worker closes within its own grace period
  for (const auto& w : workers)
    out.result.merge(w->result());
  return out;
}

} // namespace irsp::bench
