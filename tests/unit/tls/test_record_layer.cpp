// RFC 8446 §5, §6, §4.6.3: the compact TLS 1.3 record layer, one end talking to another and to
// records crafted to break each rule.
#include <catch2/catch.hpp>

#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "node/tls/record_layer.hpp"

using irsp::tls::alert;
using irsp::tls::cipher_suite;
using irsp::tls::derive_traffic_keys;
using irsp::tls::record_cipher;
using irsp::tls::record_layer;
using irsp::tls::traffic_keys;
using irsp::tls::update_traffic_keys;

namespace {

constexpr std::size_t max_fragment = 1 << 14;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(gen());
  return out;
}

// Two ends of one connection: `server` reads what the client writes under
// `client_secret`, and the other way round.
struct layer_pair {
  cipher_suite suite;
  std::vector<std::uint8_t> client_secret = std::vector<std::uint8_t>(48, 0xc1);
  std::vector<std::uint8_t> server_secret = std::vector<std::uint8_t>(48, 0x5e);
  std::unique_ptr<record_layer> server;
  std::unique_ptr<record_layer> client;

  explicit layer_pair(cipher_suite s = cipher_suite::aes_128_gcm_sha256,
                      std::uint64_t client_to_server = 0, std::uint64_t server_to_client = 0)
      : suite(s) {
    std::string error;
    server = record_layer::create(suite, client_secret.data(), client_to_server,
                                  server_secret.data(), server_to_client, error);
    client = record_layer::create(suite, server_secret.data(), server_to_client,
                                  client_secret.data(), client_to_server, error);
    INFO(error);
    REQUIRE(server);
    REQUIRE(client);
  }

  // The client's write keys, for records crafted by hand.
  traffic_keys client_keys(std::uint64_t sequence = 0) const {
    traffic_keys k;
    REQUIRE(derive_traffic_keys(suite, client_secret.data(), sequence, k));
    return k;
  }
};

std::string take(record_layer& layer) {
  std::string out;
  layer.take_output(out);
  return out;
}

// A record sealed by hand: `inner` is the whole TLSInnerPlaintext (content,
// content type, padding), so that any rule can be broken.
std::string craft(cipher_suite suite, traffic_keys& keys, const std::string& inner,
                  std::uint8_t outer_type = 23, std::uint16_t version = 0x0303) {
  REQUIRE(!inner.empty());
  std::size_t length = inner.size() + 16;
  std::string record = {char(outer_type), char(version >> 8), char(version & 0xff),
                        char(length >> 8), char(length & 0xff)};
  record.resize(5 + length);
  auto* out = reinterpret_cast<std::uint8_t*>(record.data());
  record_cipher c(suite, keys, true);
  // seal() appends one type byte: give it all but the last byte of `inner`.
  REQUIRE(c.seal(keys.sequence, out, reinterpret_cast<const std::uint8_t*>(inner.data()),
                 inner.size() - 1, std::uint8_t(inner.back()), out + 5));
  ++keys.sequence;
  return record;
}

std::string typed(const std::string& content, std::uint8_t type, std::size_t padding = 0) {
  return content + char(type) + std::string(padding, '\0');
}

// What the client makes of the server's output: the alert the server sent.
std::string alert_seen_by_client(layer_pair& p) {
  std::string plain;
  auto out = take(*p.server);
  p.client->open(out.data(), out.size(), plain);
  return p.client->error();
}

void expect_refused(layer_pair& p, const std::string& bytes, alert expected) {
  std::string plain;
  CHECK_FALSE(p.server->open(bytes.data(), bytes.size(), plain));
  CHECK(plain.empty());
  CHECK(p.server->failed());
  CHECK(p.server->sent_alert() == expected);
  INFO("server: " << p.server->error());
  CHECK(alert_seen_by_client(p) == "peer sent alert " + std::to_string(int(expected)));
  // Dead for good: nothing more in or out.
  CHECK_FALSE(p.server->open(bytes.data(), bytes.size(), plain));
  CHECK_FALSE(p.server->seal("x"));
  CHECK(p.server->pending_output() == 0);
  CHECK(p.server->partial_record_size() == 0);
}

}  // namespace

