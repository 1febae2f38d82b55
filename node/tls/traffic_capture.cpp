// RFC 8446 §7.1-§7.3, §5.3: the record-layer state OpenSSL holds for a TLS 1.3 connection, captured.
#include "node/tls/traffic_capture.hpp"

#include <cstring>
#include <string_view>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

namespace irsp::tls::detail {

namespace {

// What one session has seen, kept in its SSL's ex_data from its first TLS
// 1.3 key-log line until SSL_free (which wipes it). "client" and "server"
// name who writes under a secret, so the same bookkeeping serves both ends.
struct capture_record {
  std::array<std::uint8_t, 48> secret[2]{};  // [writer]: 0 client, 1 server
  std::uint8_t secret_size[2] = {0, 0};
  // Records written under the current application secret, per writer.
  std::uint64_t records[2] = {0, 0};
  // KeyUpdates that OpenSSL logged a new secret for / that crossed the wire.
  std::uint32_t updates_logged[2] = {0, 0};
  std::uint32_t updates_seen[2] = {0, 0};
  bool finished_seen[2] = {false, false};
  // A handshake record was read whose message has not been seen whole.
  bool handshake_pending = false;
  bool alert_seen = false;
  // A key-log line this code cannot read: never take this session over.
  bool broken = false;

  ~capture_record() {
    OPENSSL_cleanse(secret[0].data(), secret[0].size());
    OPENSSL_cleanse(secret[1].data(), secret[1].size());
  }
};

constexpr int client_writer = 0;
constexpr int server_writer = 1;

void free_record(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<capture_record*>(ptr);
}

int record_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_record);
  return index;
}

capture_record* record_of(const SSL* ssl) {
  return static_cast<capture_record*>(SSL_get_ex_data(ssl, record_index()));
}

int writer(const SSL* ssl, bool written_by_us) {
  bool server = SSL_is_server(const_cast<SSL*>(ssl)) != 0;
  return (server == written_by_us) ? server_writer : client_writer;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// OpenSSL's NSS key-log format: "<label> <client random, hex> <secret, hex>".
void on_key_log(const SSL* ssl, const char* line) {
  std::string_view text(line);
  std::size_t sp1 = text.find(' ');
  if (sp1 == std::string_view::npos)
    return;
  std::string_view label = text.substr(0, sp1);
  // TLS 1.2's CLIENT_RANDOM lines and unknown labels: nothing to keep.
  if (label.find("TRAFFIC_SECRET") == std::string_view::npos)
    return;
  capture_record* rec = record_of(ssl);
  if (rec == nullptr) {
    rec = new (std::nothrow) capture_record;
    if (rec == nullptr || SSL_set_ex_data(const_cast<SSL*>(ssl), record_index(), rec) != 1) {
      delete rec;
      return;  // no record: capture() refuses
    }
  }
  int who;
  bool update;
  if (label == "CLIENT_TRAFFIC_SECRET_0" || label == "CLIENT_TRAFFIC_SECRET_N") {
    who = client_writer;
  } else if (label == "SERVER_TRAFFIC_SECRET_0" || label == "SERVER_TRAFFIC_SECRET_N") {
    who = server_writer;
  } else {
    return;  // handshake and early traffic secrets
  }
  update = label.back() == 'N';
  std::size_t sp2 = text.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    rec->broken = true;
    return;
  }
  std::string_view hex = text.substr(sp2 + 1);
  if ((hex.size() != 64 && hex.size() != 96) || (update != (rec->secret_size[who] != 0))) {
    rec->broken = true;
    return;
  }
  std::array<std::uint8_t, 48> secret{};
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    int hi = hex_digit(hex[2 * i]);
    int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      OPENSSL_cleanse(secret.data(), secret.size());
      rec->broken = true;
      return;
    }
    secret[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  // The secret is logged when OpenSSL derives it, before any record is
  // protected with it: counting restarts here (RFC 8446 §5.3: the sequence
  // number is reset to zero whenever the key changes). A log that came
  // late would make the count too high, which the peer would notice as a
  // bad record MAC; it cannot make it too low, which would reuse a nonce.
  rec->secret[who] = secret;
  OPENSSL_cleanse(secret.data(), secret.size());
  rec->secret_size[who] = static_cast<std::uint8_t>(hex.size() / 2);
  rec->records[who] = 0;
  if (update)
    ++rec->updates_logged[who];
}

