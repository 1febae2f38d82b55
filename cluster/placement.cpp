// Rendezvous hashing: FNV-1a over node and key, finished with splitmix64's
// mixer (FNV alone leaves nearby names with correlated weights).
#include "cluster/placement.hpp"

namespace irsp::cluster {

namespace {

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

} // namespace

std::uint64_t placement_weight(std::string_view node, std::string_view key) {
  auto h = fnv1a(0xcbf29ce484222325ULL, node);
  h = fnv1a(h ^ 0xff, key); // a separator: ("ab","c") and ("a","bc") differ
  return mix(h);
}

const std::string* home_of(std::string_view key, const std::vector<std::string>& nodes) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (const auto& n : nodes) {
    auto w = placement_weight(n, key);
    if (!best || w > best_weight || (w == best_weight && n < *best)) {
      best = &n;
      best_weight = w;
    }
  }
  return best;
}

} // namespace irsp::cluster
