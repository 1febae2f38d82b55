// RFC 5280, RFC 6125: the node's self-signed certificate on first start.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "node/tls/self_signed.hpp"
#include "temp_dir.hpp"

using irsp::tls::ensure_certificate;
using irsp::test::read_file;
using irsp::test::temp_dir;
using irsp::test::write_file;

namespace {

unsigned file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

struct x509_deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

x509_ptr load_cert(const std::string& path) {
  BIO* in = BIO_new_file(path.c_str(), "r");
  REQUIRE(in != nullptr);
  X509* x = PEM_read_bio_X509(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(x != nullptr);
  return x509_ptr(x);
}

std::vector<std::string> dns_names(X509* x) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_DNS)
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                         ASN1_STRING_length(n->d.dNSName));
  }
  GENERAL_NAMES_free(sans);
  return names;
}

}  // namespace

TEST_CASE("a first start makes a key and certificate, a second start reuses them", "[tls][cert]") {
  temp_dir dir;
  auto cert = dir.file("certs/node.crt");
  auto key = dir.file("certs/node.key");

  auto first = ensure_certificate(cert, key, "as1.example");
  REQUIRE(first);
  CHECK(first.generated);
  auto cert_bytes = read_file(cert);
  auto key_bytes = read_file(key);
  CHECK(cert_bytes.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(key_bytes.find("BEGIN PRIVATE KEY") != std::string::npos);

  auto second = ensure_certificate(cert, key, "as1.example");
  REQUIRE(second);
  CHECK_FALSE(second.generated);
  CHECK(read_file(cert) == cert_bytes);
  CHECK(read_file(key) == key_bytes);
}

TEST_CASE("the private key is readable by its owner only", "[tls][cert]") {
  temp_dir dir;
  auto cert = dir.file("node.crt");
  auto key = dir.file("node.key");
  REQUIRE(ensure_certificate(cert, key, "as1.example"));
  CHECK(file_mode(key) == 0600);
  CHECK(file_mode(cert) == 0644);
}

TEST_CASE("no temporary files are left beside the pair", "[tls][cert]") {
  temp_dir dir;
  REQUIRE(ensure_certificate(dir.file("node.crt"), dir.file("node.key"), "as1.example"));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"node.crt", "node.key"});
}

TEST_CASE("the certificate names the domain and is a two-year P-256 leaf", "[tls][cert]") {
  temp_dir dir;
  auto cert_path = dir.file("node.crt");
  REQUIRE(ensure_certificate(cert_path, dir.file("node.key"), "as1.example"));
  auto cert = load_cert(cert_path);

  CHECK(X509_get_version(cert.get()) == X509_VERSION_3);
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  CHECK(std::string(cn) == "as1.example");
  CHECK(dns_names(cert.get()) == std::vector<std::string>{"as1.example"});
  CHECK(X509_check_host(cert.get(), "as1.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "other.example", 0, 0, nullptr) != 1);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(X509_get_signature_nid(cert.get()) == NID_ecdsa_with_SHA256);

  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  REQUIRE(key != nullptr);
  char group[64] = {};
  std::size_t group_len = 0;
  EVP_PKEY_get_group_name(key, group, sizeof group, &group_len);
  CHECK(std::string(group) == "prime256v1");

  int days = 0;
  int seconds = 0;
  REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                         X509_get0_notAfter(cert.get()))
          == 1);
  CHECK(days >= 729);
  CHECK(days <= 731);
}

TEST_CASE("two generated certificates have different serial numbers", "[tls][cert]") {
  temp_dir dir;
  REQUIRE(ensure_certificate(dir.file("a.crt"), dir.file("a.key"), "as1.example"));
  REQUIRE(ensure_certificate(dir.file("b.crt"), dir.file("b.key"), "as1.example"));
  auto a = load_cert(dir.file("a.crt"));
  auto b = load_cert(dir.file("b.crt"));
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())) != 0);
}

TEST_CASE("an IP address as domain gets an IP subjectAltName", "[tls][cert]") {
  temp_dir dir;
  auto cert_path = dir.file("node.crt");
  REQUIRE(ensure_certificate(cert_path, dir.file("node.key"), "127.0.0.1"));
  auto cert = load_cert(cert_path);
  CHECK(X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1);
}

TEST_CASE("a key without its certificate is an error naming both", "[tls][cert]") {
  temp_dir dir;
  auto cert = dir.file("node.crt");
  auto key = dir.file("node.key");
  REQUIRE(ensure_certificate(cert, key, "as1.example"));
  auto key_bytes = read_file(key);

  std::filesystem::remove(cert);
  auto status = ensure_certificate(cert, key, "as1.example");
  CHECK_FALSE(status);
  CHECK_FALSE(status.generated);
  CHECK(status.error.find(cert) != std::string::npos);
  CHECK(status.error.find(key) != std::string::npos);
  CHECK(read_file(key) == key_bytes);
  CHECK_FALSE(std::filesystem::exists(cert));
}

