// RFC 5280: the certificate authority of one AS's cluster and the node certificates it issues.
#include "node/tls/cluster_ca.hpp"

#include <filesystem>
#include <utility>
#include <vector>

#include <openssl/x509v3.h>

#include "node/tls/certificate_files.hpp"

namespace irsp::tls {

namespace {

namespace fs = std::filesystem;
using namespace detail;

// A CA outlives many node certificates; replacing it means reissuing every
// node's certificate at once, so it is made rarely.
constexpr long ca_validity_days = 3650;

// As the node's own XMPP certificate: a leaked node key stops working soon.
constexpr long node_validity_days = 730;

// The first of `paths` that exists (or cannot be checked), as an error line.
std::string refuse_existing(const std::vector<fs::path>& paths) {
  for (const auto& p : paths) {
    std::error_code ec;
    bool there = fs::exists(p, ec);
    // "Cannot tell" must not read as "absent", or we would write over a file
    // we cannot see.
    if (ec)
      return "cannot check " + p.string() + ": " + ec.message();
    if (there)
      return p.string() + " exists; refusing to overwrite it";
  }
  return {};
}

std::string set_common_name(X509_NAME* name, const std::string& cn) {
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0)
      != 1)
    return "cannot set certificate subject: " + drain_openssl_errors();
  return {};
}

std::string add_extensions(X509* cert, X509* issuer,
                           const std::vector<std::pair<int, std::string>>& exts) {
  for (const auto& [nid, value] : exts)
    if (auto err = add_extension(cert, issuer, nid, value); !err.empty())
      return err;
  return {};
}

std::string expired(const std::string& path, X509* cert) {
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
    return "certificate " + path + " expired on " + time_text(X509_get0_notAfter(cert));
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
    return "certificate " + path + " is not valid before "
           + time_text(X509_get0_notBefore(cert)) + " (is this machine's clock right?)";
  return {};
}

// Key first: a crash between the renames leaves a key without its
// certificate, which the next run reports instead of overwriting.
std::string write_pair(const fs::path& key_path, EVP_PKEY* key, const fs::path& cert_path,
                       X509* cert) {
  std::string key_pem;
  std::string cert_pem;
  if (auto err = pem_of(key, key_pem); !err.empty())
    return "cannot encode private key: " + err;
  if (auto err = pem_of(cert, cert_pem); !err.empty())
    return "cannot encode certificate: " + err;
  if (auto err = write_atomically(key_path, key_pem, 0600); !err.empty())
    return err;
  return write_atomically(cert_path, cert_pem, 0644);
}

std::string make_directory(const fs::path& dir, fs::perms perms) {
  std::error_code ec;
  if (fs::create_directories(dir, ec))
    fs::permissions(dir, perms, ec);
  if (ec)
    return "cannot create directory " + dir.string() + ": " + ec.message();
  return {};
}

}  // namespace

std::string create_cluster_ca(const std::string& dir, const std::string& name) {
  fs::path cert_path = fs::path(dir) / cluster_ca_cert_file;
  fs::path key_path = fs::path(dir) / cluster_ca_key_file;
  if (auto err = refuse_existing({cert_path, key_path}); !err.empty())
    return err;
  if (name.empty() || name.size() > max_common_name)
    return "cannot make a cluster CA named \"" + name + "\": a name is 1 to 64 characters";
  ERR_clear_error();
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key)
    return "cannot generate EC P-256 key: " + drain_openssl_errors();
  x509_ptr cert;
  if (auto err = start_certificate(key.get(), ca_validity_days, cert); !err.empty())
    return err;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (auto err = set_common_name(subject, name); !err.empty())
    return err;
  if (X509_set_issuer_name(cert.get(), subject) != 1)
    return "cannot set certificate issuer: " + drain_openssl_errors();
  // pathlen:0: the CA signs node certificates only, never another CA, so a
  // stolen node key cannot mint certificates even if CA:FALSE were ignored.
  if (auto err = add_extensions(cert.get(), cert.get(),
                                {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                 {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                 {NID_subject_key_identifier, "hash"}});
      !err.empty())
    return err;
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
    return "cannot sign certificate: " + drain_openssl_errors();
  // 0700: the directory holds the one key that can admit a node to the cluster.
  if (auto err = make_directory(dir, fs::perms::owner_all); !err.empty())
    return err;
  return write_pair(key_path, key.get(), cert_path, cert.get());
}

std::string check_node_name(const std::string& node_name) {
  if (!is_dns_name(node_name))
    return "cannot make a certificate for node \"" + node_name
           + "\": not a DNS name (letters, digits, '-' and '.')";
  return {};
}

