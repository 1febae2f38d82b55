// IRSP §9 / RFC 5280, RFC 6125: the node's own certificate, made self-signed on first start.
#include "node/tls/self_signed.hpp"

#include <filesystem>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "node/tls/certificate_files.hpp"

namespace irsp::tls {

namespace {

namespace fs = std::filesystem;
using namespace detail;

// Long enough that a node left alone does not break soon, short enough that a
// key that leaked from a test box does not stay good for a decade.
constexpr long validity_days = 730;

std::string check_existing(const std::string& cert_path, const std::string& key_path) {
  x509_ptr cert;
  if (auto err = load_certificate(cert_path, cert); !err.empty())
    return err;
  pkey_ptr key;
  if (auto err = load_private_key(key_path, key); !err.empty())
    return err;
  if (auto err = key_matches(cert_path, cert.get(), key_path, key.get()); !err.empty())
    return err;
  // Starting with an expired certificate would fail every client's handshake;
  // say so at startup rather than in each of a million connection logs.
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0)
    return "certificate " + cert_path + " expired on "
           + time_text(X509_get0_notAfter(cert.get()))
           + " (delete it and " + key_path + " to have a new self-signed one made)";
  return {};
}

std::string make_certificate(const std::string& domain, EVP_PKEY* key, x509_ptr& out) {
  // A random serial, so two nodes that made certificates for the same domain
  // never collide.
  x509_ptr cert;
  if (auto err = start_certificate(key, validity_days, cert); !err.empty())
    return err;

  bool has_cn = domain.size() <= max_common_name;
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (has_cn
      && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>(domain.c_str()),
                                    -1, -1, 0)
             != 1)
    return "cannot set certificate subject: " + drain_openssl_errors();
  if (X509_set_issuer_name(cert.get(), name) != 1)
    return "cannot set certificate issuer: " + drain_openssl_errors();

  // RFC 6125 §6.4.4: clients match the DNS-ID; the CN is for people reading
  // the certificate. With no CN the SAN must be critical (RFC 5280 §4.2.1.6).
  std::string san = (is_ip_literal(domain) ? "IP:" : "DNS:") + domain;
  if (!has_cn)
    san = "critical," + san;
  // CA:FALSE: this is a server's leaf. Browsers and some TLS stacks refuse a
  // CA certificate used as an end entity; OpenSSL still accepts the leaf as
  // its own trust anchor when a peer lists it in its CA file.
  // clientAuth too, so the same certificate can authenticate this AS on
  // mutually authenticated links to other ASs.
  for (auto [nid, value] : {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_key_usage, "critical,digitalSignature"},
                            {NID_ext_key_usage, "serverAuth,clientAuth"},
                            {NID_subject_key_identifier, "hash"},
                            {NID_subject_alt_name, san}}) {
    if (auto err = add_extension(cert.get(), cert.get(), nid, value); !err.empty())
      return err;
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0)
    return "cannot sign certificate: " + drain_openssl_errors();
  out = std::move(cert);
  return {};
}

std::string generate(const std::string& cert_path, const std::string& key_path,
                     const std::string& domain) {
  if (!is_dns_name(domain) && !is_ip_literal(domain))
    return "cannot make a certificate for \"" + domain
           + "\": not a DNS name (use the A-label form for international names) or IP address";
  ERR_clear_error();
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key)
    return "cannot generate EC P-256 key: " + drain_openssl_errors();
  x509_ptr cert;
  if (auto err = make_certificate(domain, key.get(), cert); !err.empty())
    return err;

  std::string key_pem;
  std::string cert_pem;
  if (auto err = pem_of(key.get(), key_pem); !err.empty())
    return "cannot encode private key: " + err;
  if (auto err = pem_of(cert.get(), cert_pem); !err.empty())
    return "cannot encode certificate: " + err;

  for (const auto& p : {cert_path, key_path})
    if (auto err = create_parent(p); !err.empty())
      return err;
  // One path for both is a combined PEM, as OpenSSL's loaders accept.
  if (fs::path(cert_path) == fs::path(key_path))
    return write_atomically(key_path, cert_pem + key_pem, 0600);
  // Key first: a crash between the two renames leaves only the key, which the
  // next start reports instead of serving a certificate without its key.
  if (auto err = write_atomically(key_path, key_pem, 0600); !err.empty())
    return err;
  return write_atomically(cert_path, cert_pem, 0644);
}

}  // namespace

certificate_status ensure_certificate(const std::string& cert_path, const std::string& key_path,
                                      const std::string& domain) {
  certificate_status status;
  std::error_code cert_ec;
  std::error_code key_ec;
  bool have_cert = fs::exists(cert_path, cert_ec);
  bool have_key = fs::exists(key_path, key_ec);
  // "Cannot tell" (a directory we may not search) must not read as "absent",
  // or we would try to make a new pair over one we cannot see.
  if (cert_ec || key_ec) {
    const auto& [path, ec] = cert_ec ? std::pair{cert_path, cert_ec} : std::pair{key_path, key_ec};
    status.error = "cannot check " + path + ": " + ec.message();
  } else if (have_cert && have_key) {
    status.error = check_existing(cert_path, key_path);
  } else if (!have_cert && !have_key) {
    status.error = generate(cert_path, key_path, domain);
    status.generated = status.error.empty();
  } else if (have_cert) {
    status.error = "certificate " + cert_path + " exists but its private key " + key_path
                   + " does not (restore the key, or delete both to have a new pair made)";
  } else {
    status.error = "private key " + key_path + " exists but its certificate " + cert_path
                   + " does not (restore the certificate, or delete both to have a new pair made)";
  }
  return status;
}

}  // namespace irsp::tls
