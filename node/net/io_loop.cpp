// The transport's event loop: one thread, one epoll set (Linux epoll(7)).
#include "node/net/io_loop.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <string>
#include <utility>

namespace irsp::net {

io_handler::~io_handler() = default;

io_loop::io_loop(std::chrono::milliseconds resolution) : resolution_(resolution) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    throw std::runtime_error(std::string{"cannot create an I/O loop: "} + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr; // the wake-up descriptor is the one without a handler
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

io_loop::~io_loop() {
  stop();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void io_loop::start(const char* name) {
  std::promise<void> started;
  thread_ = std::thread{[this, name, &started] {
    ::pthread_setname_np(::pthread_self(), name);
    thread_id_ = std::this_thread::get_id();
    started.set_value();
    run();
  }};
  started.get_future().wait();
}

void io_loop::stop() {
  if (!thread_.joinable())
    return;
  post([this] {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  });
  thread_.join();
}

void io_loop::post(std::function<void()> task) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopping_)
      return;
    posted_.push_back(std::move(task));
    // One eventfd write per batch: while the loop has not drained the
    // queue, later posts ride on the same wake-up.
    wake = !std::exchange(woken_, true);
  }
  if (wake) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

bool io_loop::watch(int fd, io_handler* handler, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void io_loop::rewatch(int fd, io_handler* handler, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void io_loop::unwatch(int fd) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

io_loop::timer_id io_loop::after(clock::duration delay, std::function<void()> fn) {
  // Round up to the resolution on the clock's own grid, so that timers of
  // many connections fall on the same instants.
  auto at = clock::now() + delay;
  auto res = std::chrono::duration_cast<clock::duration>(resolution_);
  auto since = at.time_since_epoch();
  auto rest = since % res;
  if (rest != clock::duration::zero())
    at += res - rest;
  auto id = next_timer_++;
  timer_heap_.push({at, id});
  timer_fns_.emplace(id, std::move(fn));
  return id;
}

void io_loop::cancel(timer_id id) {
  // The heap entry stays until its time comes and then finds nothing.
  timer_fns_.erase(id);
  // Without live timers the heap holds only dead entries: drop them, so an
  // idle loop does not wake up for them.
  if (timer_fns_.empty())
    timer_heap_ = {};
}

int io_loop::wait_ms() const {
  if (timer_heap_.empty())
    return -1;
  auto left = timer_heap_.top().at - clock::now();
  if (left <= clock::duration::zero())
    return 0;
  // Round up: waking before the deadline would only loop again.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 1 << 30 ? 1 << 30 : static_cast<int>(ms);
}

void io_loop::run_tasks() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    running_.swap(posted_);
    if (woken_) {
      std::uint64_t n = 0;
      [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
      woken_ = false;
    }
  }
  for (auto& task : running_)
    task();
  running_.clear();
  if (running_.capacity() > 1024)
    std::vector<std::function<void()>>{}.swap(running_);
}

void io_loop::run_timers() {
  auto now = clock::now();
  while (!timer_heap_.empty() && timer_heap_.top().at <= now) {
    auto id = timer_heap_.top().id;
    timer_heap_.pop();
    auto i = timer_fns_.find(id);
    if (i == timer_fns_.end())
      continue; // cancelled
    auto fn = std::move(i->second);
    timer_fns_.erase(i);
    fn();
  }
}

void io_loop::run() {
  constexpr int max_events = 256;
  epoll_event events[max_events];
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events, max_events, wait_ms());
    if (n < 0 && errno != EINTR)
      throw std::runtime_error(std::string{"epoll_wait: "} + std::strerror(errno));
    bool tasks = false;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr)
        tasks = true;
      else
        static_cast<io_handler*>(events[i].data.ptr)->on_ready(events[i].events);
    }
    if (tasks) {
      run_tasks();
      std::lock_guard<std::mutex> guard{mutex_};
      if (stopping_)
        return;
    }
    run_timers();
  }
}

} // namespace irsp::net
