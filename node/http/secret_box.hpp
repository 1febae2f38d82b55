// Encryption at rest of the inbound API keys' secrets: AES-256-GCM under a
// node-local key file. HMAC needs the secret itself, so it cannot be stored
// hashed like a password; encrypted, a copy of the account store (a backup,
// the cluster's replica) holds no usable secret without the key file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace irsp::http {

/// Seals and opens secrets with one 256-bit key.
class secret_box {
public:
  /// Reads the key file (32 octets), creating it with mode 0600 when absent;
  /// null with `error` set when it cannot, or it has the wrong size.
  static std::unique_ptr<secret_box> open(const std::string& key_file, bool create,
                                          std::string& error);

  /// 12-octet random IV, ciphertext, 16-octet tag; `context` (the key id) is
  /// authenticated too, so a sealed secret cannot be moved to another key.
  std::string seal(std::string_view plain, std::string_view context) const;

  /// nullopt when `sealed` was altered or sealed under another key or context.
  std::optional<std::string> unseal(std::string_view sealed, std::string_view context) const;

private:
  explicit secret_box(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

} // namespace irsp::http
