#include "bench/irsp_bench/event_loop.hpp"

#include <unistd.h>

namespace irsp::bench {

event_loop::event_loop() : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), ready_(1024) {
}

event_loop::~event_loop() {
  if (epoll_fd_ >= 0)
    ::close(epoll_fd_);
}

bool event_loop::add(int fd, io_handler* handler, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool event_loop::modify(int fd, io_handler* handler, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void event_loop::remove(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

int event_loop::poll(int timeout_ms) {
  int n = epoll_wait(epoll_fd_, ready_.data(), static_cast<int>(ready_.size()), timeout_ms);
  for (int i = 0; i < n; ++i)
    static_cast<io_handler*>(ready_[i].data.ptr)->on_io(ready_[i].events);
  return n < 0 ? 0 : n;
}

} // namespace irsp::bench
