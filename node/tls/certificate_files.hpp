// RFC 5280 / RFC 7468: building X.509 certificates and keeping them in PEM files (internal to node/tls).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "node/tls/openssl_handles.hpp"

namespace irsp::tls::detail {

/// Clocks of freshly booted machines and devices lag a little; a certificate
/// that starts "now" would be refused by such a peer for that long.
constexpr long backdate_seconds = 3600;

/// RFC 5280 ub-common-name.
constexpr std::size_t max_common_name = 64;

/// True for a host name an X.509 dNSName may carry (LDH labels, no empty label).
bool is_dns_name(std::string_view s);

/// True for an IPv4 or IPv6 literal.
bool is_ip_literal(const std::string& s);

/// An ASN1_TIME as OpenSSL prints it ("Jan  1 00:00:00 2030 GMT").
std::string time_text(const ASN1_TIME* t);

/// Loads the first certificate of a PEM file; an error naming the file, or "".
std::string load_certificate(const std::string& path, x509_ptr& out);

/// Loads an unencrypted PEM private key; an error naming the file, or "".
std::string load_private_key(const std::string& path, pkey_ptr& out);

/// Adds one v3 extension in OpenSSL's config syntax ("critical,CA:FALSE");
/// `issuer` is the signer, for authorityKeyIdentifier (the cert itself when
/// self-signed). An error, or "".
std::string add_extension(X509* cert, X509* issuer, int nid, const std::string& value);

/// Sets a random positive 159-bit serial (RFC 5280 §4.1.2.2: at most 20
/// octets), so two certificates from one issuer never collide; an error, or "".
std::string set_random_serial(X509* cert);

/// A v3 certificate for `key` with a random serial, valid from
/// `backdate_seconds` ago for `days`; subject, issuer and extensions are the
/// caller's. An error, or "".
std::string start_certificate(EVP_PKEY* key, long days, x509_ptr& out);

/// "" when `key` belongs to `cert`, else an error naming both files.
std::string key_matches(const std::string& cert_path, X509* cert, const std::string& key_path,
                        EVP_PKEY* key);

/// PEM text of a key (unencrypted PKCS#8) or a certificate; an error, or "".
std::string pem_of(EVP_PKEY* key, std::string& out);
std::string pem_of(X509* cert, std::string& out);

/// Creates the missing parents of `path`; an error, or "".
std::string create_parent(const std::filesystem::path& path);

/// Writes `data` to `path` so that a crash leaves either the old state or the
/// complete new file, never a truncated one (temporary file with `mode` from
/// its creation on, fsync, rename, fsync of the directory); an error, or "".
std::string write_atomically(const std::filesystem::path& path, const std::string& data,
                             mode_t mode);

}  // namespace irsp::tls::detail
