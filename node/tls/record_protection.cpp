// RFC 8446 §5.2-§5.3, §7.1-§7.3: TLS 1.3 record protection (AEAD, per-record nonce, traffic keys).
#include "node/tls/record_protection.hpp"

#include <climits>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace irsp::tls {

namespace {

// OpenSSL 3 looks an algorithm up by name on every init unless the caller
// fetched it once; these are fetched on first use and kept for the life of
// the process (an EVP_CIPHER is shared, reference-counted and thread-safe).
const EVP_CIPHER* cipher_of(cipher_suite suite) {
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (suite) {
  case cipher_suite::aes_128_gcm_sha256:
    return aes128;
  case cipher_suite::aes_256_gcm_sha384:
    return aes256;
  case cipher_suite::chacha20_poly1305_sha256:
    return chacha;
  }
  return nullptr;
}

EVP_KDF* tls13_kdf() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_TLS1_3_KDF, nullptr);
  return kdf;
}

const char* digest_of(cipher_suite suite) {
  return suite == cipher_suite::aes_256_gcm_sha384 ? "SHA384" : "SHA256";
}

std::size_t key_size(cipher_suite suite) {
  return suite == cipher_suite::aes_128_gcm_sha256 ? 16 : 32;
}

// RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, "", Length), with OpenSSL's
// own TLS 1.3 KDF (the one libssl uses) in expand-only mode; its "prefix"
// parameter is the "tls13 " that §7.1 puts before every label.
bool expand_label(cipher_suite suite, const std::uint8_t* secret, const char* label,
                  std::uint8_t* out, std::size_t out_size) {
  EVP_KDF* kdf = tls13_kdf();
  if (kdf == nullptr)
    return false;
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  if (kctx == nullptr)
    return false;
  static const char prefix[] = "tls13 ";
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest_of(suite)),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret),
                                        secret_size(suite)),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, const_cast<char*>(prefix),
                                        sizeof prefix - 1),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, const_cast<char*>(label),
                                        std::strlen(label)),
      OSSL_PARAM_construct_end()};
  // The KDF copies the secret and clears its copy when freed.
  bool ok = EVP_KDF_derive(kctx, out, out_size, params) == 1;
  EVP_KDF_CTX_free(kctx);
  if (!ok)
    ERR_clear_error();
  return ok;
}

bool derive_key_and_iv(cipher_suite suite, traffic_keys& keys) {
  // RFC 8446 §7.3: key = HKDF-Expand-Label(Secret, "key", "", key_length),
  // iv = HKDF-Expand-Label(Secret, "iv", "", iv_length); all three AEADs
  // take a 12-byte nonce (RFC 5116 N_MAX >= 8, §5.3).
  keys.key.fill(0);
  return expand_label(suite, keys.secret.data(), "key", keys.key.data(), key_size(suite))
         && expand_label(suite, keys.secret.data(), "iv", keys.iv.data(), keys.iv.size());
}

}  // namespace

bool is_supported(std::uint16_t code_point) {
  return code_point == 0x1301 || code_point == 0x1302 || code_point == 0x1303;
}

std::size_t secret_size(cipher_suite suite) {
  return suite == cipher_suite::aes_256_gcm_sha384 ? 48 : 32;
}

const char* suite_name(cipher_suite suite) {
  switch (suite) {
  case cipher_suite::aes_128_gcm_sha256:
    return "TLS_AES_128_GCM_SHA256";
  case cipher_suite::aes_256_gcm_sha384:
    return "TLS_AES_256_GCM_SHA384";
  case cipher_suite::chacha20_poly1305_sha256:
    return "TLS_CHACHA20_POLY1305_SHA256";
  }
  return "";
}

void traffic_keys::wipe() {
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(iv.data(), iv.size());
}

bool derive_traffic_keys(cipher_suite suite, const std::uint8_t* secret, std::uint64_t sequence,
                         traffic_keys& out) {
  out.wipe();
  std::memcpy(out.secret.data(), secret, secret_size(suite));
  out.sequence = sequence;
  if (derive_key_and_iv(suite, out))
    return true;
  out.wipe();
  return false;
}