TEST_CASE("records cross intact whatever the split", "[tls][record_layer]") {
  auto suite = GENERATE(cipher_suite::aes_128_gcm_sha256, cipher_suite::aes_256_gcm_sha384,
                        cipher_suite::chacha20_poly1305_sha256);
  layer_pair p(suite, 3, 9);
  std::string sent = "<stream:stream to='as1.example'>";
  REQUIRE(p.client->seal(sent));
  REQUIRE(p.client->seal(""));  // nothing, not even an empty record
  REQUIRE(p.client->send_key_update());
  std::string more = random_bytes(300, 1);
  REQUIRE(p.client->seal(more));
  sent += more;
  REQUIRE(p.client->close());
  std::string wire = take(*p.client);
  REQUIRE(p.client->pending_output() == 0);

  for (std::size_t split = 0; split <= wire.size(); ++split) {
    layer_pair q(suite, 3, 9);
    std::string got;
    REQUIRE(q.server->open(wire.data(), split, got));
    REQUIRE(q.server->open(wire.data() + split, wire.size() - split, got));
    INFO("split at " << split << ": " << q.server->error());
    CHECK(got == sent);
    CHECK(q.server->peer_closed());
    CHECK_FALSE(q.server->failed());
    CHECK(q.server->pending_output() == 0);
    CHECK(q.server->partial_record_size() == 0);
  }
  layer_pair q(suite, 3, 9);
  std::string got;
  for (char c : wire)
    REQUIRE(q.server->open(&c, 1, got));
  CHECK(got == sent);
  CHECK(q.server->peer_closed());
  // Two records after the update: the KeyUpdate reset the count (§5.3).
  CHECK(q.server->read_sequence() == 2);
}

TEST_CASE("a megabyte both ways in records of at most 2^14 bytes", "[tls][record_layer]") {
  layer_pair p;
  auto up = random_bytes(1 << 20, 2);
  auto down = random_bytes((1 << 20) + 1, 3);
  REQUIRE(p.client->seal(up));
  REQUIRE(p.server->seal(down));
  auto to_server = take(*p.client);
  auto to_client = take(*p.server);
  // 64 full records and no more for the client's exact megabyte.
  CHECK(to_server.size() == 64 * (5 + max_fragment + 1 + 16));
  CHECK(p.client->write_sequence() == 64);
  std::string server_got;
  std::string client_got;
  for (std::size_t at = 0; at < to_server.size(); at += 1237)
    REQUIRE(p.server->open(to_server.data() + at, std::min<std::size_t>(1237, to_server.size() - at),
                           server_got));
  for (std::size_t at = 0; at < to_client.size(); at += 4099)
    REQUIRE(p.client->open(to_client.data() + at, std::min<std::size_t>(4099, to_client.size() - at),
                           client_got));
  CHECK(server_got == up);
  CHECK(client_got == down);
  CHECK(p.client->read_sequence() == 65);
}

TEST_CASE("a half-received record is held, and only until it is whole", "[tls][record_layer]") {
  layer_pair p;
  REQUIRE(p.client->seal("hello"));
  auto wire = take(*p.client);
  std::string got;
  REQUIRE(p.server->open(wire.data(), 3, got));  // not even a whole header
  CHECK(p.server->partial_record_size() == 3);
  REQUIRE(p.server->open(wire.data() + 3, wire.size() - 4, got));  // all but one byte
  CHECK(got.empty());
  CHECK(p.server->partial_record_size() == wire.size() - 1);
  REQUIRE(p.server->open(wire.data() + wire.size() - 1, 1, got));
  CHECK(got == "hello");
  CHECK(p.server->partial_record_size() == 0);
}

