// RFC 5246/8446, RFC 7525 (BCP 195), RFC 7301: server and client TLS contexts.
#include "node/tls/tls_context.hpp"

#include <openssl/x509v3.h>

#include "node/tls/certificate_files.hpp"
#include "node/tls/openssl_handles.hpp"
#include "node/tls/traffic_capture.hpp"

namespace irsp::tls {

namespace detail {

/// What an SSL_CTX's callbacks point into; lives as long as the last session.
struct context_state {
  ssl_ctx_ptr ctx;
  /// ALPN protocols in wire format (length-prefixed), preference order.
  std::string alpn_wire;
};

}  // namespace detail

namespace {

using detail::context_state;
using detail::drain_openssl_errors;

// TLS 1.2: ECDHE (forward secrecy) with AEAD only, for ECDSA and RSA
// certificates; the same set as Mozilla's "intermediate" profile minus
// finite-field DHE, which needs parameters and is slow. Older suites (CBC,
// static RSA) stay out even where the security level would allow them.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// TLS 1.3: all three of RFC 8446's mandatory and recommended suites.
constexpr const char* tls13_suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// Names the sessions of this server for resumption; OpenSSL refuses to resume
// a session that verified a client certificate without one.
constexpr unsigned char session_id_context[] = "irsp";

void fail_with(std::string& error, std::string message) { error = std::move(message); }

std::shared_ptr<context_state> new_state(const SSL_METHOD* method, std::string& error) {
  ERR_clear_error();
  auto state = std::make_shared<context_state>();
  state->ctx.reset(SSL_CTX_new(method));
  if (!state->ctx) {
    error = "cannot create TLS context: " + drain_openssl_errors();
    return nullptr;
  }
  SSL_CTX* ctx = state->ctx.get();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1
      || SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1
      || SSL_CTX_set_ciphersuites(ctx, tls13_suites) != 1) {
    error = "cannot configure TLS context: " + drain_openssl_errors();
    return nullptr;
  }
  // Compression invites CRIME; renegotiation invites the 2009 prefix attack
  // and a cheap CPU-exhaustion lever, and XMPP never needs it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Frees the two ~17 KB record buffers whenever a connection has nothing in
  // flight: most of a million connections are idle most of the time.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_default_passwd_cb(ctx, detail::refuse_password);
  // Lets an idle TLS 1.3 session leave OpenSSL for its own record layer
  // (session::compact).
  detail::capture_traffic(ctx);
  return state;
}

bool load_credentials(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file,
                      std::string& error) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    error = "cannot load certificate " + cert_file + ": " + drain_openssl_errors();
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot load private key " + key_file + ": " + drain_openssl_errors();
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    error = "private key " + key_file + " does not belong to certificate " + cert_file + ": "
            + drain_openssl_errors();
    return false;
  }
  return true;
}

bool load_ca_file(SSL_CTX* ctx, const std::string& ca_file, std::string& error) {
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    error = "cannot load CA file " + ca_file + ": " + drain_openssl_errors();
    return false;
  }
  return true;
}

bool alpn_wire(const std::vector<std::string>& protocols, std::string& wire,
               std::string& error) {
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255) {
      error = "ALPN protocol name \"" + p + "\" must be 1 to 255 bytes";
      return false;
    }
    wire += static_cast<char>(p.size());
    wire += p;
  }
  return true;
}

