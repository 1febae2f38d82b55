#include "bench/irsp_bench/bench_run.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "bench/irsp_bench/cluster_routing.hpp"
#include "bench/irsp_bench/load_worker.hpp"
#include "bench/irsp_bench/worker_report.hpp"
#include "node/tls/tls_context.hpp"

namespace irsp::bench {

namespace {

using namespace std::chrono_literals;

// The coordinator and the workers share run_control and worker_status
// through a MAP_SHARED mapping made before fork: that needs atomics that
// are lock-free (they then work across processes).
static_assert(std::atomic<std::int64_t>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<run_phase>::is_always_lock_free);

bench_clock::duration seconds(double s) {
  return std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(s));
}

/// Raises the open-file limit as far as allowed; the headroom is for the
/// epoll instances, stdio and the /proc files read while sampling.
bool enough_descriptors(int per_process, std::string& error) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return true;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(per_process) + 64 > limit.rlim_cur) {
    error = std::to_string(per_process) + " connections per process need more open files than "
            "a process may have (" + std::to_string(limit.rlim_cur) + "); use more --processes";
    return false;
  }
  return true;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// run_control and one worker_status per worker thread, in memory shared by
/// the coordinator and the worker processes it forks.
class shared_state {
public:
  explicit shared_state(int workers) : workers_(workers) {
    size_ = sizeof(run_control) + sizeof(worker_status) * static_cast<std::size_t>(workers);
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return;
    memory_ = p;
    control_ = new (p) run_control{};
    statuses_ = reinterpret_cast<worker_status*>(static_cast<char*>(p) + sizeof(run_control));
    for (int i = 0; i < workers; ++i)
      new (&statuses_[i]) worker_status{};
  }
  ~shared_state() {
    if (memory_ != nullptr)
      munmap(memory_, size_);
  }
  shared_state(const shared_state&) = delete;
  shared_state& operator=(const shared_state&) = delete;

  bool ok() const noexcept {
    return memory_ != nullptr;
  }
  run_control& control() {
    return *control_;
  }
  worker_status& status(int worker) {
    return statuses_[worker];
  }
  int workers() const noexcept {
    return workers_;
  }

private:
  int workers_;
  std::size_t size_ = 0;
  void* memory_ = nullptr;
  run_control* control_ = nullptr;
  worker_status* statuses_ = nullptr;
};

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

/// The body of worker process `process`: its threads' share of the
/// connections, then its report down `out`. Never returns.
[[noreturn]] void worker_process(const bench_options& options, const connection_plan& plan,
                                 const std::vector<target_endpoint>& targets,
                                 const std::vector<sockaddr_in>& sources,
                                 const scram_key_cache* loaded_keys, shared_state& shared,
                                 int process, int out, pid_t coordinator) {
  // A worker outlives no coordinator: its load must stop with the run.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != coordinator)
    _exit(3);
  worker_report report;
  auto give_up = [&](const std::string& why) {
    report.result.login_failures[why] = 1;
    for (int t = 0; t < plan.threads; ++t) {
      auto& s = shared.status(process * plan.threads + t);
      s.settled = s.drained = s.finished = true;
    }
    write_all(out, encode_report(report));
    _exit(1);
  };
  tls::client_options tls_options;
  tls_options.verify_peer = false; // a local benchmark against self-signed servers
  if (options.direct_tls)
    tls_options.alpn = {"xmpp-client"}; // XEP-0368
  std::string tls_error;
  auto tls = tls::client_context::create(tls_options, tls_error);
  if (!tls)
    give_up("TLS client context: " + tls_error);

  std::vector<std::unique_ptr<load_worker>> workers;
  for (int t = 0; t < plan.threads; ++t) {
    const int index = process * plan.threads + t;
    workers.push_back(std::make_unique<load_worker>(options, plan, shared.control(),
                                                    shared.status(index), *tls, targets, sources,
                                                    loaded_keys, index));
  }
  std::vector<std::thread> running;
  for (std::size_t t = 1; t < workers.size(); ++t)
    running.emplace_back([&worker = *workers[t]] { worker.run(); });
  workers[0]->run();
  for (auto& t : running)
    t.join(); // each worker closes within its own grace period
  for (const auto& w : workers) {
    report.result.merge(w->result());
    report.learned_keys.merge(w->learned_keys());
  }
  _exit(write_all(out, encode_report(report)) ? 0 : 2);
}

/// One forked worker process as the coordinator sees it.
struct worker_child {
  pid_t pid = -1;
  int report_fd = -1;   // read end of its pipe
  std::string bytes;    // what it sent so far
  bool eof = false;
  bool reaped = false;
  int wait_status = 0;
};

