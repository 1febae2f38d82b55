// RFC 8446 §5, §6, §4.6.3: the TLS 1.3 record layer of one connection after its handshake.
#include "node/tls/record_layer.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <openssl/crypto.h>

namespace irsp::tls {

namespace {

// RFC 8446 §5.1 ContentType.
constexpr std::uint8_t change_cipher_spec = 20;
constexpr std::uint8_t alert_type = 21;
constexpr std::uint8_t handshake_type = 22;
constexpr std::uint8_t application_data = 23;

// RFC 8446 §4 HandshakeType.
constexpr std::uint8_t key_update = 24;

constexpr std::size_t header_size = 5;
// RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14.
constexpr std::size_t max_fragment = std::size_t(1) << 14;
// RFC 8446 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256.
constexpr std::size_t max_ciphertext = max_fragment + 256;
// RFC 8446 §5.4: TLSInnerPlaintext (content, type, padding) MUST NOT exceed 2^14 + 1.
constexpr std::size_t max_inner = max_fragment + 1;

// The last sequence number is never used: a connection that would need it
// fails instead, so no (key, nonce) pair can repeat (RFC 8446 §5.3).
constexpr std::uint64_t last_sequence = std::numeric_limits<std::uint64_t>::max();

std::size_t record_length(const std::uint8_t* header) {
  return (std::size_t(header[3]) << 8) | header[4];
}

}  // namespace

std::unique_ptr<record_layer> record_layer::create(cipher_suite suite,
                                                   const std::uint8_t* read_secret,
                                                   std::uint64_t read_sequence,
                                                   const std::uint8_t* write_secret,
                                                   std::uint64_t write_sequence,
                                                   std::string& error) {
  std::unique_ptr<record_layer> layer(new record_layer(suite));
  if (!derive_traffic_keys(suite, read_secret, read_sequence, layer->read_)
      || !derive_traffic_keys(suite, write_secret, write_sequence, layer->write_)) {
    error = "cannot derive TLS 1.3 traffic keys";
    return nullptr;
  }
  return layer;
}

record_layer::record_layer(cipher_suite suite) : suite_(suite) {}

record_layer::~record_layer() {
  read_.wipe();
  write_.wipe();
}

void record_layer::fail(alert why, const char* what) {
  if (failed_)
    return;
  failed_ = true;
  error_ = what;
  // RFC 8446 §6.2: a fatal alert, then the connection is closed; none can be
  // sent after our close_notify (§6.1) or when our keys are unusable.
  if (!closed_ && write_.sequence != last_sequence && why != alert::close_notify) {
    sent_alert_ = why;
    const std::uint8_t body[2] = {2 /* fatal */, static_cast<std::uint8_t>(why)};
    std::unique_ptr<record_cipher> cipher;
    if (write_record(alert_type, body, sizeof body, cipher))
      error_ += " (alert " + std::to_string(int(why)) + " sent)";
  }
  closed_ = true;
  handshake_size_ = 0;
  read_.wipe();
  write_.wipe();
}

bool record_layer::open(const char* data, std::size_t size, std::string& plaintext) {
  if (failed_)
    return false;
  auto* p = reinterpret_cast<const std::uint8_t*>(data);
  std::unique_ptr<record_cipher> cipher;  // one per burst, freed on return

  // Checks a record's header as soon as it is known, so that nothing is
  // buffered for a record that will be refused.
  auto header_ok = [this](const std::uint8_t* h) {
    // RFC 8446 §5.2: the outer type of every protected record is
    // application_data. §5: change_cipher_spec after the peer's Finished is
    // an unexpected record type; so is a plaintext alert or handshake record.
    if (h[0] != application_data) {
      fail(alert::unexpected_message, h[0] == change_cipher_spec
                                          ? "change_cipher_spec after the handshake"
                                          : "unexpected record type");
      return false;
    }
    // RFC 8446 §5.1 says legacy_record_version is to be ignored; OpenSSL
    // (which handled this connection until now) insists on 0x0303 with
    // decode_error, and so does this layer, so that a peer sees one
    // behaviour. The field is authenticated as additional data anyway.
    if (h[1] != 3 || h[2] != 3) {
      fail(alert::decode_error, "wrong version number");
      return false;
    }
    // RFC 8446 §5.2: record_overflow beyond 2^14 + 256.
    if (record_length(h) > max_ciphertext) {
      fail(alert::record_overflow, "encrypted length too long");
      return false;
    }
    return true;
  };

  while (size > 0 && !failed_ && !peer_closed_) {
    if (partial_.empty()) {
      if (size >= header_size) {
        if (!header_ok(p))
          break;
        std::size_t need = header_size + record_length(p);
        if (size >= need) {
          // The whole record is here: open it where it lies.
          if (!open_record(p, need, plaintext, cipher))
            break;
          p += need;
          size -= need;
          continue;
        }
        partial_.reserve(need);
      }
      partial_.assign(reinterpret_cast<const char*>(p), size);
      break;
    }
    if (partial_.size() < header_size) {
      std::size_t take = std::min(header_size - partial_.size(), size);
      partial_.append(reinterpret_cast<const char*>(p), take);
      p += take;
      size -= take;
      if (partial_.size() < header_size)
        break;
      auto* h = reinterpret_cast<const std::uint8_t*>(partial_.data());
      if (!header_ok(h))
        break;
      partial_.reserve(header_size + record_length(h));
    }
    std::size_t need =
        header_size + record_length(reinterpret_cast<const std::uint8_t*>(partial_.data()));
    std::size_t take = std::min(need - partial_.size(), size);
    partial_.append(reinterpret_cast<const char*>(p), take);
    p += take;
    size -= take;
    if (partial_.size() < need)
      break;
    bool ok = open_record(reinterpret_cast<const std::uint8_t*>(partial_.data()), need, plaintext,
                          cipher);
    partial_.clear();
    if (!ok)
      break;
  }
  // RFC 8446 §6.1: "Any data received after a closure alert has been
  // received MUST be ignored." An idle layer holds no buffer.
  if (failed_ || peer_closed_ || partial_.empty())
    std::string().swap(partial_);
  return !failed_;
}

bool record_layer::open_record(const std::uint8_t* record, std::size_t size,
                               std::string& plaintext, std::unique_ptr<record_cipher>& cipher) {
  // RFC 8446 §5.3: sequence numbers must not wrap; the peer had to update
  // its key long before (§5.5).
  if (read_.sequence == last_sequence) {
    fail(alert::unexpected_message, "record sequence number exhausted");
    return false;
  }
  const std::uint8_t* header = record;
  const std::uint8_t* body = record + header_size;
  std::size_t body_size = size - header_size;
  // RFC 8446 §5.2: what cannot even hold a tag cannot be authentic.
  if (body_size < aead_tag_size) {
    fail(alert::bad_record_mac, "bad record mac");
    return false;
  }
  std::size_t inner_size = body_size - aead_tag_size;
  std::size_t at = plaintext.size();
  plaintext.resize(at + inner_size);
  auto* inner = reinterpret_cast<std::uint8_t*>(plaintext.data()) + at;
  if (!cipher)
    cipher = std::make_unique<record_cipher>(suite_, read_, false);
  if (!cipher->open(read_.sequence, header, body, body_size, inner)) {
    // §5.2: "If the decryption fails, the receiver MUST terminate the
    // connection with a bad_record_mac alert."
    OPENSSL_cleanse(inner, inner_size);
    plaintext.resize(at);
    fail(alert::bad_record_mac, "bad record mac");
    return false;
  }
  ++read_.sequence;

  // §5.4: the full TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets
  // (record_overflow, as for a TLSPlaintext over 2^14 in §5.1).
  if (inner_size > max_inner) {
    plaintext.resize(at);
    fail(alert::record_overflow, "data length too long");
    return false;
  }
  // §5.4: the content type is the last non-zero octet; all after it is padding.
  std::size_t end = inner_size;
  while (end > 0 && inner[end - 1] == 0)
    --end;
  if (end == 0) {
    plaintext.resize(at);
    fail(alert::unexpected_message, "record without content type");
    return false;
  }
  std::uint8_t type = inner[end - 1];
  std::size_t content_size = end - 1;

  // §5.1: handshake messages MUST NOT be interleaved with other record types.
  if (type != handshake_type && handshake_size_ > 0) {
    plaintext.resize(at);
    fail(alert::unexpected_message, "record interleaved with a handshake message");
    return false;
  }
  switch (type) {
  case application_data:
    // §5.1: zero-length application data MAY be sent (traffic analysis).
    plaintext.resize(at + content_size);
    return true;
  case alert_type: {
    bool ok = on_alert(inner, content_size);
    plaintext.resize(at);
    return ok;
  }
  case handshake_type: {
    bool key_changed = false;
    bool ok = on_handshake(inner, content_size, key_changed);
    plaintext.resize(at);
    if (key_changed)
      cipher->rekey();
    return ok;
  }
  default:
    // §5: "If a TLS implementation receives an unexpected record type, it
    // MUST terminate the connection with an unexpected_message alert." That
    // covers a protected change_cipher_spec (§5) and unknown types.
    plaintext.resize(at);
    fail(alert::unexpected_message, "unexpected record type");
    return false;
  }
}

bool record_layer::on_alert(const std::uint8_t* data, std::size_t size) {
  // §5.1: zero-length alert fragments are refused as OpenSSL refuses them;
  // "a record with an Alert type MUST contain exactly one message".
  if (size == 0) {
    fail(alert::unexpected_message, "empty alert record");
    return false;
  }
  if (size != 2) {
    fail(alert::decode_error, "invalid alert");
    return false;
  }
  // §6: the level is ignored; the description alone says what happened.
  std::uint8_t description = data[1];
  if (description == std::uint8_t(alert::close_notify)) {
    // §6.1: the peer sends no more; we still may (no half-close rule in 1.3).
    peer_closed_ = true;
    return true;
  }
  if (description == std::uint8_t(alert::user_canceled)) {
    // §6.1: a closure alert, not an error; a close_notify should follow.
    return true;
  }
  // §6.2: any other alert, known or not, is an error alert: close at once,
  // and send nothing back.
  error_ = "peer sent alert " + std::to_string(int(description));
  failed_ = true;
  closed_ = true;
  read_.wipe();
  write_.wipe();
  return false;
}

bool record_layer::on_handshake(const std::uint8_t* data, std::size_t size, bool& key_changed) {
  // §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types."
  if (size == 0) {
    fail(alert::unexpected_message, "empty handshake record");
    return false;
  }
  for (std::size_t i = 0; i < size; ++i) {
    std::uint8_t b = data[i];
    switch (handshake_size_) {
    case 0:
      // §4.6: after the handshake a client may only send KeyUpdate
      // (post-handshake authentication is never requested; a ClientHello
      // would be renegotiation, which TLS 1.3 does not have).
      if (b != key_update) {
        fail(alert::unexpected_message, "unexpected message");
        return false;
      }
      break;
    case 1:
    case 2:
    case 3:
      // §4.6.3: the KeyUpdate body is exactly one byte (uint24 length 1).
      if (b != (handshake_size_ == 3 ? 1 : 0)) {
        fail(alert::decode_error, "length mismatch");
        return false;
      }
      break;
    case 4:
      // §4.6.3: request_update is 0 or 1; "If an implementation receives any
      // other value, it MUST terminate the connection with an
      // illegal_parameter alert."
      if (b > 1) {
        fail(alert::illegal_parameter, "bad key update");
        return false;
      }
      break;
    }
    handshake_[handshake_size_++] = b;
    if (handshake_size_ < handshake_.size())
      continue;
    // §5.1: a message followed by a key change must end its record.
    if (i + 1 != size) {
      fail(alert::unexpected_message, "not on record boundary");
      return false;
    }
    handshake_size_ = 0;
    // §4.6.3 / §7.2: the peer now writes under its next secret.
    if (!update_traffic_keys(suite_, read_)) {
      fail(alert::internal_error, "cannot update the read key");
      return false;
    }
    key_changed = true;
    // §4.6.3: update_requested obliges us to send a KeyUpdate of our own
    // before our next application data; sending it now is simplest. Once
    // our close_notify is out nothing more may be sent, nor need be.
    if (handshake_[4] == 1 && !closed_) {
      std::unique_ptr<record_cipher> cipher;
      if (!write_key_update(cipher))
        return false;
    }
  }
  return true;
}

bool record_layer::write_record(std::uint8_t type, const std::uint8_t* data, std::size_t size,
                                std::unique_ptr<record_cipher>& cipher) {
  // §5.3: fail rather than wrap. Never reached in practice: seal() updates
  // the key every 2^24 records.
  if (write_.sequence == last_sequence)
    return false;
  std::size_t length = size + 1 + aead_tag_size;
  const std::uint8_t header[header_size] = {application_data, 3, 3,
                                            static_cast<std::uint8_t>(length >> 8),
                                            static_cast<std::uint8_t>(length)};
  std::size_t at = output_.size();
  output_.resize(at + header_size + length);
  auto* out = reinterpret_cast<std::uint8_t*>(output_.data()) + at;
  std::memcpy(out, header, header_size);
  if (!cipher)
    cipher = std::make_unique<record_cipher>(suite_, write_, true);
  if (!cipher->seal(write_.sequence, header, data, size, type, out + header_size)) {
    output_.resize(at);
    return false;
  }
  ++write_.sequence;
  return true;
}

bool record_layer::write_key_update(std::unique_ptr<record_cipher>& cipher) {
  // §4.6.3: KeyUpdate with request_update = update_not_requested, sent
  // under the old key; everything after it under the next one (§7.2).
  static constexpr std::uint8_t message[5] = {key_update, 0, 0, 1, 0};
  if (!write_record(handshake_type, message, sizeof message, cipher)) {
    fail(alert::internal_error, "cannot write key update");
    return false;
  }
  if (!update_traffic_keys(suite_, write_)) {
    write_.sequence = last_sequence;  // keys wiped: nothing may be written
    fail(alert::internal_error, "cannot update the write key");
    return false;
  }
  if (cipher)
    cipher->rekey();
  return true;
}

bool record_layer::seal(std::string_view data) {
  if (failed_ || closed_)
    return false;
  std::unique_ptr<record_cipher> cipher;
  auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  std::size_t left = data.size();
  while (left > 0) {
    // §5.5: rekey before AES-GCM's limit of 2^24.5 full-size records per key.
    if (write_.sequence >= records_per_key && !write_key_update(cipher))
      return false;
    std::size_t n = std::min(left, max_fragment);
    if (!write_record(application_data, p, n, cipher)) {
      fail(alert::internal_error, "cannot protect a record");
      return false;
    }
    p += n;
    left -= n;
  }
  return true;
}

bool record_layer::close() {
  if (failed_ || closed_)
    return false;
  // §6.1: close_notify; the level is ignored in TLS 1.3, warning by custom.
  static constexpr std::uint8_t body[2] = {1, std::uint8_t(alert::close_notify)};
  std::unique_ptr<record_cipher> cipher;
  if (!write_record(alert_type, body, sizeof body, cipher)) {
    fail(alert::internal_error, "cannot write close_notify");
    return false;
  }
  closed_ = true;
  return true;
}

bool record_layer::send_key_update() {
  if (failed_ || closed_)
    return false;
  std::unique_ptr<record_cipher> cipher;
  return write_key_update(cipher);
}

void record_layer::take_output(std::string& out) {
  if (out.empty())
    out.swap(output_);
  else
    out.append(output_);
  // Hold no capacity while idle, not even the capacity `out` brought.
  std::string().swap(output_);
}

}  // namespace irsp::tls
