// OpenSSL 3: owning handles for its C objects and its error queue as text (internal to node/tls).
#pragma once

#include <cstring>
#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace irsp::tls::detail {

template <class T, void (*Free)(T*)>
struct openssl_free {
  void operator()(T* p) const { Free(p); }
};

using bio_ptr = std::unique_ptr<BIO, openssl_free<BIO, BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_free<BIGNUM, BN_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_free<X509, X509_free>>;
using x509_extension_ptr =
    std::unique_ptr<X509_EXTENSION, openssl_free<X509_EXTENSION, X509_EXTENSION_free>>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, openssl_free<SSL_CTX, SSL_CTX_free>>;

/// Drains this thread's OpenSSL error queue into one line of reason strings
/// ("no start line; ..."); `fallback` when the queue was empty.
inline std::string drain_openssl_errors(const char* fallback = "unknown OpenSSL error") {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    const char* reason = ERR_SYSTEM_ERROR(code) ? std::strerror(ERR_GET_REASON(code))
                                                : ERR_reason_error_string(code);
    char buf[256];
    if (reason == nullptr) {
      ERR_error_string_n(code, buf, sizeof buf);
      reason = buf;
    }
    // OpenSSL often queues the same reason twice on its way up the stack.
    if (text.find(reason) != std::string::npos)
      continue;
    if (!text.empty())
      text += "; ";
    text += reason;
  }
  return text.empty() ? std::string(fallback) : text;
}

/// A password callback that refuses: an encrypted key must fail with an error
/// at startup, not block the node on a terminal prompt.
inline int refuse_password(char*, int, int, void*) { return 0; }

}  // namespace irsp::tls::detail