/// Sums the CPU seconds of the coordinator and its live worker processes.
double client_cpu(const std::vector<worker_child>& children) {
  double total = own_cpu_seconds();
  for (const auto& c : children)
    if (!c.reaped)
      if (auto s = sample_process(c.pid))
        total += s->cpu_seconds;
  return total;
}

/// Sums the server processes' samples; nullopt if there are none or one
/// cannot be read.
std::optional<process_sample> sample_servers(const std::vector<int>& pids) {
  if (pids.empty())
    return std::nullopt;
  process_sample total;
  for (int pid : pids) {
    auto s = sample_process(pid);
    if (!s)
      return std::nullopt;
    total.rss_kib += s->rss_kib;
    total.cpu_seconds += s->cpu_seconds;
  }
  return total;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status))
    return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  if (WIFEXITED(status))
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

/// Reaps the children that have exited; a child that ended before it
/// finished counts as done for the phases (its connections are gone), and
/// the run says so.
void reap(std::vector<worker_child>& children, shared_state& shared, int threads,
          std::vector<std::string>& warnings) {
  for (std::size_t p = 0; p < children.size(); ++p) {
    auto& c = children[p];
    if (c.reaped || waitpid(c.pid, &c.wait_status, WNOHANG) != c.pid)
      continue;
    c.reaped = true;
    bool finished = true;
    for (int t = 0; t < threads; ++t) {
      auto& s = shared.status(static_cast<int>(p) * threads + t);
      finished = finished && s.finished.load();
      s.settled = s.drained = s.finished = true;
    }
    if (!finished)
      warnings.push_back("worker process " + std::to_string(p) + " " + describe_exit(c.wait_status)
                         + " before the run ended; its connections are missing from the figures");
  }
}

template <class Pred>
bool wait_until(Pred done, bench_clock::time_point deadline, const char* progress_label,
                shared_state& shared, std::vector<worker_child>& children, int threads, int total,
                std::vector<std::string>& warnings) {
  auto next_progress = bench_clock::now() + 1s;
  for (;;) {
    reap(children, shared, threads, warnings);
    if (done())
      return true;
    auto now = bench_clock::now();
    if (now >= deadline)
      return false;
    if (progress_label != nullptr && now >= next_progress) {
      int ready = 0, failed = 0;
      for (int w = 0; w < shared.workers(); ++w) {
        ready += shared.status(w).ready.load();
        failed += shared.status(w).failed.load();
      }
      std::fprintf(stderr, "irsp-bench: %s %d/%d ready, %d failed\n", progress_label, ready, total,
                   failed);
      next_progress = now + 1s;
    }
    std::this_thread::sleep_for(10ms);
  }
}

/// Reads every child's report until each pipe closes or `deadline`; then
/// kills and reaps what is left.
void collect(std::vector<worker_child>& children, bench_clock::time_point deadline) {
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<worker_child*> owners;
    for (auto& c : children)
      if (!c.eof) {
        fds.push_back(pollfd{c.report_fd, POLLIN, 0});
        owners.push_back(&c);
      }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - bench_clock::now()).count();
    if (fds.empty() || left <= 0)
      break;
    if (poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 1000))) < 0
        && errno != EINTR)
      break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0)
        continue;
      char buf[65536];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0)
        owners[i]->bytes.append(buf, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        owners[i]->eof = true;
    }
  }
  for (auto& c : children) {
    if (!c.eof)
      kill(c.pid, SIGKILL);
    ::close(c.report_fd);
    if (!c.reaped) {
      waitpid(c.pid, &c.wait_status, 0);
      c.reaped = true;
    }
  }
}

} // namespace

