// A real etcd 3.4 server for one test: free 127.0.0.1 ports, a temp data dir,
// always killed, reaped and removed.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "cluster/etcd_client.hpp"
#include "temp_dir.hpp"

namespace irsp::test {

/// A port nobody listens on right now (the kernel's pick for port 0).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

/// Starts /usr/bin/etcd and waits (bounded) until it answers.
class etcd_process {
public:
  etcd_process() {
    // A port taken between free_port() and etcd's bind makes etcd exit: retry.
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (start())
        return;
      stop();
    }
    throw std::runtime_error("etcd did not start; log:\n" + read_file(dir_ / "etcd.log"));
  }
  ~etcd_process() { stop(); }
  etcd_process(const etcd_process&) = delete;
  etcd_process& operator=(const etcd_process&) = delete;

  /// "http://127.0.0.1:PORT".
  const std::string& endpoint() const { return endpoint_; }
  /// The server's process id.
  pid_t pid() const { return pid_; }

  /// SIGSTOPs the server and returns once it has stopped: kill() returns
  /// before every thread has, and a stopping etcd may still answer.
  bool freeze() {
    if (::kill(pid_, SIGSTOP) != 0)
      return false;
    int status = 0;
    return ::waitpid(pid_, &status, WUNTRACED) == pid_ && WIFSTOPPED(status);
  }

  /// SIGCONTs a frozen server.
  void thaw() { ::kill(pid_, SIGCONT); }

private:
  bool start() {
    int client = free_port();
    int peer = free_port();
    endpoint_ = "http://127.0.0.1:" + std::to_string(client);
    auto peer_url = "http://127.0.0.1:" + std::to_string(peer);
    auto data = dir_ / ("data" + std::to_string(client));
    auto log = dir_ / "etcd.log";
    auto initial_cluster = "default=" + peer_url;
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "a", stdout);
      if (f != nullptr)
        ::dup2(STDOUT_FILENO, STDERR_FILENO);
      ::execl("/usr/bin/etcd", "etcd", "--name", "default", "--data-dir", data.c_str(),
              "--listen-client-urls", endpoint_.c_str(), "--advertise-client-urls",
              endpoint_.c_str(), "--listen-peer-urls", peer_url.c_str(),
              "--initial-advertise-peer-urls", peer_url.c_str(), "--initial-cluster",
              initial_cluster.c_str(), nullptr);
      ::_exit(127);
    }
    // Polls until a read succeeds: a bounded wait on a condition, not a sleep.
    cluster::etcd_client probe(endpoint_, std::chrono::milliseconds(500));
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < give_up) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (probe.get("probe"))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGCONT); // a test may have stopped it
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  temp_dir dir_;
  std::string endpoint_;
  pid_t pid_ = -1;
};

} // namespace irsp::test
