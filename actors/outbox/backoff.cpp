// IRSP §8.8.2 outbound retries: the backoff schedule.
#include "actors/outbox/backoff.hpp"

#include <algorithm>

namespace irsp::outbox {

std::chrono::milliseconds backoff_ceiling(const backoff_policy& p, std::uint32_t failures) {
  if (failures == 0 || p.base.count() <= 0)
    return std::chrono::milliseconds{0};
  auto cap = std::max(p.max, p.base).count();
  std::int64_t ceiling = p.base.count();
  // Doubling stops at the cap, so no shift can overflow.
  for (std::uint32_t i = 1; i < failures && ceiling < cap; ++i)
    ceiling *= 2;
  return std::chrono::milliseconds{std::min<std::int64_t>(ceiling, cap)};
}

std::chrono::milliseconds backoff_delay(const backoff_policy& p, std::uint32_t failures,
                                        std::mt19937_64& rng) {
  auto ceiling = backoff_ceiling(p, failures).count();
  if (ceiling <= 0)
    return std::chrono::milliseconds{0};
  std::uniform_int_distribution<std::int64_t> pick{0, ceiling};
  return std::chrono::milliseconds{pick(rng)};
}

} // namespace irsp::outbox
