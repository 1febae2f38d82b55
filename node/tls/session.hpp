// RFC 5246/8446, RFC 9266, RFC 5929: one connection's TLS state over memory BIOs.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// OpenSSL's own forward declaration, repeated so users of this header need
// not include OpenSSL unless they reach for native_handle().
typedef struct ssl_st SSL;

namespace irsp::tls {

namespace detail {
struct context_state;
struct compact_state;
struct kept_binding;
struct kept_bindings;
}

/// One TLS connection, driven by whoever owns the socket: the transport feeds
/// the bytes it read, reads the plaintext that yields, writes plaintext, and
/// sends whatever ciphertext the session has queued.
///
/// After every call that can make TLS records (feed, read, write, shutdown,
/// and creation of a client session, which queues its ClientHello), the
/// transport calls `take_ciphertext` and sends the bytes, even when the call
/// failed: a failed handshake queues the alert telling the peer why.
///
/// Not thread-safe; one owner at a time, as for a connection actor. A
/// moved-from session may only be destroyed or assigned to.
class session {
public:
  session(session&&) noexcept;
  session& operator=(session&&) noexcept;
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session();

  /// Hands the session bytes received from the peer and advances the
  /// handshake; false once the session has failed.
  bool feed_ciphertext(const char* data, std::size_t size);

  /// Appends to `out` all application data decrypted so far; false once the
  /// session has failed. A close_notify from the peer is not a failure: see
  /// `peer_closed()`.
  bool read_plaintext(std::string& out);

  /// Encrypts `data` for the peer. Before the handshake completes the data is
  /// held and sent right after it. False once failed or after `shutdown()`.
  bool write_plaintext(std::string_view data);

  /// Appends to `out` every byte queued for the peer and empties the queue.
  void take_ciphertext(std::string& out);

  /// Bytes queued for the peer, as `take_ciphertext` would append.
  std::size_t pending_ciphertext() const;

  /// True once the handshake has completed.
  bool handshake_done() const { return handshake_done_; }

  /// True once a TLS error ended the session; `error()` says why.
  bool failed() const { return failed_; }

  /// OpenSSL's reason for the failure (e.g. "wrong version number",
  /// "certificate verify failed (self-signed certificate)"); empty if none.
  const std::string& error() const { return error_; }

  /// True once the peer sent close_notify; it will send no more data.
  bool peer_closed() const { return peer_closed_; }

  /// Queues a close_notify; true if one was queued. Nothing can be written
  /// afterwards. The transport may close the socket once it has sent it.
  bool shutdown();

  /// RFC 9266 tls-exporter channel binding: 32 bytes exported with label
  /// "EXPORTER-Channel-Binding" and an empty context. Nullopt before the
  /// handshake, and on TLS 1.2 without extended master secret (RFC 9266 §4.2).
  std::optional<std::string> tls_exporter() const;

  /// RFC 5929 tls-unique channel binding: the first Finished message of the
  /// handshake by RFC 5929 §3.1's rule (the client's on a full handshake, the
  /// server's on a resumed one). On TLS 1.2 only with extended master secret
  /// (RFC 7627). On TLS 1.3, which leaves tls-unique undefined (RFC 8446
  /// §C.5), the same rule applied as OpenSSL and CPython's
  /// `get_channel_binding` apply it: docs/protocol.md, *Channel binding*.
  std::optional<std::string> tls_unique() const;

  /// RFC 5929 §4.1 tls-server-end-point channel binding: the hash of the
  /// server's certificate (ours on a server session, the peer's on a client
  /// session) with its signature's hash, SHA-256 when that is MD5 or SHA-1.
  /// Nullopt before the handshake, or for a signature with no hash (Ed25519).
  std::optional<std::string> tls_server_end_point() const;

  /// The negotiated protocol, "TLSv1.2" or "TLSv1.3"; empty before the handshake.
  std::string protocol_version() const;

  /// The negotiated cipher suite's OpenSSL name; empty before the handshake.
  std::string cipher() const;

  /// The ALPN protocol agreed on; empty when none was.
  std::string alpn() const;

  /// On a server session, the host name the client asked for with SNI.
  std::string server_name() const;

  /// True when this handshake resumed an earlier session from its ticket.
  bool resumed() const;

  /// On a client session: the earlier session to offer for resumption on the
  /// next connection to the same server (`client_context::new_session`), as
  /// opaque bytes; empty when the server sent no usable ticket. For TLS 1.3
  /// call it after `read_plaintext`, which takes in the ticket.
  std::string resumption_ticket() const;

  /// True when the peer presented a certificate and it verified against the
  /// context's CA file.
  bool peer_verified() const;

  /// Moves an idle TLS 1.3 server session off OpenSSL onto a record layer
  /// of its own (RFC 8446 §5), which holds only the traffic keys and
  /// sequence numbers, and frees the SSL object (~14 KB). Every call above
  /// keeps working afterwards; tls_exporter() answers from a copy taken now.
  /// True if the session is compact (now or already); false, with the
  /// reason in `why_not` when given, if it cannot be now: a client, TLS 1.2
  /// (which stays on OpenSSL for good), a shutdown begun, or OpenSSL still
  /// holding input not yet read. The transport calls it when the connection
  /// goes idle, then `take_ciphertext` as after every call.
  bool compact(std::string* why_not = nullptr);

  /// True once `compact()` has succeeded.
  bool compacted() const { return compact_ != nullptr; }

  /// Wipes the channel-binding values; tls_exporter() and tls_unique() answer
  /// nullopt from then on. Called once SASL no longer needs them.
  void forget_channel_bindings();

  /// The underlying OpenSSL object, for what this class does not wrap; null
  /// once compacted. Replacing its context's key-log or message callback
  /// makes `compact()` refuse.
  SSL* native_handle() const { return ssl_; }

private:
  friend class server_context;
  friend class client_context;

  // Takes ownership of `ssl`, already in accept or connect state; null
  // (allocation failed) gives a failed session.
  session(std::shared_ptr<const detail::context_state> context, SSL* ssl);

  void drive_handshake();
  void flush_held_plaintext();
  void fail(const char* what);
  void trim_read_buffer();
  void sync_compact();
  // A channel binding as compact() kept it; nullopt once forgotten.
  std::optional<std::string> kept_binding(
      detail::kept_binding detail::kept_bindings::*which) const;

  // Owns both memory BIOs. A raw pointer keeps OpenSSL's headers out of this one.
  SSL* ssl_ = nullptr;
  // Keeps the SSL_CTX's callback data (ALPN list) alive as long as this session.
  std::shared_ptr<const detail::context_state> context_;
  // Set by compact(): the record layer in place of `ssl_`.
  std::unique_ptr<detail::compact_state> compact_;
  // Plaintext written before the handshake completed; empty afterwards.
  std::string held_plaintext_;
  std::string error_;
  bool handshake_done_ = false;
  bool failed_ = false;
  bool peer_closed_ = false;
  bool shut_down_ = false;
  bool bindings_forgotten_ = false;
};

}  // namespace irsp::tls
