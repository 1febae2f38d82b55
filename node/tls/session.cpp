// RFC 5246/8446, RFC 9266, RFC 5929: one connection's TLS state over memory BIOs.
#include "node/tls/session.hpp"

#include <algorithm>
#include <climits>
#include <utility>

#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "node/tls/compact_state.hpp"
#include "node/tls/openssl_handles.hpp"

namespace irsp::tls {

namespace {

using detail::drain_openssl_errors;

// One TLS record's worth of plaintext at most per SSL_read.
constexpr std::size_t read_chunk = 16 * 1024;

// A memory BIO keeps the largest buffer it ever needed until it is freed: one
// burst (the handshake's certificate, a 1 MB stanza) would otherwise stay with
// an idle connection for good. Once everything in it has been consumed, swap
// in an empty buffer; the next write allocates what it needs again, which
// costs no more than OpenSSL's own SSL_MODE_RELEASE_BUFFERS already does.
void release_drained(BIO* bio) {
  if (BIO_ctrl_pending(bio) != 0)
    return;
  BUF_MEM* current = nullptr;
  BIO_get_mem_ptr(bio, &current);
  if (current == nullptr || current->max == 0)
    return;
  if (BUF_MEM* empty = BUF_MEM_new())
    BIO_set_mem_buf(bio, empty, BIO_CLOSE);  // frees `current`
}

}  // namespace

session::session(std::shared_ptr<const detail::context_state> context, SSL* ssl)
    : ssl_(ssl), context_(std::move(context)) {
  if (ssl_ == nullptr) {
    fail("cannot create TLS session");
    return;
  }
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    fail("cannot create TLS session buffers");
    return;
  }
  // A memory BIO reports "retry" when empty (its default EOF value is -1), so
  // running out of input reads as WANT_READ, not as the peer hanging up.
  SSL_set_bio(ssl_, in, out);
  // The client speaks first: queue its ClientHello now.
  if (!SSL_is_server(ssl_))
    drive_handshake();
}

session::session(session&& other) noexcept
    : ssl_(std::exchange(other.ssl_, nullptr)),
      context_(std::move(other.context_)),
      compact_(std::move(other.compact_)),
      held_plaintext_(std::move(other.held_plaintext_)),
      error_(std::move(other.error_)),
      handshake_done_(other.handshake_done_),
      failed_(other.failed_),
      peer_closed_(other.peer_closed_),
      shut_down_(other.shut_down_),
      bindings_forgotten_(other.bindings_forgotten_) {}

session& session::operator=(session&& other) noexcept {
  if (this != &other) {
    SSL_free(ssl_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    context_ = std::move(other.context_);
    compact_ = std::move(other.compact_);
    held_plaintext_ = std::move(other.held_plaintext_);
    error_ = std::move(other.error_);
    handshake_done_ = other.handshake_done_;
    failed_ = other.failed_;
    peer_closed_ = other.peer_closed_;
    shut_down_ = other.shut_down_;
    bindings_forgotten_ = other.bindings_forgotten_;
  }
  return *this;
}

session::~session() { SSL_free(ssl_); }

void session::fail(const char* what) {
  std::string reasons = drain_openssl_errors(what);
  // "certificate verify failed" alone does not tell an operator which check
  // failed: add the verifier's own reason.
  if (ssl_ != nullptr) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK && reasons.find("certificate verify failed") != std::string::npos)
      reasons += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  error_ = std::move(reasons);
  failed_ = true;
  held_plaintext_.clear();
}

void session::drive_handshake() {
  if (handshake_done_ || failed_)
    return;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    flush_held_plaintext();
    return;
  }
  int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
    return;
  fail(err == SSL_ERROR_SYSCALL ? "TLS handshake ended unexpectedly" : "TLS handshake failed");
}

void session::flush_held_plaintext() {
  if (held_plaintext_.empty())
    return;
  std::string held;
  held.swap(held_plaintext_);
  write_plaintext(held);
}

bool session::feed_ciphertext(const char* data, std::size_t size) {
  if (compact_) {
    bool ok = compact_->records->open(data, size, compact_->plaintext);
    sync_compact();
    return ok;
  }
  if (failed_ || ssl_ == nullptr)
    return false;
  BIO* in = SSL_get_rbio(ssl_);
  while (size > 0) {
    int chunk = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
    int written = BIO_write(in, data, chunk);
    if (written <= 0) {
      fail("cannot buffer TLS input");
      return false;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  drive_handshake();
  trim_read_buffer();
  return !failed_;
}

bool session::read_plaintext(std::string& out) {
  if (compact_) {
    // What was authenticated before a failure is handed out, as OpenSSL does.
    out.append(compact_->plaintext);
    std::string().swap(compact_->plaintext);
    return !failed_;
  }
  if (failed_ || ssl_ == nullptr)
    return false;
  if (!handshake_done_) {
    drive_handshake();
    if (!handshake_done_)
      return !failed_;
  }
  if (peer_closed_)
    return true;
  ERR_clear_error();
  char buf[read_chunk];
  for (;;) {
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_, buf, sizeof buf, &n);
    if (rc == 1) {
      out.append(buf, n);
      continue;
    }
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ)
      break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      break;
    }
    fail(err == SSL_ERROR_SYSCALL ? "TLS stream ended unexpectedly" : "TLS read failed");
    return false;
  }
  trim_read_buffer();
  return true;
}

