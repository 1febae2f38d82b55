#include "node/net/memory_release.hpp"

#include <malloc.h>

namespace irsp::net {

void memory_release::opened(std::size_t count) noexcept {
  auto peak = peak_.load(std::memory_order_relaxed);
  while (count > peak && !peak_.compare_exchange_weak(peak, count, std::memory_order_relaxed)) {
  }
}

bool memory_release::closed(std::size_t count) noexcept {
  auto peak = peak_.load(std::memory_order_relaxed);
  if (count >= peak || peak - count < min_drop_ || peak - count < peak / 4)
    return false;
  return !pending_.exchange(true, std::memory_order_acq_rel);
}

void memory_release::released(std::size_t count) noexcept {
  peak_.store(count, std::memory_order_relaxed);
  pending_.store(false, std::memory_order_release);
}

void memory_release::release() noexcept {
#if defined(__GLIBC__)
  // Trims every arena and, since glibc 2.8, also gives back the free pages in
  // the middle of a heap (MADV_DONTNEED), not only its top.
  ::malloc_trim(0);
#endif
}

} // namespace irsp::net
