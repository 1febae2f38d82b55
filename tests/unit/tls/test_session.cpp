// RFC 5246/8446, RFC 9266, RFC 5929: TLS sessions over memory BIOs, server and client in one
// process with the bytes carried between them by the test, as a transport would.
#include <catch2/catch.hpp>

#include <malloc.h>

#include <random>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "node/tls/self_signed.hpp"
#include "node/tls/tls_context.hpp"
#include "temp_dir.hpp"

using irsp::tls::client_context;
using irsp::tls::client_options;
using irsp::tls::ensure_certificate;
using irsp::tls::server_context;
using irsp::tls::server_options;
using irsp::tls::session;
using irsp::test::temp_dir;
using irsp::test::write_file;

namespace {

constexpr const char* domain = "as1.example";

// Delivers `bytes` to `to` in pieces of `piece` bytes, as reads from a socket
// would, reading plaintext after each.
void deliver(const std::string& bytes, session& to, std::string& got, std::size_t piece) {
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    to.feed_ciphertext(bytes.data() + at, std::min(piece, bytes.size() - at));
    to.read_plaintext(got);
  }
}

// Carries ciphertext both ways until neither side has anything left to send.
void pump(session& client, session& server, std::string& client_got, std::string& server_got,
          std::size_t piece = 4096) {
  for (int round = 0; round < 100000; ++round) {
    std::string to_server;
    std::string to_client;
    client.take_ciphertext(to_server);
    server.take_ciphertext(to_client);
    if (to_server.empty() && to_client.empty())
      return;
    deliver(to_server, server, server_got, piece);
    deliver(to_client, client, client_got, piece);
  }
  FAIL("the two sessions never stopped talking");
}

void pump(session& client, session& server) {
  std::string ignored_c;
  std::string ignored_s;
  pump(client, server, ignored_c, ignored_s);
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(gen());
  return out;
}

// A server certificate for `domain`, a second unrelated one, and contexts
// that trust the first.
struct tls_fixture {
  temp_dir dir;
  std::string cert = dir.file("server.crt");
  std::string key = dir.file("server.key");
  std::string other_cert = dir.file("other.crt");
  std::string other_key = dir.file("other.key");

  tls_fixture() {
    REQUIRE(ensure_certificate(cert, key, domain));
    REQUIRE(ensure_certificate(other_cert, other_key, "other.example"));
  }

  server_context make_server(server_options opts = {}) {
    opts.cert_file = cert;
    opts.key_file = key;
    std::string error;
    auto ctx = server_context::create(opts, error);
    INFO(error);
    REQUIRE(ctx);
    return *ctx;
  }

  client_context make_client(client_options opts = {}) {
    if (opts.ca_file.empty())
      opts.ca_file = cert;  // the self-signed leaf is its own trust anchor
    std::string error;
    auto ctx = client_context::create(opts, error);
    INFO(error);
    REQUIRE(ctx);
    return *ctx;
  }
};

}  // namespace

TEST_CASE_METHOD(tls_fixture, "a client and a server complete a TLS 1.3 handshake", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session(domain);
  CHECK_FALSE(client.handshake_done());
  CHECK(client.pending_ciphertext() > 0);  // the ClientHello

  pump(client, server);

  INFO("client: " << client.error() << " server: " << server.error());
  REQUIRE(client.handshake_done());
  REQUIRE(server.handshake_done());
  CHECK_FALSE(client.failed());
  CHECK_FALSE(server.failed());
  CHECK(client.protocol_version() == "TLSv1.3");
  CHECK(server.protocol_version() == "TLSv1.3");
  CHECK(client.cipher() == server.cipher());
  CHECK(server.server_name() == domain);
  CHECK(client.peer_verified());
  CHECK_FALSE(server.peer_verified());  // no client certificate asked for
  CHECK_FALSE(client.resumed());
}