void on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL* ssl,
                void*) {
  capture_record* rec = record_of(ssl);
  if (rec == nullptr || len == 0)
    return;
  auto first = static_cast<const std::uint8_t*>(buf)[0];
  int who = writer(ssl, write_p != 0);
  switch (content_type) {
  case SSL3_RT_INNER_CONTENT_TYPE:
    // One per protected record, after it was sealed or opened.
    if (rec->secret_size[who] != 0)
      ++rec->records[who];
    if (write_p == 0 && first == SSL3_RT_HANDSHAKE)
      rec->handshake_pending = true;
    break;
  case SSL3_RT_HANDSHAKE:
    // One per whole handshake message, after its records.
    if (write_p == 0)
      rec->handshake_pending = false;
    if (first == SSL3_MT_FINISHED)
      rec->finished_seen[who] = true;
    else if (first == SSL3_MT_KEY_UPDATE)
      ++rec->updates_seen[who];
    break;
  case SSL3_RT_ALERT:
    rec->alert_seen = true;
    break;
  default:
    break;
  }
}

}  // namespace

traffic_state::~traffic_state() {
  OPENSSL_cleanse(read_secret.data(), read_secret.size());
  OPENSSL_cleanse(write_secret.data(), write_secret.size());
}

void capture_traffic(SSL_CTX* ctx) {
  record_index();  // allocate the index before any session runs
  SSL_CTX_set_keylog_callback(ctx, on_key_log);
  SSL_CTX_set_msg_callback(ctx, on_message);
}

bool capture(SSL* ssl, traffic_state& out, std::string& why) {
  if (SSL_version(ssl) != TLS1_3_VERSION) {
    why = "not TLS 1.3";
    return false;
  }
  const capture_record* rec = record_of(ssl);
  if (rec == nullptr || rec->broken
      || SSL_CTX_get_keylog_callback(SSL_get_SSL_CTX(ssl)) != on_key_log) {
    why = "traffic secrets not captured";
    return false;
  }
  // Proves the message callback has run since the start: without it the
  // record counts would be wrong.
  if (!rec->finished_seen[client_writer] || !rec->finished_seen[server_writer]
      || rec->secret_size[client_writer] == 0 || rec->secret_size[server_writer] == 0) {
    why = "handshake not seen to completion";
    return false;
  }
  if (rec->updates_logged[client_writer] != rec->updates_seen[client_writer]
      || rec->updates_logged[server_writer] != rec->updates_seen[server_writer]) {
    why = "a key update not accounted for";
    return false;
  }
  if (rec->alert_seen || SSL_get_shutdown(ssl) != 0) {
    why = "closing";
    return false;
  }
  if (rec->handshake_pending || SSL_is_init_finished(ssl) != 1) {
    why = "handshake message in progress";
    return false;
  }
  // Data OpenSSL decrypted and nobody read, or a record it holds in part.
  if (SSL_has_pending(ssl) != 0 || BIO_ctrl_pending(SSL_get_rbio(ssl)) != 0) {
    why = "input not yet consumed";
    return false;
  }
  switch (SSL_get_key_update_type(ssl)) {
  case SSL_KEY_UPDATE_NONE:
    out.key_update_owed = false;
    break;
  case SSL_KEY_UPDATE_NOT_REQUESTED:
    out.key_update_owed = true;
    break;
  default:
    why = "key update of our own pending";
    return false;
  }
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  std::uint16_t id = cipher == nullptr ? 0 : SSL_CIPHER_get_protocol_id(cipher);
  if (!is_supported(id)) {
    why = "cipher suite not supported";
    return false;
  }
  out.suite = static_cast<cipher_suite>(id);
  if (rec->secret_size[client_writer] != secret_size(out.suite)
      || rec->secret_size[server_writer] != secret_size(out.suite)) {
    why = "traffic secret of the wrong size";
    return false;
  }
  int reader = writer(ssl, false);
  int ours = writer(ssl, true);
  out.read_secret = rec->secret[reader];
  out.write_secret = rec->secret[ours];
  out.read_sequence = rec->records[reader];
  out.write_sequence = rec->records[ours];
  return true;
}

}  // namespace irsp::tls::detail
