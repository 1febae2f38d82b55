// RFC 8446 §5, §6, §4.6.3: the TLS 1.3 record layer of one connection after its handshake.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "node/tls/record_protection.hpp"

namespace irsp::tls {

/// RFC 8446 §6 alert descriptions this layer sends or names.
enum class alert : std::uint8_t {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  illegal_parameter = 47,
  decode_error = 50,
  internal_error = 80,
  user_canceled = 90,
};

/// The record layer of one TLS 1.3 connection whose handshake is over (done
/// by OpenSSL): it holds only the negotiated AEAD, both directions' traffic
/// secrets, keys, IVs and sequence numbers, and, while a record is arriving
/// in pieces, the part received so far. A codec: bytes from the peer in,
/// application data out; application data in, records for the peer out.
///
/// What it accepts from the peer after the handshake is what a server must
/// accept: application data, alerts, and KeyUpdate. Any other handshake
/// message (a NewSessionTicket, which a client must accept, among them) ends
/// the connection, so a client should only be moved here once it expects no
/// more tickets.
///
/// Every failure is final: the layer queues the alert telling the peer why
/// (when it still may write) and refuses all further work.
class record_layer {
public:
  /// Starts from the application traffic secrets (secret_size(suite) bytes
  /// each) and the sequence numbers of the next record each way, as the
  /// handshake left them. Nullptr and `error` set if the keys could not be
  /// derived.
  static std::unique_ptr<record_layer> create(cipher_suite suite, const std::uint8_t* read_secret,
                                              std::uint64_t read_sequence,
                                              const std::uint8_t* write_secret,
                                              std::uint64_t write_sequence, std::string& error);

  ~record_layer();
  record_layer(const record_layer&) = delete;
  record_layer& operator=(const record_layer&) = delete;

  /// Takes `size` bytes from the peer, split anywhere; appends the
  /// application data of every complete record to `plaintext`. False once
  /// the connection has failed. After the peer's close_notify the rest is
  /// ignored (RFC 8446 §6.1) and the call returns true.
  bool open(const char* data, std::size_t size, std::string& plaintext);

  /// Protects `data` as application data records of at most 2^14 bytes each.
  /// False once failed or after `close()`.
  bool seal(std::string_view data);

  /// Queues our close_notify (RFC 8446 §6.1); nothing can be sealed after
  /// it. False if already closed or failed.
  bool close();

  /// Queues a KeyUpdate (RFC 8446 §4.6.3) asking for nothing back, then
  /// changes the write key; what the handshake left owed (the peer asked for
  /// an update that OpenSSL had not sent yet) is paid this way.
  bool send_key_update();

  /// Queues `bytes` for the peer ahead of anything this layer writes next:
  /// records the previous record layer (OpenSSL) protected but nobody sent yet.
  void adopt_output(std::string_view bytes) { output_.append(bytes); }

  /// Appends the records queued for the peer to `out` and empties the queue.
  void take_output(std::string& out);

  /// Bytes queued for the peer.
  std::size_t pending_output() const { return output_.size(); }

  /// True once a protocol error or the peer's error alert ended the connection.
  bool failed() const { return failed_; }

  /// Why it failed, e.g. "bad record MAC (alert 20 sent)"; empty otherwise.
  const std::string& error() const { return error_; }

  /// The alert sent on failure; close_notify when none was.
  alert sent_alert() const { return sent_alert_; }

  /// True once the peer's close_notify arrived.
  bool peer_closed() const { return peer_closed_; }

  /// True once our close_notify is queued.
  bool closed() const { return closed_; }

  /// The negotiated cipher suite.
  cipher_suite suite() const { return suite_; }

  /// Sequence number of the next record from the peer.
  std::uint64_t read_sequence() const { return read_.sequence; }

  /// Sequence number of the next record to the peer.
  std::uint64_t write_sequence() const { return write_.sequence; }

  /// Bytes of a record received in part, held until the rest arrives.
  std::size_t partial_record_size() const { return partial_.size(); }

  /// RFC 8446 §5.5: records protected under one key before this layer sends
  /// a KeyUpdate of its own; below AES-GCM's 2^24.5 limit on full-size records.
  static constexpr std::uint64_t records_per_key = std::uint64_t(1) << 24;

private:
  record_layer(cipher_suite suite);

  // Decrypts and acts on one whole record (header included); false once failed.
  bool open_record(const std::uint8_t* record, std::size_t size, std::string& plaintext,
                   std::unique_ptr<record_cipher>& cipher);
  bool on_handshake(const std::uint8_t* data, std::size_t size, bool& key_changed);
  bool on_alert(const std::uint8_t* data, std::size_t size);
  bool write_record(std::uint8_t type, const std::uint8_t* data, std::size_t size,
                    std::unique_ptr<record_cipher>& cipher);
  bool write_key_update(std::unique_ptr<record_cipher>& cipher);
  void fail(alert why, const char* what);

  traffic_keys read_;
  traffic_keys write_;
  // A record received in part (header first); empty, without capacity, otherwise.
  std::string partial_;
  // Records queued for the peer; emptied by take_output.
  std::string output_;
  std::string error_;
  // A KeyUpdate message split over records (RFC 8446 §5.1 allows that): the
  // bytes of it received so far.
  std::array<std::uint8_t, 5> handshake_{};
  std::uint8_t handshake_size_ = 0;
  cipher_suite suite_;
  alert sent_alert_ = alert::close_notify;
  bool failed_ = false;
  bool peer_closed_ = false;
  bool closed_ = false;
};

}  // namespace irsp::tls