TEST_CASE_METHOD(tls_fixture, "data crosses both ways, small and 1 MB", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session(domain);
  std::string client_got;
  std::string server_got;
  pump(client, server, client_got, server_got);
  REQUIRE(server.handshake_done());

  REQUIRE(client.write_plaintext("<stream:stream to='as1.example'>"));
  pump(client, server, client_got, server_got);
  CHECK(server_got == "<stream:stream to='as1.example'>");

  REQUIRE(server.write_plaintext("<stream:stream from='as1.example'>"));
  pump(client, server, client_got, server_got);
  CHECK(client_got == "<stream:stream from='as1.example'>");

  auto up = random_bytes(1 << 20, 1);
  auto down = random_bytes(1 << 20, 2);
  server_got.clear();
  client_got.clear();
  REQUIRE(client.write_plaintext(up));
  REQUIRE(server.write_plaintext(down));
  // Odd-sized pieces so records are split across feeds.
  pump(client, server, client_got, server_got, 1237);
  CHECK(server_got.size() == up.size());
  CHECK(server_got == up);
  CHECK(client_got.size() == down.size());
  CHECK(client_got == down);
  CHECK_FALSE(client.failed());
  CHECK_FALSE(server.failed());
}

TEST_CASE_METHOD(tls_fixture, "plaintext written during the handshake is sent after it", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session(domain);
  REQUIRE(client.write_plaintext("early"));
  std::string client_got;
  std::string server_got;
  pump(client, server, client_got, server_got);
  CHECK(server_got == "early");
}

TEST_CASE_METHOD(tls_fixture, "both ends agree on tls-exporter channel binding", "[tls][session]") {
  auto server_ctx = make_server();
  auto server = server_ctx.new_session();

  SECTION("TLS 1.3") {
    auto client_ctx = make_client();
    auto client = client_ctx.new_session(domain);
    CHECK_FALSE(client.tls_exporter());  // nothing to bind before the handshake
    pump(client, server);
    auto c = client.tls_exporter();
    auto s = server.tls_exporter();
    REQUIRE(c);
    REQUIRE(s);
    CHECK(c->size() == 32);
    CHECK(*c == *s);
    // tls-unique on TLS 1.3 (undefined by RFC 8446) as OpenSSL-based clients
    // compute it: the client's Finished, a hash's length.
    auto cu = client.tls_unique();
    auto su = server.tls_unique();
    REQUIRE(cu);
    REQUIRE(su);
    CHECK(cu->size() >= 32);
    CHECK(*cu == *su);
  }
  SECTION("TLS 1.2, where tls-unique is defined too") {
    auto client_ctx = make_client();
    SSL_CTX_set_max_proto_version(client_ctx.native_handle(), TLS1_2_VERSION);
    auto client = client_ctx.new_session(domain);
    pump(client, server);
    REQUIRE(server.protocol_version() == "TLSv1.2");
    auto c = client.tls_exporter();
    auto s = server.tls_exporter();
    REQUIRE(c);
    REQUIRE(s);
    CHECK(c->size() == 32);
    CHECK(*c == *s);
    auto cu = client.tls_unique();
    auto su = server.tls_unique();
    REQUIRE(cu);
    REQUIRE(su);
    CHECK(cu->size() == 12);
    CHECK(*cu == *su);
  }
}

TEST_CASE_METHOD(tls_fixture, "two connections have different channel bindings", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto s1 = server_ctx.new_session();
  auto c1 = client_ctx.new_session(domain);
  auto s2 = server_ctx.new_session();
  auto c2 = client_ctx.new_session(domain);
  pump(c1, s1);
  pump(c2, s2);
  REQUIRE(s1.tls_exporter());
  REQUIRE(s2.tls_exporter());
  CHECK(*s1.tls_exporter() != *s2.tls_exporter());
  REQUIRE(s1.tls_unique());
  REQUIRE(s2.tls_unique());
  CHECK(*s1.tls_unique() != *s2.tls_unique());
  // tls-server-end-point names the certificate, not the connection.
  REQUIRE(s1.tls_server_end_point());
  CHECK(*s1.tls_server_end_point() == *s2.tls_server_end_point());
}