TEST_CASE("a certificate without its key is an error naming both", "[tls][cert]") {
  temp_dir dir;
  auto cert = dir.file("node.crt");
  auto key = dir.file("node.key");
  REQUIRE(ensure_certificate(cert, key, "as1.example"));
  std::filesystem::remove(key);
  auto status = ensure_certificate(cert, key, "as1.example");
  CHECK_FALSE(status);
  CHECK(status.error.find(cert) != std::string::npos);
  CHECK(status.error.find(key) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(key));
}

TEST_CASE("a garbage certificate or key file is an error naming it", "[tls][cert]") {
  temp_dir dir;
  auto cert = dir.file("node.crt");
  auto key = dir.file("node.key");
  REQUIRE(ensure_certificate(cert, key, "as1.example"));
  auto good_cert = read_file(cert);

  SECTION("certificate") {
    write_file(cert, "this is not a certificate\n");
    auto status = ensure_certificate(cert, key, "as1.example");
    CHECK_FALSE(status);
    CHECK(status.error.find(cert) != std::string::npos);
  }
  SECTION("key") {
    write_file(key, std::string("\x00\x01\x02garbage", 10));
    auto status = ensure_certificate(cert, key, "as1.example");
    CHECK_FALSE(status);
    CHECK(status.error.find(key) != std::string::npos);
  }
  SECTION("a certificate in place of the key") {
    write_file(key, good_cert);
    auto status = ensure_certificate(cert, key, "as1.example");
    CHECK_FALSE(status);
    CHECK(status.error.find(key) != std::string::npos);
  }
}

TEST_CASE("a key from another pair is refused", "[tls][cert]") {
  temp_dir dir;
  REQUIRE(ensure_certificate(dir.file("a.crt"), dir.file("a.key"), "as1.example"));
  REQUIRE(ensure_certificate(dir.file("b.crt"), dir.file("b.key"), "as1.example"));
  auto status = ensure_certificate(dir.file("a.crt"), dir.file("b.key"), "as1.example");
  CHECK_FALSE(status);
  CHECK(status.error.find("does not belong") != std::string::npos);
}

TEST_CASE("a domain that cannot be a certificate name is refused", "[tls][cert]") {
  temp_dir dir;
  auto cert = dir.file("node.crt");
  auto key = dir.file("node.key");
  for (std::string bad : {"", "as1.example.", "as1..example", "as1.example,DNS:evil.example", "has space.example", "ünï.example"}) {
    auto status = ensure_certificate(cert, key, bad);
    CHECK_FALSE(status);
    CHECK_FALSE(std::filesystem::exists(cert));
    CHECK_FALSE(std::filesystem::exists(key));
  }
}

TEST_CASE("an unwritable directory is an error, not a half-written pair", "[tls][cert]") {
  if (::geteuid() == 0)
    return;  // root writes anywhere
  temp_dir dir;
  std::filesystem::create_directory(dir.file("ro"));
  std::filesystem::permissions(dir.file("ro"), std::filesystem::perms::owner_read
                                                   | std::filesystem::perms::owner_exec);
  auto status = ensure_certificate(dir.file("ro/node.crt"), dir.file("ro/node.key"), "as1.example");
  CHECK_FALSE(status);
  CHECK(status.error.find(dir.file("ro")) != std::string::npos);
  std::filesystem::permissions(dir.file("ro"), std::filesystem::perms::owner_all);
}

TEST_CASE("one path for both makes a combined PEM file that loads again", "[tls][cert]") {
  temp_dir dir;
  auto both = dir.file("node.pem");
  auto first = ensure_certificate(both, both, "as1.example");
  REQUIRE(first);
  CHECK(first.generated);
  CHECK(file_mode(both) == 0600);
  auto second = ensure_certificate(both, both, "as1.example");
  CHECK(second);
  CHECK_FALSE(second.generated);
}

TEST_CASE("an expired certificate is an error that says how to renew it", "[tls][cert]") {
  temp_dir dir;
  auto cert_path = dir.file("node.crt");
  auto key_path = dir.file("node.key");
  REQUIRE(ensure_certificate(cert_path, key_path, "as1.example"));

  // Re-sign the same certificate with a validity period that has passed.
  auto cert = load_cert(cert_path);
  BIO* key_in = BIO_new_file(key_path.c_str(), "r");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_in, nullptr, nullptr, nullptr);
  BIO_free(key_in);
  REQUIRE(key != nullptr);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -2 * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), -86400);
  REQUIRE(X509_sign(cert.get(), key, EVP_sha256()) > 0);
  EVP_PKEY_free(key);
  BIO* out = BIO_new_file(cert_path.c_str(), "w");
  PEM_write_bio_X509(out, cert.get());
  BIO_free(out);

  auto status = ensure_certificate(cert_path, key_path, "as1.example");
  CHECK_FALSE(status);
  CHECK(status.error.find("expired") != std::string::npos);
  CHECK(status.error.find(cert_path) != std::string::npos);
}
