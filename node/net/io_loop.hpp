// The transport's event loop: one thread, one epoll set (Linux epoll(7)).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

namespace irsp::net {

/// Something that owns a descriptor registered with an io_loop.
class io_handler {
public:
  virtual ~io_handler();

  /// The descriptor is ready: `events` is the epoll mask (EPOLLIN, EPOLLOUT,
  /// EPOLLERR, EPOLLHUP, EPOLLRDHUP). Runs on the loop's thread.
  virtual void on_ready(std::uint32_t events) = 0;
};

/// One I/O thread: waits in epoll_wait for descriptors, for tasks posted by
/// other threads and for timers, and runs them all on its own thread, so
/// what a loop owns needs no locks.
///
/// Idle means idle: with nothing to do the thread sleeps in epoll_wait with
/// no timeout, or until the earliest timer. Timers are coalesced: a deadline
/// is rounded up to the loop's timer resolution, so timers due close together
/// fire in one wake-up, and nothing ticks while none is due.
class io_loop {
public:
  /// Clock of every timer.
  using clock = std::chrono::steady_clock;
  /// Names a scheduled timer, to cancel it.
  using timer_id = std::uint64_t;

  /// A loop whose timers fire at most `resolution` late.
  explicit io_loop(std::chrono::milliseconds resolution = std::chrono::milliseconds(50));
  ~io_loop();

  io_loop(const io_loop&) = delete;
  io_loop& operator=(const io_loop&) = delete;

  /// Starts the loop's thread, named `name` (at most 15 characters show).
  void start(const char* name);

  /// Asks the loop to return once the tasks posted so far have run, and
  /// joins its thread. Thread-safe; call it from another thread.
  void stop();

  /// Runs `task` on the loop's thread, after the tasks posted before it.
  /// Thread-safe. A task posted after stop() is dropped.
  void post(std::function<void()> task);

  /// True on the loop's own thread.
  bool in_loop() const noexcept {
    return std::this_thread::get_id() == thread_id_;
  }

  // -- on the loop's thread only -------------------------------------------------

  /// Watches `fd` for `events` (EPOLLIN, EPOLLOUT, ...; level-triggered).
  bool watch(int fd, io_handler* handler, std::uint32_t events);

  /// Changes what `fd` is watched for.
  void rewatch(int fd, io_handler* handler, std::uint32_t events);

  /// Stops watching `fd` (before closing it).
  void unwatch(int fd);

  /// Runs `fn` once, at `delay` from now (rounded up to the resolution).
  timer_id after(clock::duration delay, std::function<void()> fn);

  /// Cancels a timer that has not fired; harmless otherwise.
  void cancel(timer_id id);

  /// Timers scheduled and not yet fired or cancelled.
  std::size_t timers() const noexcept {
    return timer_fns_.size();
  }

private:
  void run();
  void run_tasks();
  void run_timers();
  int wait_ms() const;

  struct pending_timer {
    clock::time_point at;
    timer_id id;
    bool operator>(const pending_timer& other) const {
      return at > other.at;
    }
  };

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::chrono::milliseconds resolution_;
  std::thread thread_;
  std::thread::id thread_id_;

  std::mutex mutex_;
  std::vector<std::function<void()>> posted_; // guarded by mutex_
  bool stopping_ = false;                     // guarded by mutex_
  bool woken_ = false;                        // guarded by mutex_: wake_fd_ is readable

  std::vector<std::function<void()>> running_; // the loop's own swap buffer
  std::priority_queue<pending_timer, std::vector<pending_timer>, std::greater<>> timer_heap_;
  std::unordered_map<timer_id, std::function<void()>> timer_fns_; // cancelled: erased
  timer_id next_timer_ = 1;
};

} // namespace irsp::net
