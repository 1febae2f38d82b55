// RFC 8446 §5.2-§5.3, §7.1-§7.3: TLS 1.3 record protection (AEAD, per-record nonce, traffic keys).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace irsp::tls {

/// The TLS 1.3 cipher suites the contexts allow (RFC 8446 §B.4), by their
/// IANA code points.
enum class cipher_suite : std::uint16_t {
  aes_128_gcm_sha256 = 0x1301,
  aes_256_gcm_sha384 = 0x1302,
  chacha20_poly1305_sha256 = 0x1303,
};

/// True for the three suites above; false for any other code point.
bool is_supported(std::uint16_t code_point);

/// Hash.length of the suite's HKDF hash: 32 or 48 bytes.
std::size_t secret_size(cipher_suite suite);

/// The suite's name as IANA and OpenSSL spell it ("TLS_AES_128_GCM_SHA256").
const char* suite_name(cipher_suite suite);

/// The AEAD tag every record carries: 16 bytes for all three suites.
constexpr std::size_t aead_tag_size = 16;

/// One direction's protection state: the application traffic secret (kept
/// for KeyUpdate, RFC 8446 §7.2), the key and IV derived from it (§7.3), and
/// the sequence number of the next record (§5.3).
struct traffic_keys {
  std::array<std::uint8_t, 48> secret{};
  std::array<std::uint8_t, 32> key{};
  std::array<std::uint8_t, 12> iv{};
  std::uint64_t sequence = 0;

  /// Wipes every secret byte (OPENSSL_cleanse).
  void wipe();
};

/// Sets `out`'s secret to `secret` (secret_size(suite) bytes) and derives
/// its key and IV (RFC 8446 §7.3); the sequence number is set to `sequence`.
/// False if OpenSSL's TLS13-KDF failed; `out` is then wiped.
bool derive_traffic_keys(cipher_suite suite, const std::uint8_t* secret, std::uint64_t sequence,
                         traffic_keys& out);

/// RFC 8446 §7.2: replaces the secret with
/// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length), derives the new
/// key and IV, and resets the sequence number to 0. False (keys wiped) on a
/// KDF failure.
bool update_traffic_keys(cipher_suite suite, traffic_keys& keys);

/// Seals or opens records under one direction's key for the span of one call
/// (a burst of records): the OpenSSL cipher context (about 1 KB with its key
/// schedule) is made on first use and freed with this object, so that an idle
/// connection holds none.
class record_cipher {
public:
  /// `keys` must outlive this object; its key and IV are read at each record,
  /// so a KeyUpdate that changes them takes effect at the next record.
  record_cipher(cipher_suite suite, const traffic_keys& keys, bool encrypt);
  ~record_cipher();
  record_cipher(const record_cipher&) = delete;
  record_cipher& operator=(const record_cipher&) = delete;

  /// Forget the key schedule: call after `keys` changed (KeyUpdate).
  void rekey();

  /// Encrypts `fragment` followed by the one-byte inner content `type`
  /// (RFC 8446 §5.2 TLSInnerPlaintext, no padding) with record sequence
  /// number `sequence` and additional data `header` (the 5-byte record
  /// header); writes size + 1 bytes of ciphertext and then the tag to `out`.
  bool seal(std::uint64_t sequence, const std::uint8_t header[5], const std::uint8_t* fragment,
            std::size_t size, std::uint8_t type, std::uint8_t* out);

  /// Decrypts and authenticates `size` bytes of encrypted_record (ciphertext
  /// then tag) into `out` (size - 16 bytes). False when the record is not
  /// authentic; `out` then holds unauthenticated bytes the caller must drop.
  bool open(std::uint64_t sequence, const std::uint8_t header[5], const std::uint8_t* record,
            std::size_t size, std::uint8_t* out);

private:
  bool start(std::uint64_t sequence);

  cipher_suite suite_;
  const traffic_keys& keys_;
  bool encrypt_;
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

}  // namespace irsp::tls
