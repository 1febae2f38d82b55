// RFC 793 passive open: a listening TCP socket on an io_loop.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "node/net/io_loop.hpp"

namespace irsp::net {

/// A connection just accepted: its descriptor (non-blocking, close-on-exec)
/// and the peer's address as "a.b.c.d:port" or "[v6]:port".
struct accepted {
  int fd = -1;
  std::string peer;
  /// The peer's address without the port, as the auth throttle keys it.
  std::string address;
};

/// A listening socket watched by one loop, which accepts every connection
/// as it arrives and hands it to `on_accept` on that loop's thread.
///
/// When the process runs out of descriptors, accept(2) would keep failing
/// and the loop would spin on the still-readable socket: the listener keeps
/// one spare descriptor, closes it to accept and drop the connection, and
/// reopens it, so the client is refused at once rather than left hanging.
class tcp_listener : public io_handler {
public:
  /// Called with each accepted connection; owns its descriptor from then on.
  using accept_fn = std::function<void(accepted)>;

  /// Binds `address`:`port` (0: any free port, written back to `port`) and
  /// starts listening; the loop starts accepting once start() is called.
  /// Nullptr on failure, with `error` naming the address and the reason.
  static std::unique_ptr<tcp_listener> open(io_loop& loop, const std::string& address,
                                            std::uint16_t& port, accept_fn on_accept,
                                            std::string& error);

  /// Closes the socket. On the loop's thread, or after the loop stopped.
  ~tcp_listener() override;

  /// Starts accepting (posts the watch to the loop).
  void start();

  /// Stops accepting and closes the socket; on the loop's thread.
  void close();

  void on_ready(std::uint32_t events) override;

private:
  tcp_listener(io_loop& loop, int fd, accept_fn on_accept);

  io_loop& loop_;
  int fd_;
  int spare_fd_;
  accept_fn on_accept_;
};

} // namespace irsp::net
