// RFC 8446 §5, §4.6.3: a server session leaves OpenSSL for its own record layer mid-connection,
// while an OpenSSL client on the other end notices nothing (or the right alert).
#include <catch2/catch.hpp>

#include <malloc.h>

#include <random>

#include <openssl/ssl.h>

#include "node/tls/record_layer.hpp"
#include "node/tls/self_signed.hpp"
#include "node/tls/tls_context.hpp"
#include "node/tls/traffic_capture.hpp"
#include "temp_dir.hpp"

using irsp::tls::cipher_suite;
using irsp::tls::client_context;
using irsp::tls::client_options;
using irsp::tls::derive_traffic_keys;
using irsp::tls::ensure_certificate;
using irsp::tls::record_cipher;
using irsp::tls::server_context;
using irsp::tls::server_options;
using irsp::tls::session;
using irsp::tls::traffic_keys;
using irsp::tls::update_traffic_keys;
using irsp::tls::detail::capture;
using irsp::tls::detail::traffic_state;
using irsp::test::temp_dir;

namespace {

constexpr const char* domain = "as1.example";

std::string take(session& s) {
  std::string out;
  s.take_ciphertext(out);
  return out;
}

// Hands `bytes` to `to` in pieces, reading plaintext after each, as a transport would.
bool deliver(const std::string& bytes, session& to, std::string& got, std::size_t piece = 4096) {
  bool ok = true;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    ok = to.feed_ciphertext(bytes.data() + at, std::min(piece, bytes.size() - at)) && ok;
    ok = to.read_plaintext(got) && ok;
  }
  return ok;
}

void pump(session& client, session& server, std::string& client_got, std::string& server_got,
          std::size_t piece = 4096) {
  for (int round = 0; round < 100000; ++round) {
    auto to_server = take(client);
    auto to_client = take(server);
    if (to_server.empty() && to_client.empty())
      return;
    deliver(to_server, server, server_got, piece);
    deliver(to_client, client, client_got, piece);
  }
  FAIL("the two sessions never stopped talking");
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(gen());
  return out;
}

// What OpenSSL's client would use for its next record: its suite, write
// secret and sequence number, so a test can seal records the client never
// would.
traffic_keys client_write_keys(session& client, cipher_suite& suite) {
  traffic_state st;
  std::string why;
  bool ok = capture(client.native_handle(), st, why);
  INFO(why);
  REQUIRE(ok);
  suite = st.suite;
  traffic_keys keys;
  REQUIRE(derive_traffic_keys(st.suite, st.write_secret.data(), st.write_sequence, keys));
  return keys;
}

std::string craft(cipher_suite suite, traffic_keys& keys, const std::string& content,
                  std::uint8_t type) {
  std::size_t length = content.size() + 1 + 16;
  std::string record = {23, 3, 3, char(length >> 8), char(length & 0xff)};
  record.resize(5 + length);
  auto* out = reinterpret_cast<std::uint8_t*>(record.data());
  record_cipher c(suite, keys, true);
  REQUIRE(c.seal(keys.sequence++, out, reinterpret_cast<const std::uint8_t*>(content.data()),
                 content.size(), type, out + 5));
  return record;
}

struct compact_fixture {
  temp_dir dir;
  std::string cert = dir.file("server.crt");
  std::string key = dir.file("server.key");
  server_context server_ctx = make_server();
  client_context client_ctx = make_client();
  session server = server_ctx.new_session();
  session client = client_ctx.new_session(domain);
  std::string client_got;
  std::string server_got;

  server_context make_server(server_options opts = {}) {
    REQUIRE(ensure_certificate(cert, key, domain));
    opts.cert_file = cert;
    opts.key_file = key;
    std::string error;
    auto ctx = server_context::create(opts, error);
    INFO(error);
    REQUIRE(ctx);
    return *ctx;
  }

  client_context make_client() {
    client_options opts;
    opts.ca_file = cert;
    std::string error;
    auto ctx = client_context::create(opts, error);
    INFO(error);
    REQUIRE(ctx);
    return *ctx;
  }

  void handshake() {
    pump();
    INFO("client: " << client.error() << " server: " << server.error());
    REQUIRE(server.handshake_done());
    REQUIRE(client.handshake_done());
  }

  void pump(std::size_t piece = 4096) {
    ::pump(client, server, client_got, server_got, piece);
  }