run_outcome run_bench(const bench_options& options) {
  run_outcome out;
  auto& m = out.measurements;
  m.started_utc = utc_now();
  auto plan = make_plan(options.users, options.replace_fraction,
                        static_cast<int>(options.hosts.size() * options.ports.size()),
                        options.processes, options.threads, options.sources, out.error);
  if (!plan)
    return out;
  auto homes = account_targets(options.users, options.prefix, options.domain,
                               options.cluster_nodes, options.connect_to, out.error);
  if (!homes)
    return out;
  plan->account_targets = std::move(*homes);
  m.plan = *plan;
  auto targets = make_targets(options.hosts, options.ports, out.error);
  if (!targets || !enough_descriptors(plan->connections_per_process(), out.error))
    return out;
  std::vector<sockaddr_in> sources;
  if (plan->sources > 1) {
    in_addr first{};
    inet_pton(AF_INET, "127.0.0.1", &first);
    for (int i = 0; i < plan->sources; ++i)
      sources.push_back(source_address(first, i));
  }
  scram_key_cache loaded_keys;
  if (!options.key_cache_path.empty()) {
    if (!loaded_keys.load(options.key_cache_path, out.error))
      return out;
    m.keys_loaded = loaded_keys.size();
  }
  shared_state shared{plan->workers()};
  if (!shared.ok()) {
    out.error = std::string("shared memory: ") + std::strerror(errno);
    return out;
  }
  m.server_before = sample_servers(options.server_pids);
  if (!options.server_pids.empty() && !m.server_before) {
    out.error = "cannot read /proc of every --server-pid";
    return out;
  }

  // Workers open connection i at ramp_start + i / ramp; leave the forks time.
  auto& control = shared.control();
  const auto ramp_start = bench_clock::now() + 50ms + 2ms * plan->processes;
  control.ramp_start_ns = to_ns(ramp_start);
  std::fflush(stdout); // a child must not flush the coordinator's buffers again
  std::fflush(stderr);
  std::vector<worker_child> children;
  const pid_t coordinator = getpid();
  for (int p = 0; p < plan->processes; ++p) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      out.error = std::string("pipe: ") + std::strerror(errno);
      break;
    }
    const pid_t pid = fork();
    if (pid == 0) {
      ::close(fds[0]);
      for (const auto& c : children)
        ::close(c.report_fd);
      worker_process(options, *plan, *targets, sources,
                     options.key_cache_path.empty() ? nullptr : &loaded_keys, shared, p, fds[1],
                     coordinator);
    }
    ::close(fds[1]);
    if (pid < 0) {
      ::close(fds[0]);
      out.error = std::string("fork: ") + std::strerror(errno);
      break;
    }
    worker_child child;
    child.pid = pid;
    child.report_fd = fds[0];
    children.push_back(std::move(child));
  }
  if (!out.error.empty()) {
    for (auto& c : children)
      kill(c.pid, SIGKILL);
    control.phase = run_phase::close;
    collect(children, bench_clock::now());
    return out;
  }
  m.client_cpu_before = client_cpu(children);

  auto all = [&](std::atomic<bool> worker_status::*flag) {
    return [&shared, flag] {
      for (int w = 0; w < shared.workers(); ++w)
        if (!(shared.status(w).*flag).load())
          return false;
      return true;
    };
  };
  auto wait = [&](auto done, bench_clock::time_point deadline, const char* label) {
    return wait_until(done, deadline, label, shared, children, plan->threads,
                      plan->connections(), m.warnings);
  };
  // Every login ends by its own timeout; this deadline only guards against a
  // worker that stopped turning.
  const auto login_deadline =
    ramp_start + seconds(plan->connections() / options.ramp + options.login_timeout + 10);
  m.connect_deadline_hit = !wait(all(&worker_status::settled), login_deadline, "login:");
  m.connect_seconds = std::chrono::duration<double>(bench_clock::now() - ramp_start).count();
  m.server_connected = sample_servers(options.server_pids);
  m.client_cpu_connected = client_cpu(children);

  if (options.scenario == scenario_kind::connect) {
    // The hold: idle sessions. Its first --warmup seconds (the server
    // settling after the last login) stay out of the idle CPU figure.
    control.phase = run_phase::hold;
    const double settle = std::min(options.warmup, options.duration);
    std::this_thread::sleep_for(seconds(settle));
    m.server_hold_start = sample_servers(options.server_pids);
    m.client_cpu_hold_start = client_cpu(children);
    std::this_thread::sleep_for(seconds(options.duration - settle));
    m.hold_seconds = options.duration - settle;
  } else {
    const auto start = bench_clock::now();
    control.traffic_start_ns = to_ns(start);
    control.traffic_end_ns = to_ns(start + seconds(options.duration));
    control.phase = run_phase::traffic;
    m.window_seconds = options.duration - options.warmup;
    std::this_thread::sleep_until(start + seconds(options.duration));
    control.phase = run_phase::drain;
    wait(all(&worker_status::drained), bench_clock::now() + seconds(options.reply_timeout + 2),
         nullptr);
  }
  m.server_after = sample_servers(options.server_pids);
  m.client_cpu_after = client_cpu(children);

  control.phase = run_phase::close;
  // Workers close within their 5 s grace; the rest is for large reports.
  collect(children, bench_clock::now() + 60s);
  scram_key_cache learned;
  for (std::size_t p = 0; p < children.size(); ++p) {
    auto report = decode_report(children[p].bytes);
    if (!report) {
      m.warnings.push_back("worker process " + std::to_string(p) + " sent no report ("
                           + describe_exit(children[p].wait_status) + ")");
      continue;
    }
    out.result.merge(report->result);
    learned.merge(report->learned_keys);
  }
  if (!options.key_cache_path.empty()) {
    loaded_keys.merge(learned);
    std::string error;
    if (learned.size() > 0 && !loaded_keys.save(options.key_cache_path, error))
      m.warnings.push_back("SCRAM key cache not saved: " + error);
    m.keys_saved = loaded_keys.size();
  }
  return out;
}

} // namespace irsp::bench