TEST_CASE("KeyUpdate from the peer changes the read key, update_requested is answered",
          "[tls][record_layer]") {
  layer_pair p(cipher_suite::aes_256_gcm_sha384, 10, 20);
  auto keys = p.client_keys(10);
  auto wire = craft(p.suite, keys, typed(std::string("\x18\x00\x00\x01\x01", 5), 22));
  REQUIRE(update_traffic_keys(p.suite, keys));  // the client's next records
  wire += craft(p.suite, keys, typed("after", 23));
  std::string got;
  REQUIRE(p.server->open(wire.data(), wire.size(), got));
  CHECK(got == "after");
  CHECK(p.server->read_sequence() == 1);
  // The answer: a KeyUpdate asking for nothing, then the next key (§4.6.3).
  CHECK(p.server->write_sequence() == 0);
  REQUIRE(p.server->seal("reply"));
  std::string client_got;
  auto back = take(*p.server);
  REQUIRE(p.client->open(back.data(), back.size(), client_got));
  CHECK(client_got == "reply");
  CHECK(p.client->read_sequence() == 1);
  // update_not_requested from the client draws no answer.
  auto next = craft(p.suite, keys, typed(std::string("\x18\x00\x00\x01\x00", 5), 22));
  REQUIRE(p.server->open(next.data(), next.size(), got));
  CHECK(p.server->pending_output() == 0);
  CHECK(p.server->read_sequence() == 0);
}

TEST_CASE("a KeyUpdate split over records is reassembled", "[tls][record_layer]") {
  auto cut = GENERATE(1, 2, 3, 4);
  layer_pair p;
  auto keys = p.client_keys();
  std::string message("\x18\x00\x00\x01\x00", 5);
  auto wire = craft(p.suite, keys, typed(message.substr(0, cut), 22));
  wire += craft(p.suite, keys, typed(message.substr(cut), 22, 3));
  REQUIRE(update_traffic_keys(p.suite, keys));
  wire += craft(p.suite, keys, typed("next", 23));
  std::string got;
  INFO(p.server->error());
  REQUIRE(p.server->open(wire.data(), wire.size(), got));
  CHECK(got == "next");
}

TEST_CASE("padding and empty application data are accepted", "[tls][record_layer]") {
  layer_pair p;
  auto keys = p.client_keys();
  std::string wire = craft(p.suite, keys, typed("", 23));           // §5.1: may be sent
  wire += craft(p.suite, keys, typed("padded", 23, 200));          // §5.4
  wire += craft(p.suite, keys, typed(std::string(max_fragment, 'm'), 23));  // the largest
  std::string got;
  INFO(p.server->error());
  REQUIRE(p.server->open(wire.data(), wire.size(), got));
  CHECK(got == "padded" + std::string(max_fragment, 'm'));
  CHECK(p.server->read_sequence() == 3);
}

TEST_CASE("the peer's close_notify ends its data, ours ends our writing", "[tls][record_layer]") {
  layer_pair p;
  REQUIRE(p.client->seal("last words"));
  REQUIRE(p.client->close());
  CHECK_FALSE(p.client->seal("more"));
  CHECK_FALSE(p.client->close());
  auto wire = take(*p.client);
  auto keys = p.client_keys(2);
  wire += craft(p.suite, keys, typed("ignored", 23));   // §6.1: ignored
  wire += "garbage that is not even a record";
  std::string got;
  REQUIRE(p.server->open(wire.data(), wire.size(), got));
  CHECK(got == "last words");
  CHECK(p.server->peer_closed());
  CHECK_FALSE(p.server->failed());
  // TLS 1.3 closes each direction on its own: the server may still write.
  REQUIRE(p.server->seal("goodbye"));
  REQUIRE(p.server->close());
  std::string client_got;
  auto back = take(*p.server);
  REQUIRE(p.client->open(back.data(), back.size(), client_got));
  CHECK(client_got == "goodbye");
  CHECK(p.client->peer_closed());
}

