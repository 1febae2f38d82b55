// IRSP §9 / RFC 5280, RFC 6125: the node's own certificate, made self-signed on first start.
#include "node/tls/self_signed.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "node/tls/openssl_handles.hpp"

namespace irsp::tls {

namespace {

namespace fs = std::filesystem;
using namespace detail;

// Long enough that a node left alone does not break soon, short enough that a
// key that leaked from a test box does not stay good for a decade.
constexpr long validity_days = 730;

// Devices often boot with a clock a little behind; a certificate that starts
// "now" would be refused by them for that long.
constexpr long backdate_seconds = 3600;

// RFC 5280 ub-common-name.
constexpr std::size_t max_common_name = 64;

bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-' || s.back() == '.'
      || s.find("..") != std::string_view::npos)
    return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '-' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

bool is_ip_literal(const std::string& s) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(s.c_str());
  if (ip == nullptr)
    return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

std::string errno_text() { return std::strerror(errno); }

std::string read_error(const char* what, const std::string& path) {
  return std::string("cannot read ") + what + " " + path + ": " + drain_openssl_errors();
}

std::string time_text(const ASN1_TIME* t) {
  bio_ptr out(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(out.get(), t);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string check_existing(const std::string& cert_path, const std::string& key_path) {
  ERR_clear_error();
  bio_ptr cert_in(BIO_new_file(cert_path.c_str(), "r"));
  if (!cert_in)
    return read_error("certificate", cert_path);
  x509_ptr cert(PEM_read_bio_X509(cert_in.get(), nullptr, refuse_password, nullptr));
  if (!cert)
    return read_error("certificate", cert_path);
  bio_ptr key_in(BIO_new_file(key_path.c_str(), "r"));
  if (!key_in)
    return read_error("private key", key_path);
  pkey_ptr key(PEM_read_bio_PrivateKey(key_in.get(), nullptr, refuse_password, nullptr));
  if (!key)
    return read_error("private key", key_path);
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return "private key " + key_path + " does not belong to certificate " + cert_path;
  }
  // Starting with an expired certificate would fail every client's handshake;
  // say so at startup rather than in each of a million connection logs.
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0)
    return "certificate " + cert_path + " expired on "
           + time_text(X509_get0_notAfter(cert.get()))
           + " (delete it and " + key_path + " to have a new self-signed one made)";
  return {};
}

std::string add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  x509_extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return std::string("cannot add ") + OBJ_nid2sn(nid) + " extension: " + drain_openssl_errors();
  return {};
}

std::string make_certificate(const std::string& domain, EVP_PKEY* key, x509_ptr& out) {
  x509_ptr cert(X509_new());
  bignum_ptr serial(BN_new());
  if (!cert || !serial)
    return "out of memory making certificate";
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; random so two nodes that
  // made certificates for the same domain never collide.
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1
      || BN_rand(serial.get(), 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1
      || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr
      || X509_gmtime_adj(X509_getm_notBefore(cert.get()), -backdate_seconds) == nullptr
      || X509_time_adj_ex(X509_getm_notAfter(cert.get()), validity_days, 0, nullptr) == nullptr
      || X509_set_pubkey(cert.get(), key) != 1)
    return "cannot fill certificate: " + drain_openssl_errors();

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
    if (auto err = add_extension(cert.get(), nid, value); !err.empty())
      return err;
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0)
    return "cannot sign certificate: " + drain_openssl_errors();
  out = std::move(cert);
  return {};
}

// Writes `data` to `path` so that a crash leaves either the old state or the
// complete new file, never a truncated one.
std::string write_atomically(const fs::path& path, const std::string& data, mode_t mode) {
  std::string tmp = path.string() + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return "cannot create " + tmp + ": " + errno_text();
  auto fail = [&](const std::string& what) {
    std::string err = what + " " + tmp + ": " + errno_text();
    ::close(fd);
    ::unlink(tmp.c_str());
    return err;
  };
  // mkstemp creates 0600 whatever the umask, so the key is never readable by
  // others, not even for a moment.
  if (::fchmod(fd, mode) != 0)
    return fail("cannot set mode of");
  for (std::size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0)
    return fail("cannot sync");
  if (::close(fd) != 0) {
    std::string err = "cannot close " + tmp + ": " + errno_text();
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = "cannot rename " + tmp + " to " + path.string() + ": " + errno_text();
    ::unlink(tmp.c_str());
    return err;
  }
  // The rename itself is durable only once the directory is synced.
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::string pem_of(bool (*write)(BIO*, void*), void* object, std::string& out) {
  bio_ptr mem(BIO_new(BIO_s_mem()));
  if (!mem || !write(mem.get(), object))
    return drain_openssl_errors();
  char* data = nullptr;
  long n = BIO_get_mem_data(mem.get(), &data);
  out.append(data, static_cast<std::size_t>(n));
  return {};
}

std::string create_parent(const fs::path& path) {
  if (!path.has_parent_path())
    return {};
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return "cannot create directory " + path.parent_path().string() + ": " + ec.message();
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
  auto write_key = [](BIO* b, void* k) {
    return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                    nullptr)
           == 1;
  };
  auto write_cert = [](BIO* b, void* c) { return PEM_write_bio_X509(b, static_cast<X509*>(c)) == 1; };
  if (auto err = pem_of(write_key, key.get(), key_pem); !err.empty())
    return "cannot encode private key: " + err;
  if (auto err = pem_of(write_cert, cert.get(), cert_pem); !err.empty())
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