TEST_CASE_METHOD(tls_fixture, "tls-server-end-point is the SHA-256 of the server's certificate",
                 "[tls][session]") {
  auto server_ctx = make_server();
  auto server = server_ctx.new_session();
  auto client_ctx = make_client();
  auto client = client_ctx.new_session(domain);
  CHECK_FALSE(server.tls_server_end_point());  // nothing before the handshake
  pump(client, server);
  auto s = server.tls_server_end_point();
  auto c = client.tls_server_end_point();
  REQUIRE(s);
  REQUIRE(c);
  CHECK(*s == *c);
  // RFC 5929 §4.1, computed here from the certificate file's DER bytes: our
  // self-signed certificate is signed with ECDSA-SHA-256.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(cert.c_str(), "r"), BIO_free);
  REQUIRE(bio);
  std::unique_ptr<X509, decltype(&X509_free)> x(PEM_read_bio_X509(bio.get(), nullptr, nullptr,
                                                                   nullptr),
                                                X509_free);
  REQUIRE(x);
  unsigned char* der = nullptr;
  int der_size = i2d_X509(x.get(), &der);
  REQUIRE(der_size > 0);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  REQUIRE(EVP_Digest(der, static_cast<std::size_t>(der_size), digest, &digest_size, EVP_sha256(),
                     nullptr) == 1);
  OPENSSL_free(der);
  CHECK(*s == std::string(reinterpret_cast<const char*>(digest), digest_size));
}

TEST_CASE_METHOD(tls_fixture, "close_notify ends the session cleanly both ways", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session(domain);
  std::string client_got;
  std::string server_got;
  pump(client, server, client_got, server_got);
  REQUIRE(client.write_plaintext("</stream:stream>"));

  CHECK(client.shutdown());
  CHECK_FALSE(client.write_plaintext("after close"));
  pump(client, server, client_got, server_got);
  CHECK(server_got == "</stream:stream>");  // data before close_notify still arrives
  CHECK(server.peer_closed());
  CHECK_FALSE(server.failed());

  CHECK(server.shutdown());
  pump(client, server, client_got, server_got);
  CHECK(client.peer_closed());
  CHECK_FALSE(client.failed());
  CHECK_FALSE(server.failed());
}

TEST_CASE_METHOD(tls_fixture, "a client offering only TLS 1.1 or 1.0 is refused by the server",
                 "[tls][session]") {
  auto version = GENERATE(TLS1_1_VERSION, TLS1_VERSION);
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  // Undo every client-side guard, so that the refusal can only come from the server.
  SSL_CTX* raw = client_ctx.native_handle();
  SSL_CTX_set_security_level(raw, 0);
  REQUIRE(SSL_CTX_set_cipher_list(raw, "ALL:@SECLEVEL=0") == 1);
  REQUIRE(SSL_CTX_set_min_proto_version(raw, TLS1_VERSION) == 1);
  REQUIRE(SSL_CTX_set_max_proto_version(raw, version) == 1);

  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session(domain);
  INFO("client: " << client.error());
  REQUIRE_FALSE(client.failed());
  REQUIRE(client.pending_ciphertext() > 0);  // the client did send its hello

  pump(client, server);
  CHECK_FALSE(server.handshake_done());
  CHECK(server.failed());
  CHECK(server.error().find("unsupported protocol") != std::string::npos);
  CHECK(client.failed());
  CHECK(client.error().find("protocol version") != std::string::npos);  // the server's alert
}