std::string issue_node_certificate(const std::string& ca_dir, const std::string& out_dir,
                                   const std::string& node_name) {
  fs::path ca_cert_path = fs::path(ca_dir) / cluster_ca_cert_file;
  fs::path ca_key_path = fs::path(ca_dir) / cluster_ca_key_file;
  fs::path out_ca = fs::path(out_dir) / node_ca_file;
  fs::path out_cert = fs::path(out_dir) / node_cert_file;
  fs::path out_key = fs::path(out_dir) / node_key_file;
  if (auto err = refuse_existing({out_ca, out_cert, out_key}); !err.empty())
    return err;
  if (auto err = check_node_name(node_name); !err.empty())
    return err;

  x509_ptr ca;
  pkey_ptr ca_key;
  if (auto err = load_certificate(ca_cert_path.string(), ca); !err.empty())
    return err;
  if (auto err = load_private_key(ca_key_path.string(), ca_key); !err.empty())
    return err;
  if (auto err = key_matches(ca_cert_path.string(), ca.get(), ca_key_path.string(), ca_key.get());
      !err.empty())
    return err;
  if (X509_check_ca(ca.get()) == 0)
    return "certificate " + ca_cert_path.string() + " is not a CA certificate";
  if (auto err = expired(ca_cert_path.string(), ca.get()); !err.empty())
    return err;

  ERR_clear_error();
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key)
    return "cannot generate EC P-256 key: " + drain_openssl_errors();
  x509_ptr cert;
  if (auto err = start_certificate(key.get(), node_validity_days, cert); !err.empty())
    return err;
  if (node_name.size() <= max_common_name)
    if (auto err = set_common_name(X509_get_subject_name(cert.get()), node_name); !err.empty())
      return err;
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) != 1)
    return "cannot set certificate issuer: " + drain_openssl_errors();
  // With no CN the SAN must be critical (RFC 5280 §4.2.1.6). Both EKUs: each
  // node is a TLS server to the nodes that connect to it and a client of the
  // nodes it connects to.
  std::string san = "DNS:" + node_name;
  if (node_name.size() > max_common_name)
    san = "critical," + san;
  if (auto err = add_extensions(cert.get(), ca.get(),
                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                 {NID_key_usage, "critical,digitalSignature"},
                                 {NID_ext_key_usage, "serverAuth,clientAuth"},
                                 {NID_subject_key_identifier, "hash"},
                                 {NID_authority_key_identifier, "keyid:always"},
                                 {NID_subject_alt_name, san}});
      !err.empty())
    return err;
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0)
    return "cannot sign certificate: " + drain_openssl_errors();

  std::string ca_pem;
  if (auto err = pem_of(ca.get(), ca_pem); !err.empty())
    return "cannot encode certificate: " + err;
  if (auto err = make_directory(out_dir, fs::perms::owner_all); !err.empty())
    return err;
  if (auto err = write_pair(out_key, key.get(), out_cert, cert.get()); !err.empty())
    return err;
  return write_atomically(out_ca, ca_pem, 0644);
}

std::string check_node_files(const std::string& dir) {
  std::string ca_path = (fs::path(dir) / node_ca_file).string();
  std::string cert_path = (fs::path(dir) / node_cert_file).string();
  std::string key_path = (fs::path(dir) / node_key_file).string();
  x509_ptr ca;
  x509_ptr cert;
  pkey_ptr key;
  if (auto err = load_certificate(ca_path, ca); !err.empty())
    return err;
  if (auto err = load_certificate(cert_path, cert); !err.empty())
    return err;
  if (auto err = load_private_key(key_path, key); !err.empty())
    return err;
  if (auto err = key_matches(cert_path, cert.get(), key_path, key.get()); !err.empty())
    return err;
  // Named first, as X509_verify_cert would only say "certificate has expired".
  for (auto& [path, x] : {std::pair{ca_path, ca.get()}, std::pair{cert_path, cert.get()}})
    if (auto err = expired(path, x); !err.empty())
      return err;

  // The same checks a peer's TLS stack makes: chain to the CA, then each
  // purpose this certificate serves on a cluster link.
  std::unique_ptr<X509_STORE, openssl_free<X509_STORE, X509_STORE_free>> store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), ca.get()) != 1)
    return "cannot use " + ca_path + " as trust anchor: " + drain_openssl_errors();
  for (int purpose : {X509_PURPOSE_SSL_CLIENT, X509_PURPOSE_SSL_SERVER}) {
    std::unique_ptr<X509_STORE_CTX, openssl_free<X509_STORE_CTX, X509_STORE_CTX_free>> ctx(
        X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1
        || X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1)
      return "cannot verify " + cert_path + ": " + drain_openssl_errors();
    if (X509_verify_cert(ctx.get()) != 1) {
      ERR_clear_error();
      return "certificate " + cert_path + " does not verify against " + ca_path + ": "
             + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    }
  }
  return {};
}

}  // namespace irsp::tls
