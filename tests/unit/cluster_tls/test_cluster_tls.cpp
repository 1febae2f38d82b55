// RFC 8446 / RFC 5246 §7.4.6: mutual TLS between two nodes' CAF actor systems (caf::openssl,
// BASP), with certificates from node/tls/cluster_ca: what CAF 0.17.6 enforces, tested.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "node/tls/cluster_ca.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

// Only detects a hang; a connection attempt takes milliseconds.
constexpr auto hang_bound = 60s;

struct node_config : caf::actor_system_config {
  /// `dir` holds ca.pem, node.pem and node-key.pem; empty for a system with
  /// no certificate at all (CAF then runs its anonymous-cipher mode).
  explicit node_config(const std::string& dir) {
    load<caf::io::middleman>();
    load<caf::openssl::manager>();
    set("scheduler.max-threads", 2);
    if (!dir.empty()) {
      openssl_cafile = dir + "/ca.pem";
      openssl_certificate = dir + "/node.pem";
      openssl_key = dir + "/node-key.pem";
    }
  }
};

/// A node: its config and actor system.
struct node {
  explicit node(const std::string& dir) : cfg(dir), sys(cfg) {}
  // A published actor lives until told to quit, and the system's destructor
  // waits for every actor.
  ~node() {
    for (auto& a : published)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  node_config cfg;
  caf::actor_system sys;
  std::vector<caf::actor> published;
};

caf::behavior doubler() {
  return {[](int x) { return 2 * x; }};
}

/// Certificates for the nodes of one cluster, and of a stranger from another.
struct cluster_files {
  cluster_files() {
    REQUIRE(irsp::tls::create_cluster_ca(dir / "ca", "IRSP cluster CA test") == "");
    for (const char* n : {"server", "client", "client2"})
      REQUIRE(irsp::tls::issue_node_certificate(dir / "ca", dir / n, std::string(n) + ".test")
              == "");
    REQUIRE(irsp::tls::create_cluster_ca(dir / "other-ca", "IRSP cluster CA other") == "");
    REQUIRE(irsp::tls::issue_node_certificate(dir / "other-ca", dir / "stranger", "server.test")
            == "");
  }
  irsp::test::temp_dir dir;
};

uint16_t publish_doubler(node& n) {
  n.published.push_back(n.sys.spawn(doubler));
  auto port = caf::openssl::publish(n.published.back(), 0, "127.0.0.1");
  REQUIRE(port);
  REQUIRE(*port != 0);
  return *port;
}

// remote_actor waits without a deadline; a hang ends the process with a
// message instead of blocking the test until CTest's timeout.
caf::expected<caf::actor> connect(node& n, uint16_t port) {
  auto result = std::async(std::launch::async, [&n, port] {
    return caf::openssl::remote_actor(n.sys, "127.0.0.1", port);
  });
  if (result.wait_for(hang_bound) != std::future_status::ready) {
    std::cerr << "remote_actor to port " << port << " did not return within "
              << hang_bound.count() << " s\n";
    std::_Exit(3);
  }
  return result.get();
}

// A fresh system with `dir`'s certificate connects to the doubler on `port`
// and has 21 doubled.
void good_peer_exchanges(const std::string& dir, uint16_t port) {
  node client(dir);
  auto remote = connect(client, port);
  REQUIRE(remote);
  caf::scoped_actor self{client.sys};
  int answer = 0;
  self->request(*remote, std::chrono::seconds(hang_bound), 21)
    .receive([&](int y) { answer = y; },
             [&](caf::error& e) { FAIL("request failed: " << client.sys.render(e)); });
  CHECK(answer == 42);
}

int tcp_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{static_cast<time_t>(hang_bound.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

/// What a hand-made OpenSSL client saw from a caf::openssl listener.
struct probe_result {
  bool handshake = false;
  /// SSL_read's result after the handshake: > 0 when the listener sent BASP
  /// data, i.e. accepted the connection.
  int read = 0;
  std::string error;
};

/// Connects with OpenSSL's defaults, trusting `ca_file`; presents the
/// certificate in `cert_dir` unless empty; with `legacy_only`, offers only
/// TLS 1.0 and 1.1 at security level 0 (as an old or downgraded peer would).
probe_result tls_probe(uint16_t port, const std::string& ca_file, const std::string& cert_dir,
                       bool legacy_only = false, int max_version = 0) {
  probe_result r;
  int fd = tcp_connect(port);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  REQUIRE(SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!cert_dir.empty()) {
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx, (cert_dir + "/node.pem").c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, (cert_dir + "/node-key.pem").c_str(),
                                        SSL_FILETYPE_PEM)
            == 1);
  }
  if (legacy_only) {
    SSL_CTX_set_security_level(ctx, 0);
    REQUIRE(SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") == 1);
    REQUIRE(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) == 1);
    REQUIRE(SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION) == 1);
  } else if (max_version != 0) {
    REQUIRE(SSL_CTX_set_max_proto_version(ctx, max_version) == 1);
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  ERR_clear_error();
  r.handshake = SSL_connect(ssl) == 1;
  if (r.handshake) {
    char buf[256];
    r.read = SSL_read(ssl, buf, sizeof buf);
  }
  char text[256] = "";
  if (unsigned long e = ERR_peek_last_error())
    ERR_error_string_n(e, text, sizeof text);
  r.error = text;
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return r;
}

// A one-connection OpenSSL server that allows TLS 1.0 and 1.1 (security
// level 0); true when the legacy probe negotiated TLS 1.1 with it and read
// its greeting.
bool legacy_server_accepts_probe(const std::string& cert_dir, const std::string& ca_file) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_security_level(ctx, 0);
  REQUIRE(SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") == 1);
  REQUIRE(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) == 1);
  REQUIRE(SSL_CTX_use_certificate_chain_file(ctx, (cert_dir + "/node.pem").c_str()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, (cert_dir + "/node-key.pem").c_str(),
                                      SSL_FILETYPE_PEM)
          == 1);
  int version = 0;
  std::thread server([&] {
    int fd = ::accept(listener, nullptr, nullptr);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      version = SSL_version(ssl);
      SSL_write(ssl, "hello", 5);
    }
    SSL_free(ssl);
    ::close(fd);
  });
  auto r = tls_probe(ntohs(addr.sin_port), ca_file, cert_dir, true);
  server.join();
  SSL_CTX_free(ctx);
  ::close(listener);
  return r.handshake && r.read == 5 && version == TLS1_1_VERSION;
}

}  // namespace

