// The shard of an account: rendezvous hashing of its normalised address
// over "shard-0" ... "shard-(n-1)".
#include "cluster/shard_map.hpp"

#include "actors/account/name_rules.hpp"
#include "cluster/placement.hpp"

namespace irsp::cluster {

namespace {

std::size_t shard_of_normal(const std::string& address, std::size_t shards) {
  std::size_t best = 0;
  std::uint64_t best_weight = 0;
  for (std::size_t k = 0; k < shards; ++k) {
    auto w = placement_weight("shard-" + std::to_string(k), address);
    if (k == 0 || w > best_weight) {
      best = k;
      best_weight = w;
    }
  }
  return best;
}

} // namespace

std::size_t shard_of_name(std::string_view name, std::string_view domain, std::size_t shards) {
  if (shards <= 1)
    return 0;
  auto local = account::prepare_localpart(name);
  if (!local)
    return 0;
  return shard_of_normal(*local + "@" + std::string{domain}, shards);
}

std::size_t shard_of(std::string_view address, std::string_view domain, std::size_t shards) {
  if (shards <= 1)
    return 0;
  auto parts = account::split_address(address);
  if (!parts || parts->second != domain)
    return 0;
  return shard_of_name(parts->first, domain, shards);
}

} // namespace irsp::cluster