// RFC 7301 §3.2: the server picks, by its own preference. A client with no
// protocol in common is served anyway, without ALPN (NOACK) rather than with a
// fatal alert, since XMPP clients that connect directly often offer none.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void* arg) {
  const auto* wire = static_cast<const std::string*>(arg);
  unsigned char* chosen = nullptr;
  unsigned char chosen_len = 0;
  if (SSL_select_next_proto(&chosen, &chosen_len,
                            reinterpret_cast<const unsigned char*>(wire->data()),
                            static_cast<unsigned int>(wire->size()), in, in_len)
      != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  *out_len = chosen_len;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

// --- server_context ---------------------------------------------------------

server_context::server_context(std::shared_ptr<detail::context_state> state)
    : state_(std::move(state)) {}

std::optional<server_context> server_context::create(const server_options& options,
                                                     std::string& error) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    fail_with(error, "a TLS server needs both a certificate file and a key file");
    return std::nullopt;
  }
  auto state = new_state(TLS_server_method(), error);
  if (!state)
    return std::nullopt;
  SSL_CTX* ctx = state->ctx.get();
  if (!load_credentials(ctx, options.cert_file, options.key_file, error))
    return std::nullopt;

  if (!options.ca_file.empty()) {
    if (!load_ca_file(ctx, options.ca_file, error))
      return std::nullopt;
    // Tells clients which CAs' certificates are welcome.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str()))
      SSL_CTX_set_client_CA_list(ctx, names);
    ERR_clear_error();
    int mode = SSL_VERIFY_PEER;
    if (options.require_peer_certificate)
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
  }
  SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof session_id_context - 1);

  // Resumption: stateless tickets on, server-side cache off. Devices on
  // mobile networks reconnect often, and a resumed TLS 1.3 handshake skips
  // the certificate signature (the dearest step for the server) while still
  // doing a fresh ECDHE (psk_dhe_ke), so forward secrecy holds. Tickets are
  // sealed with a key held in this SSL_CTX, so resumption costs the server no
  // memory per client, unlike OpenSSL's session cache, which would hold up to
  // 20k sessions. One ticket per connection is enough for a client that
  // reconnects one at a time.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);

  if (!options.alpn.empty()) {
    if (!alpn_wire(options.alpn, state->alpn_wire, error))
      return std::nullopt;
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, &state->alpn_wire);
  }
  return server_context(std::move(state));
}

session server_context::new_session() const {
  SSL* ssl = SSL_new(state_->ctx.get());
  if (ssl != nullptr)
    SSL_set_accept_state(ssl);
  return session(state_, ssl);
}

SSL_CTX* server_context::native_handle() const { return state_->ctx.get(); }

// --- client_context ---------------------------------------------------------

client_context::client_context(std::shared_ptr<detail::context_state> state)
    : state_(std::move(state)) {}

std::optional<client_context> client_context::create(const client_options& options,
                                                     std::string& error) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    fail_with(error, "a TLS client certificate needs both a certificate file and a key file");
    return std::nullopt;
  }
  auto state = new_state(TLS_client_method(), error);
  if (!state)
    return std::nullopt;
  SSL_CTX* ctx = state->ctx.get();
  if (!options.cert_file.empty()
      && !load_credentials(ctx, options.cert_file, options.key_file, error))
    return std::nullopt;

  if (options.verify_peer) {
    if (options.ca_file.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        fail_with(error, "cannot load the system's trusted CAs: " + drain_openssl_errors());
        return std::nullopt;
      }
    } else if (!load_ca_file(ctx, options.ca_file, error)) {
      return std::nullopt;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  if (!options.alpn.empty()) {
    if (!alpn_wire(options.alpn, state->alpn_wire, error))
      return std::nullopt;
    // The one OpenSSL setter that returns 0 on success.
    if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(state->alpn_wire.data()),
                                static_cast<unsigned int>(state->alpn_wire.size()))
        != 0) {
      fail_with(error, "cannot set ALPN protocols: " + drain_openssl_errors());
      return std::nullopt;
    }
  }
  return client_context(std::move(state));
}

session client_context::new_session(const std::string& server_name,
                                    std::string_view resumption_ticket) const {
  SSL* ssl = SSL_new(state_->ctx.get());
  if (ssl != nullptr) {
    SSL_set_connect_state(ssl);
    bool ok = true;
    if (!server_name.empty()) {
      if (detail::is_ip_literal(server_name)) {
        // RFC 6066 §3: SNI carries host names only, never addresses.
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str()) == 1;
      } else {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set_tlsext_host_name(ssl, server_name.c_str()) == 1
             && SSL_set1_host(ssl, server_name.c_str()) == 1;
      }
    }
    if (ok && !resumption_ticket.empty()) {
      auto* p = reinterpret_cast<const unsigned char*>(resumption_ticket.data());
      if (SSL_SESSION* earlier = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(resumption_ticket.size()))) {
        // A ticket the server cannot open (another server's, an expired one)
        // only costs a full handshake, with the certificate checked as usual.
        SSL_set_session(ssl, earlier);
        SSL_SESSION_free(earlier);
      }
      ERR_clear_error();
    }
    if (!ok) {
      SSL_free(ssl);
      ssl = nullptr;
    }
  }
  return session(state_, ssl);
}

SSL_CTX* client_context::native_handle() const { return state_->ctx.get(); }

}  // namespace irsp::tls
