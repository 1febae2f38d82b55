// Threads for work too slow for an I/O thread: TLS handshake crypto, PBKDF2.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace irsp::net {

/// A fixed set of threads taking jobs from one queue, oldest first. An I/O
/// thread hands a job here, suspends the connection it belongs to, and gets
/// the result back as a task posted to its loop; meanwhile it serves every
/// other connection. Idle threads sleep on a condition variable.
class work_pool {
public:
  /// A pool of `threads` threads (at least one).
  explicit work_pool(std::size_t threads);

  /// Runs the jobs still queued, then joins the threads.
  ~work_pool();

  work_pool(const work_pool&) = delete;
  work_pool& operator=(const work_pool&) = delete;

  /// Queues `job`. Thread-safe.
  void submit(std::function<void()> job);

  /// Jobs queued and not yet started.
  std::size_t queued() const;

private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace irsp::net
