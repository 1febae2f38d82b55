// RFC 5280: the cluster CA and the node certificates it issues (node/tls/cluster_ca).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "node/tls/cluster_ca.hpp"
#include "temp_dir.hpp"

using irsp::test::read_file;
using irsp::test::temp_dir;
using namespace irsp::tls;

namespace {

unsigned file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

template <class T, void (*F)(T*)>
struct freer {
  void operator()(T* p) const { F(p); }
};
using x509_ptr = std::unique_ptr<X509, freer<X509, X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, freer<EVP_PKEY, EVP_PKEY_free>>;

x509_ptr load_cert(const std::string& path) {
  BIO* in = BIO_new_file(path.c_str(), "r");
  REQUIRE(in != nullptr);
  X509* x = PEM_read_bio_X509(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(x != nullptr);
  return x509_ptr(x);
}

pkey_ptr load_key(const std::string& path) {
  BIO* in = BIO_new_file(path.c_str(), "r");
  REQUIRE(in != nullptr);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(k != nullptr);
  return pkey_ptr(k);
}

void save_cert(const std::string& path, X509* x) {
  BIO* out = BIO_new_file(path.c_str(), "w");
  REQUIRE(out != nullptr);
  REQUIRE(PEM_write_bio_X509(out, x) == 1);
  BIO_free(out);
}

// X509_verify_cert of `leaf` against `anchor` alone, for `purpose`; the error
// code (X509_V_OK when it verifies).
int verify(X509* leaf, X509* anchor, int purpose) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, anchor);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  int ok = X509_verify_cert(ctx);
  int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok == 1 ? X509_V_OK : (err == X509_V_OK ? -1 : err);
}

std::vector<std::string> dns_names(X509* x) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_DNS)
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                         ASN1_STRING_length(n->d.dNSName));
  }
  GENERAL_NAMES_free(sans);
  return names;
}

// Days from now to a certificate time (negative: in the past).
int days_from_now(const ASN1_TIME* t) {
  int days = 0;
  int secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, t) == 1);
  return days;
}

}  // namespace

TEST_CASE("a cluster CA is a 10-year CA certificate with a private key", "[tls][cluster]") {
  temp_dir dir;
  auto ca_dir = dir / "ca";
  REQUIRE(create_cluster_ca(ca_dir, "IRSP cluster CA test") == "");
  auto ca = load_cert(ca_dir + "/ca.pem");
  auto key = load_key(ca_dir + "/ca-key.pem");
  CHECK(X509_check_private_key(ca.get(), key.get()) == 1);
  CHECK(EVP_PKEY_is_a(key.get(), "EC"));
  CHECK(X509_check_ca(ca.get()) != 0);
  CHECK((X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN) != 0);
  CHECK(X509_get_signature_nid(ca.get()) == NID_ecdsa_with_SHA256);
  int days = days_from_now(X509_get0_notAfter(ca.get()));
  CHECK(days >= 3649);
  CHECK(days <= 3650);
  CHECK(file_mode(ca_dir + "/ca-key.pem") == 0600);
  CHECK(file_mode(ca_dir) == 0700);
}

