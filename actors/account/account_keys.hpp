// IRSP §8.2 storage layout: the keys of the account server's RocksDB. Every
// per-account key holds the account's address right after its prefix, so a
// later cluster can shard accounts, bindings and queues by that one key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace irsp::account::keys {

/// Appends `v` as 8 bytes big-endian: numbers in keys sort as numbers.
inline void append_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out += static_cast<char>((v >> shift) & 0xff);
}

/// `v` as 8 bytes big-endian.
inline std::string be64(std::uint64_t v) {
  std::string out;
  append_be64(out, v);
  return out;
}

/// The big-endian number in the first 8 bytes of `s` (all of it if shorter).
inline std::uint64_t read_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (unsigned char c : s.substr(0, 8))
    v = (v << 8) | c;
  return v;
}

/// "a/<address>": the account record.
inline std::string account(std::string_view address) {
  return "a/" + std::string(address);
}
inline constexpr std::string_view account_prefix = "a/";

/// "b/<a>\0<b>": a binding, stored once in each direction.
inline std::string binding(std::string_view a, std::string_view b) {
  std::string k = "b/" + std::string(a);
  k += '\0';
  k += b;
  return k;
}

/// "b/<a>\0": the prefix of every binding of `a`.
inline std::string bindings_of(std::string_view a) {
  std::string k = "b/" + std::string(a);
  k += '\0';
  return k;
}

/// "q/<address>\0": the prefix of an account's offline queue.
inline std::string queue_of(std::string_view address) {
  std::string k = "q/" + std::string(address);
  k += '\0';
  return k;
}

/// "q/<address>\1": just past every key of the queue (for range deletion).
inline std::string queue_end(std::string_view address) {
  std::string k = "q/" + std::string(address);
  k += '\1';
  return k;
}

/// "q/<address>\0<seq, 8 bytes big-endian>": one queued message.
inline std::string queued(std::string_view address, std::uint64_t seq) {
  std::string k = queue_of(address);
  append_be64(k, seq);
  return k;
}

/// The sequence number at the end of a queued-message key.
inline std::uint64_t queued_seq(std::string_view key) {
  return key.size() < 8 ? 0 : read_be64(key.substr(key.size() - 8));
}

/// "qm/<address>": how many messages the queue holds and the next sequence
/// number, so that enqueue neither scans the queue nor keeps a count in memory.
inline constexpr std::string_view queue_meta_prefix = "qm/";
inline std::string queue_meta(std::string_view address) {
  return std::string{queue_meta_prefix} + std::string(address);
}

/// Issue 15, the lifecycle stream: "e/<address>" the account's last epoch
/// (a counter, kept when the account is deleted so that epochs never repeat);
/// "s/<address>" its latest transition; "l/<cursor, 8 bytes big-endian>" one
/// transition of the stream; "k/<subscriber>" what a subscriber acknowledged.
inline std::string epoch_of(std::string_view address) {
  return "e/" + std::string(address);
}
inline std::string latest_state(std::string_view address) {
  return "s/" + std::string(address);
}
inline constexpr std::string_view stream_prefix = "l/";
inline std::string stream_entry(std::uint64_t cursor) {
  std::string k{stream_prefix};
  append_be64(k, cursor);
  return k;
}
inline std::string subscriber_ack(std::string_view subscriber) {
  return "k/" + std::string(subscriber);
}

/// IRSP §8.8.2, the outbox (actors/outbox/): "xe/<name>" a registered
/// external endpoint; "xm/<application>\0<idempotency key>" a message and
/// what became of it; "xo/<endpoint>\0<seq, 8 bytes big-endian>" a message
/// not yet delivered nor dead-lettered, in order (its value: the "xm/" key);
/// "xs/seq" the next sequence number.
inline constexpr std::string_view endpoint_prefix = "xe/";
inline std::string external_endpoint(std::string_view name) {
  return std::string(endpoint_prefix) + std::string(name);
}
inline std::string outbox_message(std::string_view application, std::string_view key) {
  std::string k = "xm/" + std::string(application);
  k += '\0';
  k += key;
  return k;
}
inline constexpr std::string_view outbox_pending_prefix = "xo/";
inline std::string outbox_pending_of(std::string_view endpoint) {
  std::string k = std::string(outbox_pending_prefix) + std::string(endpoint);
  k += '\0';
  return k;
}
inline std::string outbox_pending(std::string_view endpoint, std::uint64_t seq) {
  std::string k = outbox_pending_of(endpoint);
  append_be64(k, seq);
  return k;
}
inline const std::string outbox_seq = "xs/seq";
/// Issue 17, §8.8.3: "h/<key id>" an inbound HTTPS API key (its name, its
/// application, whether revoked, and its secret sealed under the node's key
/// file; node/http/api_keys.hpp).
inline constexpr std::string_view api_key_prefix = "h/";
inline std::string api_key(std::string_view id) {
  return std::string{api_key_prefix} + std::string(id);
}
/// "hn/<entry>": a nonce an inbound request used, with its expiry (8 bytes
/// big-endian, Unix seconds), so that a restart does not forget it.
inline constexpr std::string_view nonce_prefix = "hn/";
inline std::string used_nonce(std::string_view entry) {
  return std::string{nonce_prefix} + std::string(entry);
}

/// "m/...": the store's own metadata (its domain, one-off migrations).
inline const std::string domain = "m/domain";
inline const std::string legacy_offline_imported = "m/offline-imported";
/// In a cluster, how many shards the account store has (decimal), in shard 0.
inline const std::string shard_count = "m/shards";
/// Present while a backup holds a half-received snapshot of its primary:
/// such a store is not a copy of anything and must not be served.
inline const std::string replica_incomplete = "m/replica-incomplete";

} // namespace irsp::account::keys
