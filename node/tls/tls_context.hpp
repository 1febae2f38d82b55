// RFC 5246/8446, RFC 7525 (BCP 195), RFC 7301: server and client TLS contexts.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/tls/session.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace irsp::tls {

/// How a server context is set up.
struct server_options {
  /// PEM certificate chain, leaf first.
  std::string cert_file;
  /// PEM private key of the leaf; must not be encrypted.
  std::string key_file;
  /// PEM CA certificates; when set, clients are asked for a certificate and
  /// one they present must verify against these (mutual TLS between ASs).
  std::string ca_file;
  /// With `ca_file`: refuse clients that present no certificate.
  bool require_peer_certificate = false;
  /// ALPN protocols in preference order (e.g. "xmpp-client" for XEP-0368);
  /// clients offering none of them, or no ALPN at all, are still accepted.
  std::vector<std::string> alpn;
};

/// How a client context is set up.
struct client_options {
  /// PEM CA certificates the server must verify against; empty means the
  /// system's default trust store.
  std::string ca_file;
  /// False only for tests and diagnostics: accept any server certificate.
  bool verify_peer = true;
  /// Optional PEM certificate chain and key presented to servers that ask
  /// (links to other ASs); both or neither.
  std::string cert_file;
  /// See `cert_file`.
  std::string key_file;
  /// ALPN protocols to offer, in preference order.
  std::vector<std::string> alpn;
};

/// A listener's TLS settings and credentials (an SSL_CTX): TLS 1.2 minimum,
/// AEAD cipher suites with forward secrecy only, no compression, no
/// renegotiation, buffers released while connections are idle.
///
/// Cheap to copy (copies share one SSL_CTX); safe to use from several threads
/// to make sessions, which may outlive it.
class server_context {
public:
  /// Builds a context; on failure returns nullopt and sets `error` to a
  /// message naming the file at fault.
  static std::optional<server_context> create(const server_options& options,
                                              std::string& error);

  /// A new server-side session, waiting for the client's hello.
  session new_session() const;

  /// The underlying OpenSSL object, for what this class does not wrap.
  SSL_CTX* native_handle() const;

private:
  explicit server_context(std::shared_ptr<detail::context_state> state);
  std::shared_ptr<detail::context_state> state_;
};

/// The client side's settings and credentials, for links to other ASs and
/// for tests. Same protocol floor and cipher suites as `server_context`.
class client_context {
public:
  /// Builds a context; on failure returns nullopt and sets `error` to a
  /// message naming the file at fault.
  static std::optional<client_context> create(const client_options& options,
                                              std::string& error);

  /// A new client-side session for `server_name`, sent as SNI and checked
  /// against the server's certificate (DNS name or IP literal; empty: no
  /// SNI and no name check). `resumption_ticket`, from an earlier session's
  /// `resumption_ticket()` with the same server, is offered for an
  /// abbreviated handshake; an unusable one is ignored. Its ClientHello is
  /// queued at once.
  session new_session(const std::string& server_name = {},
                      std::string_view resumption_ticket = {}) const;

  /// The underlying OpenSSL object, for what this class does not wrap.
  SSL_CTX* native_handle() const;

private:
  explicit client_context(std::shared_ptr<detail::context_state> state);
  std::shared_ptr<detail::context_state> state_;
};

}  // namespace irsp::tls
