// RFC 8446 §5: what a TLS 1.3 server session keeps once OpenSSL's SSL object is freed.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "node/tls/record_layer.hpp"

typedef struct ssl_st SSL;

namespace irsp::tls::detail {

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
  /// RFC 9266 tls-exporter, taken while OpenSSL still had the exporter
  /// secret; wiped by session::forget_channel_bindings().
  std::array<char, 32> tls_exporter{};
  bool has_tls_exporter = false;
  bool resumed = false;
  bool peer_verified = false;

  ~compact_state();
  /// Wipes the kept channel binding.
  void forget_channel_bindings();
};

/// A compact_state carrying `ssl`'s connection on from where OpenSSL left
/// it, with every byte OpenSSL queued for the peer; nullptr with the reason
/// in `why` when the connection cannot leave OpenSSL now (see
/// detail::capture). The caller fills in the handshake outcomes and frees
/// `ssl`, which must not be used for I/O again.
std::unique_ptr<compact_state> take_over(SSL* ssl, std::string& why);

}  // namespace irsp::tls::detail
