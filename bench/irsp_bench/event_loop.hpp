// irsp-bench: one thread's epoll set (level-triggered).
#pragma once

#include <cstdint>
#include <vector>

#include <sys/epoll.h>

namespace irsp::bench {

/// Something that owns a file descriptor in an event_loop.
class io_handler {
public:
  virtual ~io_handler() = default;

  /// Called with the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP).
  virtual void on_io(std::uint32_t events) = 0;
};

/// An epoll instance for one thread. Handlers must outlive their
/// registration; a handler may close its own descriptor while being called
/// (it calls remove() first).
class event_loop {
public:
  /// Creates the epoll instance; `ok()` says whether that worked.
  event_loop();
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// True when the epoll instance exists.
  bool ok() const noexcept {
    return epoll_fd_ >= 0;
  }

  /// Watches `fd` for `events` on behalf of `handler`.
  bool add(int fd, io_handler* handler, std::uint32_t events);

  /// Changes what `fd` is watched for.
  bool modify(int fd, io_handler* handler, std::uint32_t events);

  /// Stops watching `fd` (before it is closed).
  void remove(int fd);

  /// Waits up to `timeout_ms` (0: do not wait) and calls the handlers of
  /// the ready descriptors; returns how many there were.
  int poll(int timeout_ms);

private:
  int epoll_fd_ = -1;
  std::vector<epoll_event> ready_;
};

} // namespace irsp::bench
