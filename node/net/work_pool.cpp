// Threads for work too slow for an I/O thread: TLS handshake crypto, PBKDF2.
#include "node/net/work_pool.hpp"

#include <pthread.h>

namespace irsp::net {

work_pool::work_pool(std::size_t threads) {
  if (threads == 0)
    threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "irsp.work");
      run();
    });
}

work_pool::~work_pool() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void work_pool::submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

std::size_t work_pool::queued() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return jobs_.size();
}

void work_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> guard{mutex_};
      ready_.wait(guard, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty())
        return; // stopping, and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

} // namespace irsp::net
