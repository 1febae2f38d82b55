// etcd v3 JSON gateway codec: protobuf's JSON mapping of etcdserverpb.
#include "cluster/etcd_codec.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdlib>

namespace irsp::cluster {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  if (text.empty())
    return std::string{};
  std::string out(3 * (text.size() / 4), '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0)
    return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  size_t len = static_cast<size_t>(n);
  if (text.back() == '=')
    --len;
  if (text[text.size() - 2] == '=')
    --len;
  out.resize(len);
  return out;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

std::optional<std::int64_t> int64_field(const nlohmann::json& object, const char* name) {
  if (!object.is_object())
    return std::nullopt;
  auto it = object.find(name);
  if (it == object.end())
    return 0;
  if (it->is_number_integer())
    return it->get<std::int64_t>();
  if (!it->is_string())
    return std::nullopt;
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty())
    return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size())
    return std::nullopt;
  return static_cast<std::int64_t>(v);
}

namespace {

std::optional<std::string> bytes_field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end())
    return std::string{}; // protobuf's JSON mapping omits empty bytes
  if (!it->is_string())
    return std::nullopt;
  return base64_decode(it->get_ref<const std::string&>());
}

} // namespace

std::optional<key_value> decode_key_value(const nlohmann::json& kv) {
  if (!kv.is_object())
    return std::nullopt;
  key_value out;
  auto key = bytes_field(kv, "key");
  auto value = bytes_field(kv, "value");
  auto create = int64_field(kv, "create_revision");
  auto mod = int64_field(kv, "mod_revision");
  auto lease = int64_field(kv, "lease");
  if (!key || !value || !create || !mod || !lease)
    return std::nullopt;
  out.key = std::move(*key);
  out.value = std::move(*value);
  out.create_revision = *create;
  out.mod_revision = *mod;
  out.lease = *lease;
  return out;
}

std::optional<std::vector<key_value>> decode_kvs(const nlohmann::json& response) {
  std::vector<key_value> out;
  if (!response.is_object())
    return std::nullopt;
  auto it = response.find("kvs");
  if (it == response.end())
    return out;
  if (!it->is_array())
    return std::nullopt;
  for (const auto& kv : *it) {
    auto decoded = decode_key_value(kv);
    if (!decoded)
      return std::nullopt;
    out.push_back(std::move(*decoded));
  }
  return out;
}

std::optional<std::int64_t> header_revision(const nlohmann::json& response) {
  if (!response.is_object())
    return std::nullopt;
  auto it = response.find("header");
  if (it == response.end() || !it->is_object() || !it->contains("revision"))
    return std::nullopt;
  return int64_field(*it, "revision");
}

std::optional<std::string> gateway_error(const nlohmann::json& body) {
  if (!body.is_object())
    return std::nullopt;
  auto it = body.find("error");
  if (it == body.end() || !it->is_string())
    return std::nullopt;
  std::string message = it->get<std::string>();
  constexpr std::string_view prefix = "etcdserver: ";
  if (message.compare(0, prefix.size(), prefix) == 0)
    message.erase(0, prefix.size());
  return message;
}

} // namespace irsp::cluster
