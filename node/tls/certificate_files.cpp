// RFC 5280 / RFC 7468: building X.509 certificates and keeping them in PEM files.
#include "node/tls/certificate_files.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace irsp::tls::detail {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

std::string read_error(const char* what, const std::string& path) {
  return std::string("cannot read ") + what + " " + path + ": " + drain_openssl_errors();
}

template <class Write>
std::string pem_with(Write write, std::string& out) {
  bio_ptr mem(BIO_new(BIO_s_mem()));
  if (!mem || !write(mem.get()))
    return drain_openssl_errors();
  char* data = nullptr;
  long n = BIO_get_mem_data(mem.get(), &data);
  out.append(data, static_cast<std::size_t>(n));
  return {};
}

}  // namespace

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

std::string time_text(const ASN1_TIME* t) {
  bio_ptr out(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(out.get(), t);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string load_certificate(const std::string& path, x509_ptr& out) {
  ERR_clear_error();
  bio_ptr in(BIO_new_file(path.c_str(), "r"));
  if (!in)
    return read_error("certificate", path);
  out.reset(PEM_read_bio_X509(in.get(), nullptr, refuse_password, nullptr));
  if (!out)
    return read_error("certificate", path);
  return {};
}

std::string load_private_key(const std::string& path, pkey_ptr& out) {
  ERR_clear_error();
  bio_ptr in(BIO_new_file(path.c_str(), "r"));
  if (!in)
    return read_error("private key", path);
  out.reset(PEM_read_bio_PrivateKey(in.get(), nullptr, refuse_password, nullptr));
  if (!out)
    return read_error("private key", path);
  return {};
}

std::string add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  x509_extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return std::string("cannot add ") + OBJ_nid2sn(nid) + " extension: " + drain_openssl_errors();
  return {};
}

std::string set_random_serial(X509* cert) {
  bignum_ptr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1
      || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr)
    return "cannot set serial number: " + drain_openssl_errors();
  return {};
}

std::string start_certificate(EVP_PKEY* key, long days, x509_ptr& out) {
  x509_ptr cert(X509_new());
  if (!cert)
    return "out of memory making certificate";
  if (auto err = set_random_serial(cert.get()); !err.empty())
    return err;
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1
      || X509_gmtime_adj(X509_getm_notBefore(cert.get()), -backdate_seconds) == nullptr
      || X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) == nullptr
      || X509_set_pubkey(cert.get(), key) != 1)
    return "cannot fill certificate: " + drain_openssl_errors();
  out = std::move(cert);
  return {};
}

std::string key_matches(const std::string& cert_path, X509* cert, const std::string& key_path,
                        EVP_PKEY* key) {
  if (X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return "private key " + key_path + " does not belong to certificate " + cert_path;
  }
  return {};
}

std::string pem_of(EVP_PKEY* key, std::string& out) {
  return pem_with(
      [key](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
      },
      out);
}

std::string pem_of(X509* cert, std::string& out) {
  return pem_with([cert](BIO* b) { return PEM_write_bio_X509(b, cert) == 1; }, out);
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
  // mkstemp creates 0600 whatever the umask, so a key is never readable by
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

}  // namespace irsp::tls::detail