TEST_CASE_METHOD(tls_fixture, "garbage into a server session is an error, not a crash",
                 "[tls][session]") {
  auto server_ctx = make_server();
  auto server = server_ctx.new_session();

  SECTION("plain XMPP where TLS was expected") {
    std::string xml = "<?xml version='1.0'?><stream:stream to='as1.example'>";
    CHECK_FALSE(server.feed_ciphertext(xml.data(), xml.size()));
  }
  SECTION("random bytes") {
    auto noise = random_bytes(5000, 7);
    CHECK_FALSE(server.feed_ciphertext(noise.data(), noise.size()));
  }
  CHECK(server.failed());
  CHECK_FALSE(server.error().empty());
  CHECK_FALSE(server.handshake_done());
  std::string plain;
  CHECK_FALSE(server.read_plaintext(plain));
  CHECK(plain.empty());
  CHECK_FALSE(server.write_plaintext("x"));
  CHECK_FALSE(server.feed_ciphertext("more", 4));
  CHECK_FALSE(server.tls_exporter());
}

TEST_CASE_METHOD(tls_fixture, "a tampered record after the handshake is an error", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session(domain);
  pump(client, server);
  REQUIRE(client.write_plaintext("hello"));
  std::string record;
  client.take_ciphertext(record);
  record[record.size() - 1] ^= 0x01;  // flip a bit of the AEAD tag
  std::string plain;
  server.feed_ciphertext(record.data(), record.size());
  CHECK_FALSE(server.read_plaintext(plain));
  CHECK(plain.empty());
  CHECK(server.failed());
  CHECK(server.error().find("bad record mac") != std::string::npos);
}

TEST_CASE_METHOD(tls_fixture, "a client trusting another CA refuses the server", "[tls][session]") {
  auto server_ctx = make_server();
  client_options opts;
  opts.ca_file = other_cert;
  auto client_ctx = make_client(opts);
  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session(domain);
  pump(client, server);
  CHECK_FALSE(client.handshake_done());
  CHECK(client.failed());
  CHECK(client.error().find("certificate verify failed") != std::string::npos);
  CHECK(server.failed());  // told so by the client's alert
}

TEST_CASE_METHOD(tls_fixture, "a client refuses a certificate for another name", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto server = server_ctx.new_session();
  auto client = client_ctx.new_session("as2.example");
  pump(client, server);
  CHECK(client.failed());
  CHECK(client.error().find("hostname mismatch") != std::string::npos);
}

TEST_CASE_METHOD(tls_fixture, "ALPN picks the server's protocol, and its absence is no error",
                 "[tls][session]") {
  server_options sopts;
  sopts.alpn = {"xmpp-client"};
  auto server_ctx = make_server(sopts);

  SECTION("shared protocol") {
    client_options copts;
    copts.alpn = {"h2", "xmpp-client"};
    auto client_ctx = make_client(copts);
    auto server = server_ctx.new_session();
    auto client = client_ctx.new_session(domain);
    pump(client, server);
    REQUIRE(server.handshake_done());
    CHECK(server.alpn() == "xmpp-client");
    CHECK(client.alpn() == "xmpp-client");
  }
  SECTION("no protocol in common") {
    client_options copts;
    copts.alpn = {"h2"};
    auto client_ctx = make_client(copts);
    auto server = server_ctx.new_session();
    auto client = client_ctx.new_session(domain);
    pump(client, server);
    REQUIRE(server.handshake_done());
    CHECK(server.alpn().empty());
  }
  SECTION("client offers none") {
    auto client_ctx = make_client();
    auto server = server_ctx.new_session();
    auto client = client_ctx.new_session(domain);
    pump(client, server);
    REQUIRE(server.handshake_done());
    CHECK(server.alpn().empty());
  }
}

