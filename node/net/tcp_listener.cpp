// RFC 793 passive open: a listening TCP socket on an io_loop.
#include "node/net/tcp_listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace irsp::net {

namespace {

std::string describe(const sockaddr_storage& sa, std::string* address_only) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  bool v6 = sa.ss_family == AF_INET6;
  if (v6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  } else if (sa.ss_family == AF_INET) {
    auto* in4 = reinterpret_cast<const sockaddr_in*>(&sa);
    ::inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
    port = ntohs(in4->sin_port);
  }
  *address_only = host;
  return v6 ? "[" + std::string{host} + "]:" + std::to_string(port)
            : std::string{host} + ":" + std::to_string(port);
}

} // namespace

std::unique_ptr<tcp_listener> tcp_listener::open(io_loop& loop, const std::string& address,
                                                 std::uint16_t& port, accept_fn on_accept,
                                                 std::string& error) {
  auto fail = [&](const char* what) {
    error = "cannot listen on " + address + ":" + std::to_string(port) + ": " + what + ": "
            + std::strerror(errno) + " (is the port in use, or the address not local?)";
    return nullptr;
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(address.empty() ? nullptr : address.c_str(), service.c_str(),
                             &hints, &found);
      rc != 0) {
    error = "cannot listen on " + address + ":" + service + ": " + ::gai_strerror(rc)
            + " (the address must be a numeric IPv4 or IPv6 address)";
    return nullptr;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard{found, &::freeaddrinfo};
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail("socket");
  // SO_REUSEADDR only lets a restarted node bind while old connections sit
  // in TIME_WAIT; unlike SO_REUSEPORT it never lets two nodes share a port.
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
    auto saved = errno;
    ::close(fd);
    errno = saved;
    return fail("bind");
  }
  if (::listen(fd, 4096) != 0) {
    auto saved = errno;
    ::close(fd);
    errno = saved;
    return fail("listen");
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return std::unique_ptr<tcp_listener>(new tcp_listener(loop, fd, std::move(on_accept)));
}

tcp_listener::tcp_listener(io_loop& loop, int fd, accept_fn on_accept)
  : loop_(loop), fd_(fd), on_accept_(std::move(on_accept)) {
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

tcp_listener::~tcp_listener() {
  close();
  if (spare_fd_ >= 0)
    ::close(spare_fd_);
}

void tcp_listener::start() {
  loop_.post([this] { loop_.watch(fd_, this, EPOLLIN); });
}

void tcp_listener::close() {
  if (fd_ < 0)
    return;
  loop_.unwatch(fd_);
  ::close(fd_);
  fd_ = -1;
}

void tcp_listener::on_ready(std::uint32_t) {
  // A bounded batch per wake-up, so a connection storm cannot starve the
  // connections this loop already serves.
  for (int i = 0; i < 64 && fd_ >= 0; ++i) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&sa), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        ::close(spare_fd_);
        int dropped = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (dropped >= 0)
          ::close(dropped);
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        continue;
      }
      return; // EAGAIN, or an error the next wake-up meets again
    }
    accepted a;
    a.fd = fd;
    a.peer = describe(sa, &a.address);
    on_accept_(std::move(a));
  }
}

} // namespace irsp::net
