// RFC 8446 §5: what a TLS 1.3 server session keeps once OpenSSL's SSL object is freed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "node/tls/record_layer.hpp"

typedef struct ssl_st SSL;

namespace irsp::tls::detail {

/// One channel-binding value (RFC 5929, RFC 9266) copied out of OpenSSL.
struct kept_binding {
  std::array<char, 64> bytes{};  // EVP_MAX_MD_SIZE: the longest of them
  std::uint8_t size = 0;
  bool present = false;

  /// Copies `value` (nullopt: absent; longer than 64 bytes: absent too).
  void keep(const std::optional<std::string>& value);
  /// The kept value, or nullopt.
  std::optional<std::string> get() const;
};

/// The channel bindings of a compact session, kept until SASL no longer
/// needs them (session::forget_channel_bindings frees them).
struct kept_bindings {
  kept_binding tls_exporter;
  kept_binding tls_unique;
  /// For tls-server-end-point, where the session offers it.
  kept_binding tls_server_end_point;

  ~kept_bindings();
};

/// A session's state after `session::compact()`: its own record layer in
/// place of OpenSSL's (a few hundred bytes instead of ~14 KB), plus the
/// handshake's outcomes its users may still ask for, copied out before the
/// SSL object went.
struct compact_state {
  std::unique_ptr<record_layer> records;
  /// Application data decrypted by feed_ciphertext, not yet read.
  std::string plaintext;
  std::string alpn;
  std::string server_name;
  /// Null once forgotten.
  std::unique_ptr<kept_bindings> bindings;
  bool resumed = false;
  bool peer_verified = false;
};

/// A compact_state carrying `ssl`'s connection on from where OpenSSL left
/// it, with every byte OpenSSL queued for the peer; nullptr with the reason
/// in `why` when the connection cannot leave OpenSSL now (see
/// detail::capture). The caller fills in the handshake outcomes and frees
/// `ssl`, which must not be used for I/O again.
std::unique_ptr<compact_state> take_over(SSL* ssl, std::string& why);

}  // namespace irsp::tls::detail
