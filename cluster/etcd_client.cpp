// etcd 3.4 v3 JSON gateway over libcurl (etcd api_grpc_gateway; rpc.proto).
#include "cluster/etcd_client.hpp"

#include <curl/curl.h>

#include <cerrno>
#include <cstdlib>

namespace irsp::cluster {

namespace {

// curl_global_init is not thread-safe; a function-local static runs it once
// even when clients are built on several threads.
void init_curl_once() {
  static const bool done = [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      std::abort();
    return true;
  }();
  (void)done;
}

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

nlohmann::json put_request(const std::string& key, const std::string& value, std::int64_t lease) {
  nlohmann::json put = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0)
    put["lease"] = std::to_string(lease);
  return put;
}

} // namespace

struct etcd_client::curl_handle {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  ~curl_handle() {
    if (easy != nullptr)
      curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
};

etcd_client::etcd_client(std::string endpoint, std::chrono::milliseconds timeout)
  : endpoint_(std::move(endpoint)), timeout_(timeout), curl_(new curl_handle) {
  while (!endpoint_.empty() && endpoint_.back() == '/')
    endpoint_.pop_back();
  init_curl_once();
  curl_->easy = curl_easy_init();
  // "Expect:" stops curl waiting for a 100-continue etcd never sends.
  curl_->headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_->headers = curl_slist_append(curl_->headers, "Expect:");
}

etcd_client::~etcd_client() = default;

std::string etcd_client::failure(const std::string& what) const {
  return "etcd at " + endpoint_ + ": " + what;
}

etcd_result<nlohmann::json> etcd_client::call(const char* path, const nlohmann::json& request) {
  using result = etcd_result<nlohmann::json>;
  if (curl_->easy == nullptr || curl_->headers == nullptr)
    return result::failure(failure("cannot create a curl handle"));
  CURL* c = curl_->easy;
  std::string url = endpoint_ + path;
  std::string body = request.dump();
  std::string answer;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, curl_->headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  // One bound for the whole call, connect included; no signals, so a
  // client may live on any thread.
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  auto rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return result::failure(failure("timed out after " + std::to_string(timeout_.count()) + " ms"));
  if (rc != CURLE_OK) {
    std::string detail = error[0] != 0 ? error : curl_easy_strerror(rc);
    long os_errno = 0;
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED)
      detail = "connection refused";
    return result::failure(failure(detail));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  auto json = nlohmann::json::parse(answer, nullptr, false);
  if (auto message = gateway_error(json))
    return result::failure(failure("etcd error: " + *message));
  if (status != 200 || json.is_discarded() || !json.is_object()) {
    auto first_line = answer.substr(0, answer.find('\n')).substr(0, 200);
    return result::failure(failure("HTTP " + std::to_string(status) + " from " + path + ": " +
                                   first_line));
  }
  return json;
}

etcd_result<etcd_lease> etcd_client::grant(std::int64_t ttl_seconds) {
  using result = etcd_result<etcd_lease>;
  auto answer = call("/v3/lease/grant", {{"TTL", std::to_string(ttl_seconds)}});
  if (!answer)
    return result::failure(answer.error());
  auto id = int64_field(*answer, "ID");
  auto ttl = int64_field(*answer, "TTL");
  auto revision = header_revision(*answer);
  if (!id || *id == 0 || !ttl || !revision)
    return result::failure(failure("malformed lease grant: " + answer->dump()));
  return etcd_lease{*id, *ttl, *revision};
}

etcd_result<std::int64_t> etcd_client::keep_alive(std::int64_t id) {
  using result = etcd_result<std::int64_t>;
  // The gateway streams keepalives; one request gets one {"result": ...}.
  auto answer = call("/v3/lease/keepalive", {{"ID", std::to_string(id)}});
  if (!answer)
    return result::failure(answer.error());
  auto it = answer->find("result");
  if (it == answer->end() || !it->is_object())
    return result::failure(failure("malformed keepalive answer: " + answer->dump()));
  // An expired (or unknown) lease comes back with no TTL at all.
  auto ttl = int64_field(*it, "TTL");
  if (!ttl)
    return result::failure(failure("malformed keepalive answer: " + answer->dump()));
  return *ttl < 0 ? std::int64_t{0} : *ttl;
}

etcd_result<std::int64_t> etcd_client::revoke(std::int64_t id) {
  using result = etcd_result<std::int64_t>;
  auto answer = call("/v3/lease/revoke", {{"ID", std::to_string(id)}});
  if (!answer)
    return result::failure(answer.error());
  auto revision = header_revision(*answer);
  if (!revision)
    return result::failure(failure("malformed revoke answer: " + answer->dump()));
  return *revision;
}

etcd_result<std::int64_t> etcd_client::put(const std::string& key, const std::string& value,
                                           std::int64_t lease) {
  using result = etcd_result<std::int64_t>;
  auto answer = call("/v3/kv/put", put_request(key, value, lease));
  if (!answer)
    return result::failure(answer.error());
  auto revision = header_revision(*answer);
  if (!revision)
    return result::failure(failure("malformed put answer: " + answer->dump()));
  return *revision;
}

etcd_result<write_outcome> etcd_client::conditional_put(const nlohmann::json& compares,
                                                        const std::string& key,
                                                        const std::string& value,
                                                        std::int64_t lease) {
  using result = etcd_result<write_outcome>;
  // On failure the same transaction reads the key, so the caller learns who
  // holds it at exactly the revision the compare failed at.
  nlohmann::json txn = {
      {"compare", compares},
      {"success", nlohmann::json::array({{{"request_put", put_request(key, value, lease)}}})},
      {"failure",
       nlohmann::json::array({{{"request_range", {{"key", base64_encode(key)}}}}})}};
  auto answer = call("/v3/kv/txn", txn);
  if (!answer)
    return result::failure(answer.error());
  auto malformed = [&] { return result::failure(failure("malformed txn answer: " + answer->dump())); };
  write_outcome out;
  auto revision = header_revision(*answer);
  if (!revision)
    return malformed();
  out.revision = *revision;
  auto succeeded = answer->find("succeeded");
  out.applied = succeeded != answer->end() && succeeded->is_boolean() && succeeded->get<bool>();
  if (out.applied)
    return out;
  auto responses = answer->find("responses");
  if (responses == answer->end() || !responses->is_array() || responses->size() != 1)
    return malformed();
  auto range = (*responses)[0].find("response_range");
  if (range == (*responses)[0].end())
    return malformed();
  auto kvs = decode_kvs(*range);
  if (!kvs)
    return malformed();
  if (!kvs->empty())
    out.current = std::move(kvs->front());
  return out;
}

namespace {

nlohmann::json absent(const std::string& key) {
  return {{"key", base64_encode(key)},
          {"target", "CREATE"},
          {"result", "EQUAL"},
          {"create_revision", "0"}};
}

nlohmann::json holds(const std::string& key, const std::string& value) {
  return {{"key", base64_encode(key)},
          {"target", "VALUE"},
          {"result", "EQUAL"},
          {"value", base64_encode(value)}};
}

} // namespace

etcd_result<write_outcome> etcd_client::create(const std::string& key, const std::string& value,
                                               std::int64_t lease) {
  return conditional_put(nlohmann::json::array({absent(key)}), key, value, lease);
}

etcd_result<write_outcome> etcd_client::create_guarded(const std::string& key,
                                                       const std::string& value,
                                                       std::int64_t lease,
                                                       const std::string& guard,
                                                       const std::string& guard_value) {
  auto condition = guard_value.empty() ? absent(guard) : holds(guard, guard_value);
  return conditional_put(nlohmann::json::array({absent(key), condition}), key, value, lease);
}

etcd_result<write_outcome> etcd_client::put_guarded(const std::string& key,
                                                    const std::string& value,
                                                    const std::string& guard,
                                                    const std::string& guard_value) {
  return conditional_put(nlohmann::json::array({holds(guard, guard_value)}), key, value, 0);
}

etcd_result<write_outcome> etcd_client::compare_and_swap(const std::string& key,
                                                         std::int64_t expected_mod_revision,
                                                         const std::string& value,
                                                         std::int64_t lease) {
  return conditional_put(nlohmann::json::array({{{"key", base64_encode(key)},
                                                 {"target", "MOD"},
                                                 {"result", "EQUAL"},
                                                 {"mod_revision",
                                                  std::to_string(expected_mod_revision)}}}),
                         key, value, lease);
}

namespace {

etcd_result<range_outcome> decode_range(const etcd_result<nlohmann::json>& answer,
                                        const std::string& endpoint) {
  using result = etcd_result<range_outcome>;
  if (!answer)
    return result::failure(answer.error());
  auto kvs = decode_kvs(*answer);
  auto revision = header_revision(*answer);
  if (!kvs || !revision)
    return result::failure("etcd at " + endpoint + ": malformed range answer: " + answer->dump());
  return range_outcome{std::move(*kvs), *revision};
}

} // namespace

etcd_result<range_outcome> etcd_client::get(const std::string& key) {
  return decode_range(call("/v3/kv/range", {{"key", base64_encode(key)}}), endpoint_);
}

etcd_result<range_outcome> etcd_client::range(const std::string& prefix) {
  // An empty prefix means every key: etcd reads key "\0" + range_end "\0" so.
  auto from = prefix.empty() ? std::string(1, '\0') : prefix;
  return decode_range(call("/v3/kv/range", {{"key", base64_encode(from)},
                                            {"range_end", base64_encode(prefix_end(prefix))}}),
                      endpoint_);
}

etcd_result<delete_outcome> etcd_client::remove(const std::string& key) {
  using result = etcd_result<delete_outcome>;
  auto answer = call("/v3/kv/deleterange", {{"key", base64_encode(key)}});
  if (!answer)
    return result::failure(answer.error());
  auto deleted = int64_field(*answer, "deleted");
  auto revision = header_revision(*answer);
  if (!deleted || !revision)
    return result::failure(failure("malformed delete answer: " + answer->dump()));
  return delete_outcome{*deleted, *revision};
}

} // namespace irsp::cluster