TEST_CASE("two nodes with certificates from one cluster CA connect and exchange a message",
          "[cluster][tls]") {
  cluster_files files;
  node server(files.dir / "server");
  auto port = publish_doubler(server);
  good_peer_exchanges(files.dir / "client", port);
  good_peer_exchanges(files.dir / "client2", port);
}

TEST_CASE("a node whose certificate is from another CA is refused, and good peers still "
          "connect",
          "[cluster][tls]") {
  cluster_files files;
  node server(files.dir / "server");
  auto port = publish_doubler(server);
  {
    // The stranger trusts this cluster's CA, so only its own certificate
    // can be what the listener refuses.
    std::filesystem::copy_file(files.dir / "ca/ca.pem", files.dir / "stranger/ca.pem",
                               std::filesystem::copy_options::overwrite_existing);
    node stranger(files.dir / "stranger");
    auto remote = connect(stranger, port);
    CHECK_FALSE(remote);
  }
  auto probe = tls_probe(port, files.dir / "ca/ca.pem", files.dir / "stranger");
  CHECK(probe.read <= 0);
  good_peer_exchanges(files.dir / "client", port);
}

TEST_CASE("a listener whose certificate is from another CA is refused by the connecting node",
          "[cluster][tls]") {
  cluster_files files;
  node impostor(files.dir / "stranger");  // trusts only the other CA
  auto port = publish_doubler(impostor);
  node client(files.dir / "client");
  auto remote = connect(client, port);
  CHECK_FALSE(remote);
}

TEST_CASE("a client with no certificate is refused", "[cluster][tls]") {
  cluster_files files;
  node server(files.dir / "server");
  auto port = publish_doubler(server);
  SECTION("a CAF system with no certificate (CAF's anonymous-cipher mode)") {
    node anonymous("");
    auto remote = connect(anonymous, port);
    CHECK_FALSE(remote);
  }
  SECTION("an OpenSSL client that trusts the CA but presents no certificate") {
    // The same client with a certificate reads the listener's BASP
    // handshake: the refusal is the missing certificate, nothing else.
    auto with_cert = tls_probe(port, files.dir / "ca/ca.pem", files.dir / "client");
    REQUIRE(with_cert.handshake);
    CHECK(with_cert.read > 0);
    auto without = tls_probe(port, files.dir / "ca/ca.pem", "");
    CHECK(without.read <= 0);
    INFO(without.error);
    CHECK_THAT(without.error, Catch::Contains("certificate required"));
  }
  good_peer_exchanges(files.dir / "client", port);
}

TEST_CASE("the listener negotiates TLS 1.2 and 1.3 but not 1.0 or 1.1", "[cluster][tls]") {
  cluster_files files;
  node server(files.dir / "server");
  auto port = publish_doubler(server);
  auto ca = files.dir / "ca/ca.pem";
  auto tls12 = tls_probe(port, ca, files.dir / "client", false, TLS1_2_VERSION);
  CHECK(tls12.handshake);
  CHECK(tls12.read > 0);
  auto tls13 = tls_probe(port, ca, files.dir / "client", false, TLS1_3_VERSION);
  CHECK(tls13.handshake);
  CHECK(tls13.read > 0);
  auto legacy = tls_probe(port, ca, files.dir / "client", true);
  INFO(legacy.error);
  CHECK_FALSE(legacy.handshake);
  // Control: the same probe does negotiate TLS 1.1 with a server that
  // allows it, so the refusal above is the listener's.
  CHECK(legacy_server_accepts_probe(files.dir / "server", ca));
  good_peer_exchanges(files.dir / "client", port);
}

TEST_CASE("garbage bytes and a silent connection do not harm the listener", "[cluster][tls]") {
  cluster_files files;
  node server(files.dir / "server");
  auto port = publish_doubler(server);
  // A connection that never speaks stays open while a good peer connects:
  // one slow handshake does not hold up the others.
  int silent = tcp_connect(port);
  for (int round = 0; round < 3; ++round) {
    int fd = tcp_connect(port);
    unsigned char junk[4096];
    REQUIRE(RAND_bytes(junk, sizeof junk) == 1);
    if (round == 1)
      junk[0] = 0x16;  // a TLS handshake record type, so the parser goes further
    ::send(fd, junk, sizeof junk, MSG_NOSIGNAL);
    // The listener ends the connection (EOF or reset), not waits for more.
    char buf[256];
    ssize_t n = 0;
    do
      n = ::recv(fd, buf, sizeof buf, 0);
    while (n > 0);
    CHECK((n == 0 || errno == ECONNRESET));
    ::close(fd);
  }
  good_peer_exchanges(files.dir / "client", port);
  ::close(silent);
  good_peer_exchanges(files.dir / "client2", port);
}