TEST_CASE("a node certificate chains to its CA and serves as TLS client and server",
          "[tls][cluster]") {
  temp_dir dir;
  REQUIRE(create_cluster_ca(dir / "ca", "IRSP cluster CA test") == "");
  REQUIRE(issue_node_certificate(dir / "ca", dir / "node1", "node1.example") == "");
  auto ca = load_cert(dir / "ca/ca.pem");
  auto leaf = load_cert(dir / "node1/node.pem");
  CHECK(read_file(dir / "node1/ca.pem") == read_file(dir / "ca/ca.pem"));
  CHECK(verify(leaf.get(), ca.get(), X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  CHECK(verify(leaf.get(), ca.get(), X509_PURPOSE_SSL_SERVER) == X509_V_OK);
  CHECK(X509_check_ca(leaf.get()) == 0);
  CHECK(X509_get_key_usage(leaf.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_get_extended_key_usage(leaf.get()) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK(dns_names(leaf.get()) == std::vector<std::string>{"node1.example"});
  int days = days_from_now(X509_get0_notAfter(leaf.get()));
  CHECK(days >= 729);
  CHECK(days <= 730);
  CHECK(X509_check_private_key(leaf.get(), load_key(dir / "node1/node-key.pem").get()) == 1);
  CHECK(file_mode(dir / "node1/node-key.pem") == 0600);
  CHECK(check_node_files(dir / "node1") == "");
  // Serial numbers are random: two nodes never share one.
  REQUIRE(issue_node_certificate(dir / "ca", dir / "node2", "node2.example") == "");
  auto other = load_cert(dir / "node2/node.pem");
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(leaf.get()),
                         X509_get0_serialNumber(other.get()))
        != 0);
  // The CA's key never goes to a node.
  CHECK_FALSE(std::filesystem::exists(dir / "node1/ca-key.pem"));
}

TEST_CASE("a certificate from another cluster's CA fails the check", "[tls][cluster]") {
  temp_dir dir;
  REQUIRE(create_cluster_ca(dir / "ca", "IRSP cluster CA one") == "");
  REQUIRE(create_cluster_ca(dir / "other-ca", "IRSP cluster CA two") == "");
  REQUIRE(issue_node_certificate(dir / "ca", dir / "node", "node.example") == "");
  REQUIRE(issue_node_certificate(dir / "other-ca", dir / "stranger", "node.example") == "");
  CHECK(verify(load_cert(dir / "stranger/node.pem").get(), load_cert(dir / "ca/ca.pem").get(),
               X509_PURPOSE_SSL_CLIENT)
        != X509_V_OK);
  // The stranger's certificate and key, with this cluster's CA.
  std::filesystem::copy_file(dir / "ca/ca.pem", dir / "stranger/ca.pem",
                             std::filesystem::copy_options::overwrite_existing);
  auto err = check_node_files(dir / "stranger");
  CHECK_THAT(err, Catch::Contains("node.pem does not verify against")
                      && Catch::Contains("unable to get local issuer certificate"));
}

TEST_CASE("check_node_files names a key that is not the certificate's, and an expired one",
          "[tls][cluster]") {
  temp_dir dir;
  REQUIRE(create_cluster_ca(dir / "ca", "IRSP cluster CA test") == "");
  REQUIRE(issue_node_certificate(dir / "ca", dir / "a", "a.example") == "");
  REQUIRE(issue_node_certificate(dir / "ca", dir / "b", "b.example") == "");
  std::filesystem::copy_file(dir / "b/node-key.pem", dir / "a/node-key.pem",
                             std::filesystem::copy_options::overwrite_existing);
  CHECK_THAT(check_node_files(dir / "a"),
             Catch::Contains("private key") && Catch::Contains("a/node-key.pem")
                 && Catch::Contains("does not belong"));

  // b's certificate re-signed by the CA with an end a day ago.
  auto leaf = load_cert(dir / "b/node.pem");
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(leaf.get()), -86400) != nullptr);
  REQUIRE(X509_sign(leaf.get(), load_key(dir / "ca/ca-key.pem").get(), EVP_sha256()) > 0);
  save_cert(dir / "b/node.pem", leaf.get());
  CHECK_THAT(check_node_files(dir / "b"),
             Catch::Contains("b/node.pem") && Catch::Contains("expired on"));
  CHECK_THAT(check_node_files(dir / "missing"), Catch::Contains("missing/ca.pem"));
}

TEST_CASE("the CA and node certificates are never overwritten", "[tls][cluster]") {
  temp_dir dir;
  REQUIRE(create_cluster_ca(dir / "ca", "IRSP cluster CA test") == "");
  auto ca_pem = read_file(dir / "ca/ca.pem");
  CHECK_THAT(create_cluster_ca(dir / "ca", "IRSP cluster CA again"),
             Catch::Contains("ca/ca.pem exists"));
  CHECK(read_file(dir / "ca/ca.pem") == ca_pem);
  // The key alone is enough to refuse: a new certificate beside an old key
  // would pair halves of two CAs.
  std::filesystem::remove(dir / "ca/ca.pem");
  CHECK_THAT(create_cluster_ca(dir / "ca", "IRSP cluster CA again"),
             Catch::Contains("ca/ca-key.pem exists"));

  temp_dir dir2;
  REQUIRE(create_cluster_ca(dir2 / "ca", "IRSP cluster CA test") == "");
  REQUIRE(issue_node_certificate(dir2 / "ca", dir2 / "n", "n.example") == "");
  auto node_pem = read_file(dir2 / "n/node.pem");
  CHECK_THAT(issue_node_certificate(dir2 / "ca", dir2 / "n", "n.example"),
             Catch::Contains("n/ca.pem exists"));
  CHECK(read_file(dir2 / "n/node.pem") == node_pem);
  std::filesystem::remove(dir2 / "n/ca.pem");
  std::filesystem::remove(dir2 / "n/node.pem");
  CHECK_THAT(issue_node_certificate(dir2 / "ca", dir2 / "n", "n.example"),
             Catch::Contains("n/node-key.pem exists"));
}

TEST_CASE("issuing needs a CA directory with a matching CA certificate and key",
          "[tls][cluster]") {
  temp_dir dir;
  CHECK_THAT(issue_node_certificate(dir / "nowhere", dir / "n", "n.example"),
             Catch::Contains("nowhere/ca.pem"));
  CHECK_FALSE(std::filesystem::exists(dir / "n"));
  REQUIRE(create_cluster_ca(dir / "ca", "IRSP cluster CA test") == "");
  REQUIRE(issue_node_certificate(dir / "ca", dir / "n", "n.example") == "");
  // A node's directory is no CA: its certificate is not a CA's.
  std::filesystem::create_directories(dir / "fake");
  std::filesystem::copy_file(dir / "n/node.pem", dir / "fake/ca.pem");
  std::filesystem::copy_file(dir / "n/node-key.pem", dir / "fake/ca-key.pem");
  CHECK_THAT(issue_node_certificate(dir / "fake", dir / "m", "m.example"),
             Catch::Contains("is not a CA certificate"));
  CHECK_THAT(issue_node_certificate(dir / "ca", dir / "m", "bad name!"),
             Catch::Contains("not a DNS name"));
}
