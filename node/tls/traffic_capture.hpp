// RFC 8446 §7.1-§7.3, §5.3: the record-layer state OpenSSL holds for a TLS 1.3 connection, captured.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "node/tls/record_protection.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace irsp::tls::detail {

/// Makes every session of `ctx` keep what a record layer of its own would
/// need to carry a TLS 1.3 connection on without OpenSSL: the application
/// traffic secrets, which OpenSSL reports through its key-log callback
/// (CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0, and _N after each
/// KeyUpdate), and the number of records protected under each, counted from
/// its message callback. Installs both callbacks on `ctx`: whoever replaces
/// either (through native_handle) makes `capture` refuse. TLS 1.2 sessions
/// keep nothing.
void capture_traffic(SSL_CTX* ctx);

/// A TLS 1.3 connection's record-layer state as OpenSSL left it.
struct traffic_state {
  cipher_suite suite = cipher_suite::aes_128_gcm_sha256;
  std::array<std::uint8_t, 48> read_secret{};
  std::array<std::uint8_t, 48> write_secret{};
  /// Sequence numbers of the next record each way.
  std::uint64_t read_sequence = 0;
  std::uint64_t write_sequence = 0;
  /// The peer asked for a KeyUpdate (update_requested) that OpenSSL has not
  /// sent yet: the new record layer owes it.
  bool key_update_owed = false;

  traffic_state() = default;
  traffic_state(const traffic_state&) = delete;
  traffic_state& operator=(const traffic_state&) = delete;
  ~traffic_state();
};

/// Fills `out` with `ssl`'s record-layer state if another record layer can
/// take the connection over now: TLS 1.3, handshake complete on both sides,
/// both application secrets and every KeyUpdate seen, no alert sent or
/// received, no shutdown begun, and nothing held inside OpenSSL (no
/// decrypted data unread, no partial record or handshake message, no
/// unread bytes in the read BIO). Otherwise false, with the reason in
/// `why`. Bytes OpenSSL has already written to the write BIO are the
/// caller's to move. OpenSSL must not touch `ssl`'s records afterwards.
bool capture(SSL* ssl, traffic_state& out, std::string& why);

}  // namespace irsp::tls::detail