bool update_traffic_keys(cipher_suite suite, traffic_keys& keys) {
  // RFC 8446 §7.2: application_traffic_secret_N+1 =
  //   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)
  std::array<std::uint8_t, 48> next{};
  bool ok = expand_label(suite, keys.secret.data(), "traffic upd", next.data(), secret_size(suite));
  if (ok) {
    keys.wipe();
    keys.secret = next;
    keys.sequence = 0;  // §5.3: reset to zero whenever the key is changed
    ok = derive_key_and_iv(suite, keys);
  }
  OPENSSL_cleanse(next.data(), next.size());
  if (!ok)
    keys.wipe();
  return ok;
}

record_cipher::record_cipher(cipher_suite suite, const traffic_keys& keys, bool encrypt)
    : suite_(suite), keys_(keys), encrypt_(encrypt) {}

record_cipher::~record_cipher() { EVP_CIPHER_CTX_free(ctx_); }

void record_cipher::rekey() {
  EVP_CIPHER_CTX_free(ctx_);
  ctx_ = nullptr;
}

bool record_cipher::start(std::uint64_t sequence) {
  // RFC 8446 §5.3: the 64-bit sequence number, big-endian and left-padded
  // with zeros to the IV's length, XORed with the static IV.
  std::array<std::uint8_t, 12> nonce = keys_.iv;
  for (int i = 0; i < 8; ++i)
    nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
  bool ok;
  if (ctx_ == nullptr) {
    ctx_ = EVP_CIPHER_CTX_new();
    const EVP_CIPHER* cipher = cipher_of(suite_);
    ok = ctx_ != nullptr && cipher != nullptr
         && EVP_CipherInit_ex2(ctx_, cipher, keys_.key.data(), nonce.data(), encrypt_ ? 1 : 0,
                               nullptr)
                == 1;
  } else {
    // Same key: only the nonce changes, so the key schedule is reused.
    ok = EVP_CipherInit_ex2(ctx_, nullptr, nullptr, nonce.data(), encrypt_ ? 1 : 0, nullptr) == 1;
  }
  OPENSSL_cleanse(nonce.data(), nonce.size());
  return ok;
}

bool record_cipher::seal(std::uint64_t sequence, const std::uint8_t header[5],
                         const std::uint8_t* fragment, std::size_t size, std::uint8_t type,
                         std::uint8_t* out) {
  if (!encrypt_ || size > INT_MAX - 1 || !start(sequence)) {
    ERR_clear_error();
    return false;
  }
  int n = 0;
  int last = 0;
  bool ok = EVP_CipherUpdate(ctx_, nullptr, &n, header, 5) == 1;  // additional data (§5.2)
  if (ok && size > 0)
    ok = EVP_CipherUpdate(ctx_, out, &n, fragment, static_cast<int>(size)) == 1
         && static_cast<std::size_t>(n) == size;
  ok = ok && EVP_CipherUpdate(ctx_, out + size, &n, &type, 1) == 1 && n == 1
       && EVP_CipherFinal_ex(ctx_, out + size + 1, &last) == 1 && last == 0
       && EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, aead_tag_size, out + size + 1) == 1;
  if (!ok)
    ERR_clear_error();
  return ok;
}

bool record_cipher::open(std::uint64_t sequence, const std::uint8_t header[5],
                         const std::uint8_t* record, std::size_t size, std::uint8_t* out) {
  if (encrypt_ || size < aead_tag_size || size > INT_MAX || !start(sequence)) {
    ERR_clear_error();
    return false;
  }
  std::size_t body = size - aead_tag_size;
  int n = 0;
  int last = 0;
  bool ok = EVP_CipherUpdate(ctx_, nullptr, &n, header, 5) == 1;
  if (ok && body > 0)
    ok = EVP_CipherUpdate(ctx_, out, &n, record, static_cast<int>(body)) == 1
         && static_cast<std::size_t>(n) == body;
  ok = ok
       && EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, aead_tag_size,
                              const_cast<std::uint8_t*>(record + body))
              == 1
       && EVP_CipherFinal_ex(ctx_, out + body, &last) == 1 && last == 0;
  if (!ok)
    ERR_clear_error();
  return ok;
}

}  // namespace irsp::tls