TEST_CASE_METHOD(tls_fixture, "mutual TLS: the server verifies the client's certificate",
                 "[tls][session]") {
  // The "other" pair plays the peer AS; the server trusts it as CA.
  server_options sopts;
  sopts.ca_file = other_cert;
  sopts.require_peer_certificate = true;
  auto server_ctx = make_server(sopts);
  auto server = server_ctx.new_session();

  SECTION("a client with a trusted certificate gets in") {
    client_options copts;
    copts.cert_file = other_cert;
    copts.key_file = other_key;
    auto client_ctx = make_client(copts);
    auto client = client_ctx.new_session(domain);
    std::string client_got;
    std::string server_got;
    pump(client, server, client_got, server_got);
    REQUIRE(client.write_plaintext("ping"));
    pump(client, server, client_got, server_got);
    INFO("server: " << server.error());
    CHECK(server.handshake_done());
    CHECK(server.peer_verified());
    CHECK(server_got == "ping");
  }
  SECTION("a client with no certificate is refused") {
    auto client_ctx = make_client();
    auto client = client_ctx.new_session(domain);
    pump(client, server);
    CHECK(server.failed());
    CHECK(server.error().find("certificate") != std::string::npos);
  }
  SECTION("a client with an untrusted certificate is refused") {
    client_options copts;
    copts.cert_file = cert;  // the server's own pair: not signed by the trusted CA
    copts.key_file = key;
    auto client_ctx = make_client(copts);
    auto client = client_ctx.new_session(domain);
    pump(client, server);
    CHECK(server.failed());
    CHECK(server.error().find("certificate verify failed") != std::string::npos);
  }
}

TEST_CASE_METHOD(tls_fixture, "a returning client resumes with its ticket", "[tls][session]") {
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  auto version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(client_ctx.native_handle(), version);

  auto s1 = server_ctx.new_session();
  auto c1 = client_ctx.new_session(domain);
  pump(c1, s1);  // the client reads its TLS 1.3 ticket while pumping
  auto ticket = c1.resumption_ticket();
  REQUIRE_FALSE(ticket.empty());

  auto s2 = server_ctx.new_session();
  auto c2 = client_ctx.new_session(domain, ticket);
  pump(c2, s2);
  REQUIRE(s2.handshake_done());
  CHECK(c2.resumed());
  CHECK(s2.resumed());
  REQUIRE(c2.tls_exporter());
  CHECK(*c2.tls_exporter() == *s2.tls_exporter());
  CHECK(*c2.tls_exporter() != *c1.tls_exporter());
  // On a resumed handshake the first Finished is the server's (RFC 5929
  // §3.1's rule, kept on TLS 1.3 as CPython's get_channel_binding keeps it).
  REQUIRE(c2.tls_unique());
  CHECK(*c2.tls_unique() == *s2.tls_unique());
  CHECK(*c2.tls_unique() != *c1.tls_unique());
  unsigned char server_finished[EVP_MAX_MD_SIZE];
  auto n = SSL_get_finished(s2.native_handle(), server_finished, sizeof server_finished);
  CHECK(*s2.tls_unique() == std::string(reinterpret_cast<const char*>(server_finished), n));

  SECTION("a ticket from another server costs only a full handshake") {
    tls_fixture other;
    auto other_server_ctx = other.make_server();
    auto s3 = other_server_ctx.new_session();
    auto c3 = other.make_client().new_session(domain, ticket);
    pump(c3, s3);
    CHECK(s3.handshake_done());
    CHECK_FALSE(c3.resumed());
  }
  SECTION("a garbage ticket is ignored") {
    auto s3 = server_ctx.new_session();
    auto c3 = client_ctx.new_session(domain, "not a ticket");
    pump(c3, s3);
    CHECK(s3.handshake_done());
    CHECK_FALSE(c3.resumed());
  }
}

namespace {

server_options files(std::string cert, std::string key, std::string ca = {}) {
  server_options opts;
  opts.cert_file = std::move(cert);
  opts.key_file = std::move(key);
  opts.ca_file = std::move(ca);
  return opts;
}

}  // namespace