TEST_CASE("user_canceled is no error, another alert from the peer ends the connection",
          "[tls][record_layer]") {
  layer_pair p;
  auto keys = p.client_keys();
  std::string wire = craft(p.suite, keys, typed(std::string("\x01\x5a", 2), 21));
  wire += craft(p.suite, keys, typed("still here", 23));
  std::string got;
  REQUIRE(p.server->open(wire.data(), wire.size(), got));
  CHECK(got == "still here");

  auto fatal = craft(p.suite, keys, typed(std::string("\x02\x28", 2), 21));  // handshake_failure
  CHECK_FALSE(p.server->open(fatal.data(), fatal.size(), got));
  CHECK(p.server->failed());
  CHECK(p.server->error() == "peer sent alert 40");
  // §6.2: nothing is sent in reply to an error alert.
  CHECK(p.server->pending_output() == 0);
  CHECK_FALSE(p.server->seal("x"));
}

TEST_CASE("a bad record is refused with the alert RFC 8446 names", "[tls][record_layer]") {
  layer_pair p;
  auto keys = p.client_keys();
  // Each section sends one record at sequence number 0: this one, or its own.
  std::string good = [&] {
    auto copy = keys;
    return craft(p.suite, copy, typed("hello", 23));
  }();

  SECTION("a flipped bit anywhere past the header: bad_record_mac (§5.2)") {
    auto byte = GENERATE(range(std::size_t(5), std::size_t(5 + 5 + 1 + 16)));
    good[byte] ^= 0x20;
    expect_refused(p, good, alert::bad_record_mac);
  }
  SECTION("a changed length in the header: bad_record_mac, the header is authenticated") {
    good[4] = char(good[4] - 1);
    expect_refused(p, good.substr(0, good.size() - 1), alert::bad_record_mac);
  }
  SECTION("a record too short to hold a tag: bad_record_mac") {
    expect_refused(p, std::string("\x17\x03\x03\x00\x0f", 5) + std::string(15, 'x'),
                   alert::bad_record_mac);
  }
  SECTION("the right record under the wrong sequence number: bad_record_mac (§5.3)") {
    auto replay = good + good;
    std::string got;
    CHECK_FALSE(p.server->open(replay.data(), replay.size(), got));
    CHECK(got == "hello");
    CHECK(p.server->sent_alert() == alert::bad_record_mac);
  }
  SECTION("over 2^14 + 256 bytes of ciphertext: record_overflow at the header (§5.2)") {
    std::string header("\x17\x03\x03\x41\x01", 5);  // 2^14 + 257
    expect_refused(p, header, alert::record_overflow);
  }
  SECTION("an inner plaintext over 2^14 + 1 bytes: record_overflow (§5.4)") {
    auto inner = GENERATE(typed(std::string(max_fragment + 1, 'o'), 23),
                          typed(std::string(max_fragment, 'o'), 23, 1));
    expect_refused(p, craft(p.suite, keys, inner), alert::record_overflow);
  }
  SECTION("no content type, only zeros: unexpected_message (§5.4)") {
    expect_refused(p, craft(p.suite, keys, std::string(10, '\0')), alert::unexpected_message);
  }
  SECTION("a protected change_cipher_spec or unknown type: unexpected_message (§5)") {
    auto type = GENERATE(20, 24, 0x63, 0xff);
    expect_refused(p, craft(p.suite, keys, typed("\x01", std::uint8_t(type))),
                   alert::unexpected_message);
  }
  SECTION("an unprotected record of any other type: unexpected_message (§5, §5.2)") {
    auto bytes = GENERATE(std::string("\x14\x03\x03\x00\x01\x01", 6),   // change_cipher_spec
                          std::string("\x15\x03\x03\x00\x02\x02\x28", 7),  // plaintext alert
                          std::string("\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9));  // ClientHello
    expect_refused(p, bytes, alert::unexpected_message);
  }
  SECTION("a legacy_record_version other than 0x0303: decode_error, as OpenSSL") {
    expect_refused(p, craft(p.suite, keys, typed("hello", 23), 23, 0x0301), alert::decode_error);
  }
  SECTION("a handshake message other than KeyUpdate: unexpected_message (§4.6)") {
    auto type = GENERATE(1, 2, 4, 8, 11, 13, 15, 20, 5, 0);
    expect_refused(p, craft(p.suite, keys, typed(std::string{char(type), 0, 0, 0}, 22)),
                   alert::unexpected_message);
  }
  SECTION("an empty handshake or alert record: unexpected_message (§5.1)") {
    auto type = GENERATE(21, 22);
    expect_refused(p, craft(p.suite, keys, typed("", std::uint8_t(type))),
                   alert::unexpected_message);
  }
  SECTION("an alert record not of exactly one alert: decode_error (§5.1)") {
    auto body = GENERATE(std::string("\x02", 1), std::string("\x01\x00\x01\x00", 4));
    expect_refused(p, craft(p.suite, keys, typed(body, 21)), alert::decode_error);
  }
  SECTION("a KeyUpdate of the wrong length: decode_error (§4.6.3)") {
    auto body = GENERATE(std::string("\x18\x00\x00\x02\x00\x00", 6),
                         std::string("\x18\x00\x00\x00", 4), std::string("\x18\x01\x00\x01\x00", 5));
    expect_refused(p, craft(p.suite, keys, typed(body, 22)), alert::decode_error);
  }
  SECTION("request_update neither 0 nor 1: illegal_parameter (§4.6.3)") {
    expect_refused(p, craft(p.suite, keys, typed(std::string("\x18\x00\x00\x01\x02", 5), 22)),
                   alert::illegal_parameter);
  }
  SECTION("a KeyUpdate not ending its record: unexpected_message (§5.1)") {
    std::string two("\x18\x00\x00\x01\x00\x18\x00\x00\x01\x00", 10);
    expect_refused(p, craft(p.suite, keys, typed(two, 22)), alert::unexpected_message);
  }
  SECTION("other records inside a split handshake message: unexpected_message (§5.1)") {
    auto bytes = craft(p.suite, keys, typed(std::string("\x18\x00", 2), 22));
    bytes += craft(p.suite, keys, typed("data", 23));
    expect_refused(p, bytes, alert::unexpected_message);
  }
}

TEST_CASE("records before a refused one are delivered, none after", "[tls][record_layer]") {
  layer_pair p;
  auto keys = p.client_keys();
  std::string wire = craft(p.suite, keys, typed("first", 23));
  wire += craft(p.suite, keys, typed("\x01", 20));
  wire += craft(p.suite, keys, typed("third", 23));
  std::string got;
  CHECK_FALSE(p.server->open(wire.data(), wire.size(), got));
  CHECK(got == "first");
}

TEST_CASE("the write key is updated before AES-GCM's usage limit", "[tls][record_layer]") {
  auto start = record_layer::records_per_key - 1;
  layer_pair p(cipher_suite::aes_128_gcm_sha256, start, start);
  REQUIRE(p.server->seal("a"));  // the last record under the first key
  CHECK(p.server->write_sequence() == record_layer::records_per_key);
  REQUIRE(p.server->seal("b"));  // KeyUpdate first (§5.5), then "b" at 0 of the next key
  CHECK(p.server->write_sequence() == 1);
  auto wire = take(*p.server);
  std::string got;
  REQUIRE(p.client->open(wire.data(), wire.size(), got));
  CHECK(got == "ab");
  CHECK(p.client->read_sequence() == 1);
}

TEST_CASE("sequence numbers never wrap", "[tls][record_layer]") {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  SECTION("reading: the last number is refused") {
    layer_pair p(cipher_suite::chacha20_poly1305_sha256, max - 1, 0);
    auto keys = p.client_keys(max - 1);
    auto wire = craft(p.suite, keys, typed("ok", 23));
    std::string got;
    REQUIRE(p.server->open(wire.data(), wire.size(), got));
    CHECK(got == "ok");
    wire = craft(p.suite, keys, typed("wrapped", 23));
    CHECK_FALSE(p.server->open(wire.data(), wire.size(), got));
    CHECK(got == "ok");
    CHECK(p.server->failed());
  }
  SECTION("writing: nothing is sent, not even an alert") {
    layer_pair p(cipher_suite::chacha20_poly1305_sha256, 0, max);
    CHECK_FALSE(p.server->close());
    CHECK(p.server->failed());
    CHECK(p.server->pending_output() == 0);
  }
}