bool session::write_plaintext(std::string_view data) {
  if (compact_ && !failed_ && !shut_down_) {
    bool ok = compact_->records->seal(data);
    sync_compact();
    return ok;
  }
  if (failed_ || ssl_ == nullptr || shut_down_)
    return false;
  if (!handshake_done_) {
    held_plaintext_.append(data);
    return true;
  }
  if (data.empty())
    return true;
  ERR_clear_error();
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE and with a memory BIO that never
  // fills up, SSL_write_ex writes everything or fails.
  std::size_t written = 0;
  if (SSL_write_ex(ssl_, data.data(), data.size(), &written) != 1) {
    fail("TLS write failed");
    return false;
  }
  return true;
}

void session::take_ciphertext(std::string& out) {
  if (compact_)
    return compact_->records->take_output(out);
  if (ssl_ == nullptr)
    return;
  BIO* wbio = SSL_get_wbio(ssl_);
  char* data = nullptr;
  long n = BIO_get_mem_data(wbio, &data);
  if (n <= 0)
    return;
  out.append(data, static_cast<std::size_t>(n));
  // Everything was copied out: drop the buffer rather than read it.
  if (BUF_MEM* empty = BUF_MEM_new())
    BIO_set_mem_buf(wbio, empty, BIO_CLOSE);
  else
    (void)BIO_reset(wbio);
}

std::size_t session::pending_ciphertext() const {
  if (compact_)
    return compact_->records->pending_output();
  return ssl_ == nullptr ? 0 : BIO_ctrl_pending(SSL_get_wbio(ssl_));
}

void session::trim_read_buffer() {
  if (ssl_ != nullptr)
    release_drained(SSL_get_rbio(ssl_));
}

bool session::shutdown() {
  if (compact_ && !failed_ && !shut_down_) {
    shut_down_ = true;
    bool ok = compact_->records->close();
    sync_compact();
    return ok;
  }
  if (ssl_ == nullptr || failed_ || shut_down_)
    return false;
  shut_down_ = true;
  held_plaintext_.clear();
  // Mid-handshake there is nothing to close cleanly; the transport just hangs up.
  if (!handshake_done_)
    return false;
  ERR_clear_error();
  // 0 means "sent, peer's not yet seen", 1 "both sent": either way ours is queued.
  if (SSL_shutdown(ssl_) < 0) {
    ERR_clear_error();
    return false;
  }
  return true;
}

std::optional<std::string> session::tls_exporter() const {
  if (compact_ || bindings_forgotten_)
    return kept_binding(&detail::kept_bindings::tls_exporter);
  if (!handshake_done_ || failed_)
    return std::nullopt;
  // RFC 9266 §4.2: on TLS 1.2 the exporter binds the channel only with
  // extended master secret (RFC 7627); without it, it must not be used.
  if (SSL_version(ssl_) < TLS1_3_VERSION && SSL_get_extms_support(ssl_) != 1)
    return std::nullopt;
  static constexpr char label[] = "EXPORTER-Channel-Binding";
  std::string out(32, '\0');
  // use_context = 1 with a zero-length context: RFC 9266's "empty context
  // value". TLS 1.3 treats this and "no context" alike; on TLS 1.2 (RFC 5705)
  // they differ, and this is what Prosody and GNU SASL's peers compute.
  if (SSL_export_keying_material(ssl_, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 label, sizeof label - 1, nullptr, 0, 1)
      != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> session::tls_unique() const {
  if (compact_ || bindings_forgotten_)
    return kept_binding(&detail::kept_bindings::tls_unique);
  if (!handshake_done_ || failed_)
    return std::nullopt;
  // Without extended master secret, TLS 1.2's tls-unique can be made equal on
  // two different connections (the triple-handshake attack, RFC 7627 §1).
  // TLS 1.3 has no such mode: its Finished MACs come from keys that mix in
  // the (EC)DHE secret and cover the whole transcript, certificate included.
  if (SSL_version(ssl_) < TLS1_3_VERSION && SSL_get_extms_support(ssl_) != 1)
    return std::nullopt;
  // RFC 5929 §3.1: the first Finished of the latest handshake: the client's on
  // a full handshake, the server's on a resumed one. Applied unchanged to TLS
  // 1.3 it is what OpenSSL-based clients (CPython's ssl among them) send.
  bool first_is_ours = (SSL_is_server(ssl_) != 0) == (SSL_session_reused(ssl_) != 0);
  unsigned char buf[EVP_MAX_MD_SIZE];
  std::size_t n = first_is_ours ? SSL_get_finished(ssl_, buf, sizeof buf)
                                : SSL_get_peer_finished(ssl_, buf, sizeof buf);
  if (n == 0 || n > sizeof buf)
    return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buf), n);
}

