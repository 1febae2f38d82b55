// Issue 14: which shard of the account store holds an account — the same
// key (the normalised address) and the same rendezvous hashing as placement.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace irsp::cluster {

/// The shard (0 .. shards-1) that holds `address`'s account, bindings and
/// offline queue; stable across processes and builds. Whatever does not
/// name an account of `domain` (bad input) is shard 0's to refuse.
std::size_t shard_of(std::string_view address, std::string_view domain, std::size_t shards);

/// The same for a registration's name (its localpart).
std::size_t shard_of_name(std::string_view name, std::string_view domain, std::size_t shards);

} // namespace irsp::cluster
