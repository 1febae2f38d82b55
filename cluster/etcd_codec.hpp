// etcd v3 JSON gateway codec (etcd 3.4 /v3/*): base64 keys, int64s as strings,
// and the shapes of the answers. No I/O, so tests can drive it with strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace irsp::cluster {

/// One key as etcd stores it (mvccpb.KeyValue).
struct key_value {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0; ///< revision that created it: unique per incarnation
  std::int64_t mod_revision = 0;    ///< revision of its last write: the CAS token
  std::int64_t lease = 0;           ///< attached lease, 0 for none
};

/// Standard base64 (the encoding protobuf's JSON mapping uses for bytes).
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64; nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

/// The smallest key greater than every key that starts with `prefix`, as
/// etcd's range_end wants it; "\0" (meaning "to the end") when there is none.
std::string prefix_end(std::string_view prefix);

/// Reads an int64 field that the gateway writes as a JSON string (or, from
/// other encoders, a number); 0 when absent, nullopt when malformed.
std::optional<std::int64_t> int64_field(const nlohmann::json& object, const char* name);

/// Decodes one element of a "kvs" array; nullopt when malformed.
std::optional<key_value> decode_key_value(const nlohmann::json& kv);

/// Decodes a "kvs" array (absent means empty); nullopt when malformed.
std::optional<std::vector<key_value>> decode_kvs(const nlohmann::json& response);

/// The header revision of an answer; nullopt when it has none.
std::optional<std::int64_t> header_revision(const nlohmann::json& response);

/// The one-line error of a gateway error body ({"error": ..., "code": n}),
/// without etcd's "etcdserver: " prefix; nullopt when `body` is not one.
std::optional<std::string> gateway_error(const nlohmann::json& body);

} // namespace irsp::cluster