std::optional<std::string> session::tls_server_end_point() const {
  if (compact_ || bindings_forgotten_)
    return kept_binding(&detail::kept_bindings::tls_server_end_point);
  if (!handshake_done_ || failed_)
    return std::nullopt;
  X509* cert = SSL_is_server(ssl_) != 0 ? SSL_get_certificate(ssl_)
                                        : SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr)
    return std::nullopt;
  int md_nid = NID_undef;
  if (X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // RFC 5929 §4.1: MD5 and SHA-1 are replaced by SHA-256; a signature with
  // no hash of its own (Ed25519, Ed448) leaves the binding undefined.
  if (md_nid == NID_md5 || md_nid == NID_sha1)
    md_nid = NID_sha256;
  const EVP_MD* md = md_nid == NID_undef ? nullptr : EVP_get_digestbynid(md_nid);
  if (md == nullptr)
    return std::nullopt;
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, md, buf, &n) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(buf), n);
}

std::string session::protocol_version() const {
  if (compact_)
    return "TLSv1.3";
  return handshake_done_ ? SSL_get_version(ssl_) : std::string();
}

std::string session::cipher() const {
  if (compact_)
    return suite_name(compact_->records->suite());
  if (!handshake_done_)
    return {};
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c == nullptr ? std::string() : SSL_CIPHER_get_name(c);
}

std::string session::alpn() const {
  if (compact_)
    return compact_->alpn;
  if (ssl_ == nullptr)
    return {};
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  if (data == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(data), len);
}

std::string session::server_name() const {
  if (compact_)
    return compact_->server_name;
  const char* name = ssl_ == nullptr ? nullptr : SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string() : name;
}

bool session::resumed() const {
  if (compact_)
    return compact_->resumed;
  return handshake_done_ && SSL_session_reused(ssl_) != 0;
}

std::string session::resumption_ticket() const {
  if (!handshake_done_ || failed_ || compact_ || SSL_is_server(ssl_))
    return {};
  SSL_SESSION* s = SSL_get0_session(ssl_);
  if (s == nullptr || SSL_SESSION_is_resumable(s) != 1)
    return {};
  int n = i2d_SSL_SESSION(s, nullptr);
  if (n <= 0)
    return {};
  std::string out(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_SSL_SESSION(s, &p) != n)
    return {};
  return out;
}

bool session::peer_verified() const {
  if (compact_)
    return compact_->peer_verified;
  return ssl_ != nullptr && SSL_get0_peer_certificate(ssl_) != nullptr
         && SSL_get_verify_result(ssl_) == X509_V_OK;
}

// --- compact record layer (RFC 8446 §5) ---------------------------------------

bool session::compact(std::string* why_not) {
  std::string why;
  if (compact_)
    return true;
  if (ssl_ == nullptr || failed_ || !handshake_done_)
    why = "handshake not complete";
  else if (!SSL_is_server(ssl_))
    // A client must take NewSessionTicket messages at any time (RFC 8446
    // §4.6.1), which the compact record layer refuses.
    why = "not a server session";
  else if (shut_down_ || peer_closed_)
    why = "closing";
  else if (!held_plaintext_.empty())
    why = "plaintext held";
  auto state = why.empty() ? detail::take_over(ssl_, why) : nullptr;
  if (!state) {
    if (why_not != nullptr)
      *why_not = why;
    return false;
  }
  // Everything answered from the SSL object must be copied out now. Every
  // channel binding the session offers belongs here, and in kept_binding().
  if (!bindings_forgotten_) {
    state->bindings = std::make_unique<detail::kept_bindings>();
    state->bindings->tls_exporter.keep(tls_exporter());
    state->bindings->tls_unique.keep(tls_unique());
    state->bindings->tls_server_end_point.keep(tls_server_end_point());
  }
  state->alpn = alpn();
  state->server_name = server_name();
  state->resumed = resumed();
  state->peer_verified = peer_verified();
  compact_ = std::move(state);
  SSL_free(ssl_);
  ssl_ = nullptr;
  return true;
}

void session::forget_channel_bindings() {
  bindings_forgotten_ = true;
  if (compact_)
    compact_->bindings.reset();
}

std::optional<std::string> session::kept_binding(
    detail::kept_binding detail::kept_bindings::*which) const {
  if (bindings_forgotten_ || failed_ || !compact_ || !compact_->bindings)
    return std::nullopt;
  return (compact_->bindings.get()->*which).get();
}

void session::sync_compact() {
  const record_layer& records = *compact_->records;
  peer_closed_ = records.peer_closed();
  if (records.failed() && !failed_) {
    failed_ = true;
    error_ = records.error();
  }
}

}  // namespace irsp::tls