  void compact() {
    std::string why;
    bool ok = server.compact(&why);
    INFO("compact refused: " << why);
    REQUIRE(ok);
    REQUIRE(server.compacted());
    REQUIRE(server.native_handle() == nullptr);
  }

  // Data both ways after the switch, several records each way: any
  // sequence number or key out of step fails decryption on one side.
  void converse(const std::string& tag) {
    client_got.clear();
    server_got.clear();
    std::string up;
    std::string down;
    for (int i = 0; i < 3; ++i) {
      std::string u = "<up " + tag + " " + std::to_string(i) + "/>";
      std::string d = "<down " + tag + " " + std::to_string(i) + "/>";
      REQUIRE(client.write_plaintext(u));
      REQUIRE(server.write_plaintext(d));
      up += u;
      down += d;
      pump();
    }
    INFO("client: " << client.error() << " server: " << server.error());
    CHECK_FALSE(client.failed());
    CHECK_FALSE(server.failed());
    CHECK(server_got == up);
    CHECK(client_got == down);
  }
};

// OpenSSL's key-log view of `s`: the secrets it reads and writes under now.
void openssl_view(session& s, traffic_state& st) {
  std::string why;
  bool ok = capture(s.native_handle(), st, why);
  INFO(why);
  REQUIRE(ok);
}

}  // namespace

TEST_CASE_METHOD(compact_fixture, "a server compacts after any number of records each way",
                 "[tls][compact]") {
  auto ups = GENERATE(0, 1, 2, 5);
  auto downs = GENERATE(0, 1, 2, 5);
  auto sent_before = GENERATE(true, false);
  handshake();
  std::string up;
  std::string down;
  for (int i = 0; i < ups; ++i) {
    up += "u" + std::to_string(i);
    REQUIRE(client.write_plaintext("u" + std::to_string(i)));
    pump();
  }
  for (int i = 0; i < downs; ++i) {
    down += "d" + std::to_string(i);
    REQUIRE(server.write_plaintext("d" + std::to_string(i)));
    // Either sent, or still queued inside OpenSSL when it is freed.
    if (sent_before)
      pump();
  }
  compact();
  pump();
  CHECK(server_got == up);
  CHECK(client_got == down);
  converse("after");
  CHECK(server.compact());  // already compact: nothing to do
  converse("again");
}

TEST_CASE_METHOD(compact_fixture, "a server compacts before its ticket has left",
                 "[tls][compact]") {
  // Step the handshake by hand: ClientHello, the server's flight, the
  // client's Finished; the server's NewSessionTicket then waits, unsent.
  std::string ignored;
  auto hello = take(client);
  REQUIRE(deliver(hello, server, server_got));
  auto flight = take(server);
  REQUIRE(deliver(flight, client, client_got));
  auto finished = take(client);
  REQUIRE(deliver(finished, server, server_got));
  REQUIRE(server.handshake_done());
  REQUIRE(server.pending_ciphertext() > 0);
  compact();
  CHECK(server.pending_ciphertext() > 0);  // the ticket, carried over
  pump();
  converse("after ticket");
}

TEST_CASE_METHOD(compact_fixture, "compaction waits until OpenSSL holds no input",
                 "[tls][compact]") {
  handshake();
  REQUIRE(client.write_plaintext("hello world"));
  auto record = take(client);
  std::string why;

  SECTION("bytes fed and not read yet") {
    REQUIRE(server.feed_ciphertext(record.data(), record.size()));
    CHECK_FALSE(server.compact(&why));
    CHECK(why == "input not yet consumed");
    REQUIRE(server.read_plaintext(server_got));
  }
  SECTION("a record held in part") {
    REQUIRE(deliver(record.substr(0, 9), server, server_got));
    CHECK_FALSE(server.compact(&why));
    CHECK(why == "input not yet consumed");
    REQUIRE(deliver(record.substr(9), server, server_got));
  }
  CHECK(server_got == "hello world");
  compact();
  converse("after");
}

TEST_CASE_METHOD(compact_fixture, "a record split by the switch is completed by the new layer",
                 "[tls][compact]") {
  handshake();
  compact();
  REQUIRE(client.write_plaintext("byte by byte"));
  auto record = take(client);
  for (std::size_t i = 0; i + 1 < record.size(); ++i)
    REQUIRE(deliver(record.substr(i, 1), server, server_got));
  CHECK(server_got.empty());  // a truncated record yields nothing, and is no error yet
  CHECK_FALSE(server.failed());
  REQUIRE(deliver(record.substr(record.size() - 1), server, server_got));
  CHECK(server_got == "byte by byte");
  converse("after");
}

