// IRSP §8.8.2: endpoint and key validation (URLs parsed by libcurl's URL API).
#include "actors/outbox/endpoint_rules.hpp"

#include <curl/curl.h>

#include <memory>

namespace irsp::outbox {

namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64)
    return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

std::string check_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u{curl_url(), curl_url_cleanup};
  if (!u)
    return "cannot parse URLs (out of memory)";
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return "--url " + url + ": not a URL";
  char* scheme = nullptr;
  char* host = nullptr;
  curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(u.get(), CURLUPART_HOST, &host, 0);
  std::string s = scheme ? scheme : "", h = host ? host : "";
  curl_free(scheme);
  curl_free(host);
  if (s != "https")
    return "--url " + url + ": must be https:// (RFC 2818)";
  if (h.empty())
    return "--url " + url + ": no host";
  return {};
}

} // namespace

std::string check_endpoint(const external_endpoint& e) {
  if (!valid_name(e.name))
    return "--name " + e.name + ": 1-64 characters of a-z 0-9 . _ -";
  if (auto bad = check_url(e.url); !bad.empty())
    return bad;
  if (e.concurrency < 1 || e.concurrency > 64)
    return "--concurrency " + std::to_string(e.concurrency) + ": must be 1-64";
  if (e.max_attempts < 1 || e.max_attempts > 1000)
    return "--max-attempts " + std::to_string(e.max_attempts) + ": must be 1-1000";
  return {};
}

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > max_key_octets)
    return false;
  for (unsigned char c : key)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

} // namespace irsp::outbox