TEST_CASE_METHOD(tls_fixture, "context creation names the file at fault", "[tls][context]") {
  std::string error;
  SECTION("missing certificate") {
    auto opts = files(dir.file("absent.crt"), key);
    CHECK_FALSE(server_context::create(opts, error));
    CHECK(error.find(dir.file("absent.crt")) != std::string::npos);
  }
  SECTION("garbage key") {
    write_file(dir.file("bad.key"), "garbage");
    auto opts = files(cert, dir.file("bad.key"));
    CHECK_FALSE(server_context::create(opts, error));
    CHECK(error.find(dir.file("bad.key")) != std::string::npos);
  }
  SECTION("key of another certificate") {
    auto opts = files(cert, other_key);
    CHECK_FALSE(server_context::create(opts, error));
    CHECK(error.find(other_key) != std::string::npos);
  }
  SECTION("missing CA file") {
    auto opts = files(cert, key, dir.file("absent-ca.pem"));
    CHECK_FALSE(server_context::create(opts, error));
    CHECK(error.find(dir.file("absent-ca.pem")) != std::string::npos);
  }
  SECTION("client CA file that is garbage") {
    write_file(dir.file("bad-ca.pem"), "garbage");
    client_options opts;
    opts.ca_file = dir.file("bad-ca.pem");
    CHECK_FALSE(client_context::create(opts, error));
    CHECK(error.find(dir.file("bad-ca.pem")) != std::string::npos);
  }
  SECTION("client certificate without key") {
    client_options opts;
    opts.cert_file = cert;
    CHECK_FALSE(client_context::create(opts, error));
    CHECK_FALSE(error.empty());
  }
  SECTION("an ALPN name too long") {
    auto opts = files(cert, key);
    opts.alpn = {std::string(256, 'x')};
    CHECK_FALSE(server_context::create(opts, error));
    CHECK(error.find("ALPN") != std::string::npos);
  }
}

TEST_CASE_METHOD(tls_fixture, "sessions outlive their context and move", "[tls][session]") {
  session server = [&] { return make_server().new_session(); }();
  session client = [&] { return make_client().new_session(domain); }();
  session moved = std::move(client);
  pump(moved, server);
  CHECK(moved.handshake_done());
  CHECK(server.handshake_done());
}

namespace {

std::size_t heap_in_use() {
  auto info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

}  // namespace

// A measurement, not a check of behaviour: run with `test_tls "[.memory]" -s`.
TEST_CASE_METHOD(tls_fixture, "memory held by idle sessions after the handshake", "[.memory]") {
  constexpr int n = 1000;
  auto server_ctx = make_server();
  auto client_ctx = make_client();
  std::vector<session> servers;
  std::vector<session> clients;
  servers.reserve(n);
  clients.reserve(n);

  // Warm OpenSSL's one-time allocations (method tables, provider caches).
  {
    auto s = server_ctx.new_session();
    auto c = client_ctx.new_session(domain);
    pump(c, s);
  }
  ::malloc_trim(0);
  std::size_t before = heap_in_use();
  for (int i = 0; i < n; ++i) {
    servers.push_back(server_ctx.new_session());
    clients.push_back(client_ctx.new_session(domain));
    std::string cg;
    std::string sg;
    pump(clients.back(), servers.back(), cg, sg);
    REQUIRE(servers.back().handshake_done());
    // One stanza each way, so the sessions have carried application data.
    servers.back().write_plaintext("<presence/>");
    clients.back().write_plaintext("<presence/>");
    pump(clients.back(), servers.back(), cg, sg);
  }
  std::size_t with_both = heap_in_use();
  clients.clear();
  clients.shrink_to_fit();
  std::size_t servers_only = heap_in_use();
  double per_server = double(servers_only - before - n * sizeof(session)) / n;
  double per_client = double(with_both - servers_only) / n;
  WARN("idle TLS 1.3 server session after handshake: " << per_server << " bytes of heap");
  WARN("idle TLS 1.3 client session after handshake: " << per_client << " bytes of heap");
  WARN("sizeof(irsp::tls::session): " << sizeof(session) << " bytes");
  CHECK(per_server < 64 * 1024);
}