TEST_CASE_METHOD(compact_fixture, "a megabyte each way after the switch", "[tls][compact]") {
  handshake();
  compact();
  auto up = random_bytes(1 << 20, 1);
  auto down = random_bytes((1 << 20) + 3, 2);
  REQUIRE(client.write_plaintext(up));
  REQUIRE(server.write_plaintext(down));
  pump(1237);
  CHECK(server_got == up);
  CHECK(client_got == down);
  CHECK_FALSE(client.failed());
  CHECK_FALSE(server.failed());
}

TEST_CASE_METHOD(compact_fixture, "every suite is carried on, with its name",
                 "[tls][compact]") {
  auto suite = GENERATE(as<std::string>(), "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                        "TLS_CHACHA20_POLY1305_SHA256");
  REQUIRE(SSL_CTX_set_ciphersuites(client_ctx.native_handle(), suite.c_str()) == 1);
  client = client_ctx.new_session(domain);
  handshake();
  REQUIRE(server.cipher() == suite);
  compact();
  CHECK(server.cipher() == suite);
  CHECK(server.protocol_version() == "TLSv1.3");
  converse(suite);
}

TEST_CASE_METHOD(compact_fixture, "key updates before the switch are tracked", "[tls][compact]") {
  handshake();
  SECTION("the client updates its key, asking for nothing") {
    REQUIRE(SSL_key_update(client.native_handle(), SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
    REQUIRE(client.write_plaintext("under the new key"));
    pump();
    CHECK(server_got == "under the new key");
  }
  SECTION("the client asks for an update the server has not sent yet") {
    traffic_state before;
    openssl_view(client, before);
    REQUIRE(SSL_key_update(client.native_handle(), SSL_KEY_UPDATE_REQUESTED) == 1);
    REQUIRE(client.write_plaintext("update, please"));
    pump();
    CHECK(server_got == "update, please");
    // OpenSSL owes the answer until it next writes; the new layer pays it.
    REQUIRE(SSL_get_key_update_type(server.native_handle()) == SSL_KEY_UPDATE_NOT_REQUESTED);
    compact();
    REQUIRE(server.pending_ciphertext() > 0);
    pump();
    // The client took a KeyUpdate and moved to the next server secret (§7.2).
    traffic_state after;
    openssl_view(client, after);
    traffic_keys expected;
    REQUIRE(derive_traffic_keys(before.suite, before.read_secret.data(), 0, expected));
    REQUIRE(update_traffic_keys(before.suite, expected));
    CHECK(after.read_secret == expected.secret);
    CHECK(after.read_sequence == 0);
  }
  SECTION("the client asks for an update and the server sends it") {
    REQUIRE(SSL_key_update(client.native_handle(), SSL_KEY_UPDATE_REQUESTED) == 1);
    REQUIRE(client.write_plaintext("update, please"));
    pump();
    REQUIRE(server.write_plaintext("updated"));
    pump();
    CHECK(client_got == "updated");
  }
  SECTION("the server updates its own key") {
    REQUIRE(SSL_key_update(server.native_handle(), SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
    REQUIRE(server.write_plaintext("server's new key"));
    pump();
    CHECK(client_got == "server's new key");
  }
  SECTION("several, both ways") {
    for (int i = 0; i < 3; ++i) {
      REQUIRE(SSL_key_update(client.native_handle(), SSL_KEY_UPDATE_REQUESTED) == 1);
      REQUIRE(client.write_plaintext("c"));
      pump();
      REQUIRE(server.write_plaintext("s"));
      pump();
    }
    CHECK(server_got == "ccc");
    CHECK(client_got == "sss");
  }
  if (!server.compacted())
    compact();
  converse("after updates");
}

TEST_CASE_METHOD(compact_fixture, "key updates after the switch follow RFC 8446 §4.6.3",
                 "[tls][compact]") {
  handshake();
  compact();
  traffic_state before;
    openssl_view(client, before);
  SECTION("update_not_requested: the server's read key moves, its write key stays") {
    REQUIRE(SSL_key_update(client.native_handle(), SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
    REQUIRE(client.write_plaintext("new key"));
    pump();
    CHECK(server_got == "new key");
    CHECK(server.pending_ciphertext() == 0);
    traffic_state after;
    openssl_view(client, after);
    CHECK(after.read_secret == before.read_secret);
    // And the client's own new secret is what §7.2 derives from the old one.
    traffic_keys expected;
    REQUIRE(derive_traffic_keys(before.suite, before.write_secret.data(), 0, expected));
    REQUIRE(update_traffic_keys(before.suite, expected));
    CHECK(after.write_secret == expected.secret);
  }
  SECTION("update_requested: the server answers with a KeyUpdate of its own") {
    REQUIRE(SSL_key_update(client.native_handle(), SSL_KEY_UPDATE_REQUESTED) == 1);
    REQUIRE(client.write_plaintext("new keys both ways"));
    pump();
    CHECK(server_got == "new keys both ways");
    traffic_state after;
    openssl_view(client, after);
    traffic_keys expected;
    REQUIRE(derive_traffic_keys(before.suite, before.read_secret.data(), 0, expected));
    REQUIRE(update_traffic_keys(before.suite, expected));
    CHECK(after.read_secret == expected.secret);
  }
  converse("after update");
}

TEST_CASE_METHOD(compact_fixture, "close_notify both ways after the switch", "[tls][compact]") {
  handshake();
  compact();
  REQUIRE(client.write_plaintext("</stream:stream>"));
  REQUIRE(client.shutdown());
  pump();
  CHECK(server_got == "</stream:stream>");
  CHECK(server.peer_closed());
  CHECK_FALSE(server.failed());
  REQUIRE(server.write_plaintext("</stream:stream>"));  // TLS 1.3: each side closes its own
  REQUIRE(server.shutdown());
  CHECK_FALSE(server.write_plaintext("too late"));
  CHECK_FALSE(server.shutdown());
  pump();
  CHECK(client_got == "</stream:stream>");
  CHECK(client.peer_closed());
  CHECK_FALSE(client.failed());
  CHECK_FALSE(server.failed());
}

TEST_CASE_METHOD(compact_fixture, "the server closes first after the switch", "[tls][compact]") {
  handshake();
  compact();
  REQUIRE(server.shutdown());
  pump();
  CHECK(client.peer_closed());
  REQUIRE(client.write_plaintext("bye"));
  REQUIRE(client.shutdown());
  pump();
  CHECK(server_got == "bye");
  CHECK(server.peer_closed());
  CHECK_FALSE(server.failed());
}

TEST_CASE_METHOD(compact_fixture, "bad records after the switch draw the right alert",
                 "[tls][compact]") {
  handshake();
  compact();
  // The client's next record: "hello" as OpenSSL seals it, or one crafted
  // in its place under the same key and sequence number.
  cipher_suite suite;
  auto keys = client_write_keys(client, suite);
  REQUIRE(client.write_plaintext("hello"));
  std::string wire = take(client);
  std::string expected_client_error;
  std::string expected_server_error;

  SECTION("a tampered byte: bad_record_mac") {
    auto at = GENERATE(5, 10, 15, 20, 26);
    REQUIRE(at < int(wire.size()));
    wire[at] ^= 0x01;
    expected_client_error = "bad record mac";
    expected_server_error = "bad record mac";
  }
  SECTION("a record over 2^14 + 256 bytes: record_overflow") {
    wire = std::string("\x17\x03\x03\x41\x01", 5);
    expected_client_error = "record overflow";
    expected_server_error = "encrypted length too long";
  }
  SECTION("a record with more than 2^14 bytes of plaintext: record_overflow") {
    wire = craft(suite, keys, std::string((1 << 14) + 1, 'x'), 23);
    expected_client_error = "record overflow";
    expected_server_error = "data length too long";
  }
  SECTION("a protected change_cipher_spec: unexpected_message") {
    wire = craft(suite, keys, "\x01", 20);
    expected_client_error = "unexpected message";
    expected_server_error = "unexpected record type";
  }
  SECTION("a plaintext change_cipher_spec: unexpected_message") {
    wire = std::string("\x14\x03\x03\x00\x01\x01", 6);
    expected_client_error = "unexpected message";
    expected_server_error = "change_cipher_spec after the handshake";
  }
  SECTION("a second ClientHello, as for renegotiation: unexpected_message") {
    wire = craft(suite, keys, std::string("\x01\x00\x00\x02\x03\x03", 6), 22);
    expected_client_error = "unexpected message";
    expected_server_error = "unexpected message";
  }
  SECTION("a NewSessionTicket from the client: unexpected_message") {
    wire = craft(suite, keys, std::string("\x04\x00\x00\x00", 4), 22);
    expected_client_error = "unexpected message";
    expected_server_error = "unexpected message";
  }
  SECTION("a KeyUpdate with request_update 2: illegal_parameter") {
    wire = craft(suite, keys, std::string("\x18\x00\x00\x01\x02", 5), 22);
    expected_client_error = "illegal parameter";
    expected_server_error = "bad key update";
  }
  SECTION("an empty alert record: unexpected_message") {
    wire = craft(suite, keys, "", 21);
    expected_client_error = "unexpected message";
    expected_server_error = "empty alert record";
  }
  std::string got;
  CHECK_FALSE(deliver(wire, server, got));
  CHECK(got.empty());
  CHECK(server.failed());
  CHECK(server.error().find(expected_server_error) != std::string::npos);
  INFO("server error: " << server.error());
  CHECK_FALSE(server.write_plaintext("x"));
  // The alert reaches the client, which fails with OpenSSL's name for it.
  std::string alert = take(server);
  REQUIRE_FALSE(alert.empty());
  CHECK_FALSE(deliver(alert, client, client_got));
  CHECK(client.failed());
  INFO("client error: " << client.error());
  CHECK(client.error().find(expected_client_error) != std::string::npos);
  CHECK(take(server).empty());
}

TEST_CASE_METHOD(compact_fixture, "an alert from the client ends the compact session quietly",
                 "[tls][compact]") {
  handshake();
  compact();
  cipher_suite suite;
  auto keys = client_write_keys(client, suite);
  auto wire = craft(suite, keys, std::string("\x02\x2e", 2), 21);  // certificate_unknown
  std::string got;
  CHECK_FALSE(deliver(wire, server, got));
  CHECK(server.failed());
  CHECK(server.error() == "peer sent alert 46");
  CHECK(server.pending_ciphertext() == 0);
}

TEST_CASE_METHOD(compact_fixture, "what a compact session still tells its users",
                 "[tls][compact]") {
  handshake();
  auto exporter = server.tls_exporter();
  REQUIRE(exporter);
  auto unique = server.tls_unique();  // whatever the session offers on TLS 1.3
  auto alpn = server.alpn();
  compact();
  CHECK(server.handshake_done());
  CHECK(server.protocol_version() == "TLSv1.3");
  CHECK(server.server_name() == domain);
  CHECK(server.alpn() == alpn);
  CHECK_FALSE(server.resumed());
  CHECK_FALSE(server.peer_verified());
  CHECK(server.resumption_ticket().empty());
  CHECK(server.tls_exporter() == exporter);
  CHECK(server.tls_exporter() == client.tls_exporter());
  CHECK(server.tls_unique() == unique);
  server.forget_channel_bindings();
  CHECK_FALSE(server.tls_exporter());
  CHECK_FALSE(server.tls_unique());
  converse("after");
}

TEST_CASE_METHOD(compact_fixture, "forgetting channel bindings works before the switch too",
                 "[tls][compact]") {
  handshake();
  REQUIRE(server.tls_exporter());
  server.forget_channel_bindings();
  CHECK_FALSE(server.tls_exporter());
  compact();
  CHECK_FALSE(server.tls_exporter());
}

TEST_CASE_METHOD(compact_fixture, "a resumed session compacts and says it was resumed",
                 "[tls][compact]") {
  handshake();
  std::string ticket = client.resumption_ticket();
  REQUIRE_FALSE(ticket.empty());
  server = server_ctx.new_session();
  client = client_ctx.new_session(domain, ticket);
  client_got.clear();
  handshake();
  REQUIRE(server.resumed());
  compact();
  CHECK(server.resumed());
  converse("resumed");
}

TEST_CASE_METHOD(compact_fixture, "a server compacts after a HelloRetryRequest",
                 "[tls][compact]") {
  // The client's first key share is for a group the server will not take.
  REQUIRE(SSL_CTX_set1_groups_list(client_ctx.native_handle(), "P-384:X25519") == 1);
  REQUIRE(SSL_CTX_set1_groups_list(server_ctx.native_handle(), "X25519") == 1);
  server = server_ctx.new_session();
  client = client_ctx.new_session(domain);
  handshake();
  REQUIRE(SSL_get_negotiated_group(server.native_handle()) == NID_X25519);
  compact();
  converse("after HRR");
}

TEST_CASE_METHOD(compact_fixture, "a server compacts after a client certificate",
                 "[tls][compact]") {
  server_options so;
  so.ca_file = cert;
  so.require_peer_certificate = true;
  server_ctx = make_server(so);
  client_options co;
  co.ca_file = cert;
  co.cert_file = cert;  // the self-signed leaf is its own CA
  co.key_file = key;
  std::string error;
  auto ctx = client_context::create(co, error);
  INFO(error);
  REQUIRE(ctx);
  client_ctx = *ctx;
  server = server_ctx.new_session();
  client = client_ctx.new_session(domain);
  handshake();
  REQUIRE(server.peer_verified());
  compact();
  CHECK(server.peer_verified());
  converse("after client certificate");
}

TEST_CASE_METHOD(compact_fixture, "sessions that must stay on OpenSSL refuse and keep working",
                 "[tls][compact]") {
  std::string why;
  SECTION("TLS 1.2") {
    REQUIRE(SSL_CTX_set_max_proto_version(client_ctx.native_handle(), TLS1_2_VERSION) == 1);
    client = client_ctx.new_session(domain);
    handshake();
    REQUIRE(server.protocol_version() == "TLSv1.2");
    CHECK_FALSE(server.compact(&why));
    CHECK(why == "not TLS 1.3");
    REQUIRE(server.tls_unique());
    server.forget_channel_bindings();
    CHECK_FALSE(server.tls_unique());
    CHECK_FALSE(server.tls_exporter());
  }
  SECTION("a client session") {
    handshake();
    CHECK_FALSE(client.compact(&why));
    CHECK(why == "not a server session");
  }
  SECTION("mid-handshake") {
    CHECK_FALSE(server.compact(&why));
    CHECK(why == "handshake not complete");
    handshake();
  }
  SECTION("after close_notify") {
    handshake();
    REQUIRE(client.shutdown());
    pump();
    REQUIRE(server.peer_closed());
    CHECK_FALSE(server.compact(&why));
    CHECK(why == "closing");
    CHECK(server.native_handle() != nullptr);
    return;
  }
  SECTION("a context whose key-log callback was replaced") {
    SSL_CTX_set_keylog_callback(server_ctx.native_handle(), nullptr);
    server = server_ctx.new_session();
    handshake();
    CHECK_FALSE(server.compact(&why));
    CHECK(why == "traffic secrets not captured");
  }
  CHECK_FALSE(server.compacted());
  CHECK(server.native_handle() != nullptr);
  converse("on OpenSSL");
}

namespace {

std::size_t heap_in_use() {
  auto info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

}  // namespace

// A measurement, not a check of behaviour: run with `test_tls "[.memory]" -s`.
TEST_CASE_METHOD(compact_fixture, "memory held by idle compact sessions", "[.memory]") {
  constexpr int n = 2000;
  std::vector<session> servers;
  servers.reserve(n);
  handshake();  // warms OpenSSL's one-time allocations
  compact();
  for (int pass = 0; pass < 2; ++pass) {
    bool compacting = pass == 1;
    servers.clear();
    ::malloc_trim(0);
    std::size_t before = heap_in_use();
    for (int i = 0; i < n; ++i) {
      servers.push_back(server_ctx.new_session());
      session c = client_ctx.new_session(domain);
      std::string cg;
      std::string sg;
      ::pump(c, servers.back(), cg, sg);
      REQUIRE(servers.back().handshake_done());
      servers.back().write_plaintext("<presence/>");
      c.write_plaintext("<presence/>");
      ::pump(c, servers.back(), cg, sg);
      if (compacting)
        REQUIRE(servers.back().compact());
    }
    std::size_t after = heap_in_use();
    WARN((compacting ? "compact" : "OpenSSL") << " idle TLS 1.3 server session: "
                                              << double(after - before) / n
                                              << " bytes of heap (sizeof(session) "
                                              << sizeof(session) << " not included)");
  }
}
