// RFC 8446 §5, §6, §4.6.3: libFuzzer target for the compact TLS 1.3 record layer
// (node/tls/record_layer.*), what a compacted server session feeds every byte from the client to.
// Raw bytes alone would stop at the first bad_record_mac, so the harness also seals
// fuzzer-chosen inner plaintexts under the client's keys, letting the fuzzer reach the
// content-type, alert, KeyUpdate and padding rules behind the AEAD. Invariants: a failure is
// final; the server's output always opens at a client (which fails only on the alert the server
// says it sent); a partial record never exceeds the largest legal record; well-formed
// application data arrives intact.
//
// Input: a list of operations, each one byte then its operands:
//   0 n(2) bytes   feed n raw bytes to the server
//   1 n(2) bytes   seal the n bytes as a TLSInnerPlaintext under the client's write key (the
//                  last byte is the content type) and feed the record
//   2 cut(1)       as 1 with the rest of the input, fed in two pieces split at `cut`
//   3              the client's write key moves on (after it sent a KeyUpdate)
//   4 n(1)         the server writes n bytes of application data
//   5              the server sends close_notify;  6  the server sends a KeyUpdate
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/tls/record_layer.hpp"

using namespace irsp::tls;

namespace {

void check(bool ok, const char* what) {
  if (ok)
    return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

const std::vector<std::uint8_t> client_secret(48, 0xc1);
const std::vector<std::uint8_t> server_secret(48, 0x5e);

std::string seal(cipher_suite suite, traffic_keys& keys, const std::uint8_t* inner,
                 std::size_t size) {
  std::size_t length = size + 16;
  std::string record = {23, 3, 3, char(length >> 8), char(length & 0xff)};
  record.resize(5 + length);
  auto* out = reinterpret_cast<std::uint8_t*>(record.data());
  record_cipher c(suite, keys, true);
  check(c.seal(keys.sequence++, out, inner, size - 1, inner[size - 1], out + 5), "seal");
  return record;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  auto suite = static_cast<cipher_suite>(0x1301 + data[0] % 3);
  ++data;
  --size;
  std::string error;
  auto server = record_layer::create(suite, client_secret.data(), 0, server_secret.data(), 0, error);
  auto client = record_layer::create(suite, server_secret.data(), 0, client_secret.data(), 0, error);
  check(server && client, "create");
  traffic_keys client_keys;
  check(derive_traffic_keys(suite, client_secret.data(), 0, client_keys), "derive");

  std::string plaintext;
  std::string expected;    // application data of well-formed records, in order
  bool only_simple = true;  // every record so far was well-formed application data
  std::string client_plain;

  auto feed = [&](const std::string& bytes, std::size_t cut) {
    bool was_failed = server->failed();
    bool ok = server->open(bytes.data(), std::min(cut, bytes.size()), plaintext);
    if (cut < bytes.size())
      ok = server->open(bytes.data() + cut, bytes.size() - cut, plaintext) && ok;
    check(ok == !server->failed(), "open's result is failed()'s opposite");
    check(!was_failed || !ok, "a failure is final");
    check(server->partial_record_size() <= 5 + (1 << 14) + 256, "partial record bounded");
  };

  while (size > 0) {
    std::uint8_t op = data[0] % 7;
    ++data;
    --size;
    std::size_t n = 0;
    if (op == 0 || op == 1) {
      if (size < 2)
        break;
      n = std::min<std::size_t>((std::size_t(data[0]) << 8 | data[1]), size - 2);
      data += 2;
      size -= 2;
    }
    switch (op) {
    case 0:
      only_simple = false;
      feed(std::string(reinterpret_cast<const char*>(data), n), n);
      data += n;
      size -= n;
      break;
    case 1:
    case 2: {
      std::size_t cut = 0;
      if (op == 2) {
        if (size < 1)
          break;
        cut = data[0];
        ++data;
        --size;
        n = size;
      }
      if (n == 0 || n > (1 << 14) + 256 - 16)
        break;
      std::string record = seal(suite, client_keys, data, n);
      // Well-formed application data: type 23 then zeros, at most 2^14 + 1 in all.
      std::size_t end = n;
      while (end > 0 && data[end - 1] == 0)
        --end;
      if (end > 0 && data[end - 1] == 23 && n <= (1 << 14) + 1)
        expected.append(reinterpret_cast<const char*>(data), end - 1);
      else
        only_simple = false;
      feed(record, op == 2 ? cut : record.size());
      data += n;
      size -= n;
      break;
    }
    case 3:
      only_simple = false;
      check(update_traffic_keys(suite, client_keys), "update");
      break;
    case 4: {
      std::size_t m = size > 0 ? data[0] : 0;
      if (size > 0) {
        ++data;
        --size;
      }
      bool ok = server->seal(std::string(m, 'd'));
      check(ok == (!server->failed() && !server->closed()), "seal's result");
      break;
    }
    case 5:
      server->close();
      break;
    case 6:
      server->send_key_update();
      break;
    }
    // Whatever the server wrote opens at the client.
    std::string out;
    server->take_output(out);
    check(server->pending_output() == 0, "output taken");
    if (!out.empty() && !client->failed()) {
      bool ok = client->open(out.data(), out.size(), client_plain);
      if (!ok)
        check(server->failed()
                  && client->error() == "peer sent alert " + std::to_string(int(server->sent_alert())),
              "the client fails only on the alert the server sent");
    }
  }
  if (only_simple && !server->failed())
    check(plaintext == expected, "application data arrives intact");
  return 0;
}
