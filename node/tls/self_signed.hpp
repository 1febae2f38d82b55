// IRSP §9 / RFC 5280, RFC 6125: the node's own certificate, made self-signed on first start.
#pragma once

#include <string>

namespace irsp::tls {

/// What `ensure_certificate` did; `error` is empty on success.
struct certificate_status {
  /// True when a new key and certificate were written by this call.
  bool generated = false;
  /// Why the pair is unusable, naming the file; empty on success.
  std::string error;

  /// True on success.
  explicit operator bool() const { return error.empty(); }
};

/// Makes sure a usable certificate and private key exist at the given paths.
///
/// - Both files exist: they are loaded and checked (PEM parses, key matches
///   the certificate, certificate not expired); nothing is written.
/// - Neither exists: an EC P-256 key and a self-signed X.509 v3 certificate
///   for `domain` (CN and subjectAltName, valid two years, SHA-256) are
///   written, each atomically (temporary file, fsync, rename); the key file
///   has mode 0600. Missing parent directories are created.
/// - Only one exists: an error, since pairing a new half with an old one
///   would silently replace what an operator put there.
certificate_status ensure_certificate(const std::string& cert_path,
                                      const std::string& key_path,
                                      const std::string& domain);

}  // namespace irsp::tls
