// The low-level SHA256() is deprecated in OpenSSL 3 but kept, and is enough
// for a fingerprint.
#define OPENSSL_API_COMPAT 10101
#include "bench/irsp_bench/scram_key_cache.hpp"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace irsp::bench {

namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

bool is_hex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

std::string scram_key_id(bool sha256, std::string_view password, std::string_view salt,
                         int iterations) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  return std::string(sha256 ? "sha256:" : "sha1:") + std::to_string(iterations) + ":"
         + hex(reinterpret_cast<const unsigned char*>(salt.data()), salt.size()) + ":"
         + hex(digest, 8);
}

std::optional<std::string> scram_key_cache::find(const std::string& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return std::nullopt;
  return it->second;
}

void scram_key_cache::add(std::string id, std::string salted_hex) {
  entries_[std::move(id)] = std::move(salted_hex);
}

void scram_key_cache::merge(const scram_key_cache& other) {
  for (const auto& [id, value] : other.entries_)
    entries_[id] = value;
}

bool scram_key_cache::load(const std::string& path, std::string& error) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT)
    return true; // nothing cached yet
  std::ifstream in{path};
  if (!in) {
    error = path + ": cannot be read";
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty())
      continue;
    std::istringstream fields{line};
    std::string id, value, extra;
    fields >> id >> value;
    const bool id_ok = id.rfind("sha1:", 0) == 0 || id.rfind("sha256:", 0) == 0;
    if (!id_ok || !is_hex(value) || (fields >> extra)) {
      error = path + ":" + std::to_string(number) + ": not a cached SCRAM key";
      return false;
    }
    entries_[id] = value;
  }
  return true;
}

bool scram_key_cache::save(const std::string& path, std::string& error) const {
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = temporary + ": " + std::strerror(errno);
    return false;
  }
  std::string text;
  for (const auto& [id, value] : entries_)
    text += id + " " + value + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = temporary + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

} // namespace irsp::bench
