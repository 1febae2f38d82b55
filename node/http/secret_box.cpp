// AES-256-GCM (NIST SP 800-38D) for the inbound API keys' secrets at rest.
#include "node/http/secret_box.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace irsp::http {

namespace {

constexpr std::size_t key_octets = 32;
constexpr std::size_t iv_octets = 12;
constexpr std::size_t tag_octets = 16;

struct cipher_ctx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~cipher_ctx() { EVP_CIPHER_CTX_free(ctx); }
};

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

} // namespace

std::unique_ptr<secret_box> secret_box::open(const std::string& key_file, bool create,
                                             std::string& error) {
  namespace fs = std::filesystem;
  if (!fs::exists(key_file)) {
    if (!create) {
      error = "no key file " + key_file;
      return nullptr;
    }
    std::error_code ec;
    fs::create_directories(fs::path(key_file).parent_path(), ec);
    std::string key(key_octets, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), key_octets);
    // O_EXCL: two commands racing do not both write a key.
    int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ::write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size())
        || ::fsync(fd) != 0) {
      error = "cannot write " + key_file + ": " + std::strerror(errno);
      if (fd >= 0)
        ::close(fd);
      return nullptr;
    }
    ::close(fd);
    return std::unique_ptr<secret_box>(new secret_box(std::move(key)));
  }
  std::ifstream in{key_file, std::ios::binary};
  std::string key{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    error = "cannot read " + key_file;
    return nullptr;
  }
  if (key.size() != key_octets) {
    error = key_file + ": not a key file (" + std::to_string(key.size()) + " octets, not 32)";
    return nullptr;
  }
  return std::unique_ptr<secret_box>(new secret_box(std::move(key)));
}

std::string secret_box::seal(std::string_view plain, std::string_view context) const {
  std::string out(iv_octets + plain.size() + tag_octets, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  RAND_bytes(p, iv_octets);
  cipher_ctx c;
  int len = 0;
  EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, bytes(key_), p);
  EVP_EncryptUpdate(c.ctx, nullptr, &len, bytes(context), static_cast<int>(context.size()));
  EVP_EncryptUpdate(c.ctx, p + iv_octets, &len, bytes(plain), static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(c.ctx, p + iv_octets + len, &len);
  EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, tag_octets,
                      p + iv_octets + plain.size());
  return out;
}

std::optional<std::string> secret_box::unseal(std::string_view sealed,
                                              std::string_view context) const {
  if (sealed.size() < iv_octets + tag_octets)
    return std::nullopt;
  auto n = sealed.size() - iv_octets - tag_octets;
  std::string plain(n, '\0');
  std::string tag{sealed.substr(iv_octets + n)};
  cipher_ctx c;
  int len = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, bytes(key_), bytes(sealed));
  EVP_DecryptUpdate(c.ctx, nullptr, &len, bytes(context), static_cast<int>(context.size()));
  EVP_DecryptUpdate(c.ctx, out, &len, bytes(sealed) + iv_octets, static_cast<int>(n));
  EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, tag_octets, tag.data());
  if (EVP_DecryptFinal_ex(c.ctx, out + len, &len) <= 0)
    return std::nullopt;
  return plain;
}

} // namespace irsp::http
