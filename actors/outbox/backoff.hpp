// IRSP §8.8.2 outbound retries: exponential backoff with full jitter (each
// delay uniform between zero and a ceiling that doubles per failure, up to a
// cap), so that many messages failing together do not retry together.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace irsp::outbox {

/// The retry schedule of outbound delivery.
struct backoff_policy {
  std::chrono::milliseconds base{1000};   ///< the ceiling after the first failure
  std::chrono::milliseconds max{300000};  ///< no ceiling grows past this
};

/// The ceiling of the delay after the `failures`-th failed attempt (1 for
/// the first): min(max, base * 2^(failures - 1)); zero for no failure.
std::chrono::milliseconds backoff_ceiling(const backoff_policy& p, std::uint32_t failures);

/// A delay drawn uniformly from [0, backoff_ceiling(p, failures)].
std::chrono::milliseconds backoff_delay(const backoff_policy& p, std::uint32_t failures,
                                        std::mt19937_64& rng);

} // namespace irsp::outbox
