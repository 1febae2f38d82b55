// RFC 8446 §5: CPU per small record and heap per idle session, OpenSSL's record layer vs the compact one.
//
//   bench_tls_session                    google-benchmark CPU figures
//   bench_tls_session --memory [N]       heap held by N idle server sessions, on OpenSSL and
//                                        compacted, by mallinfo2 and by OpenSSL call site
//
// Server and client sessions run in one process over memory BIOs, as in the
// tests; no sockets, so the figures are TLS work only.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "node/tls/record_protection.hpp"
#include "node/tls/self_signed.hpp"
#include "node/tls/tls_context.hpp"
#include "node/tls/traffic_capture.hpp"

namespace {

using irsp::tls::session;

// --- OpenSSL allocations by call site (CRYPTO_set_mem_functions) -------------

struct site_total {
  long blocks = 0;
  long bytes = 0;
};

struct block_header {
  std::size_t size;
  const char* file;
  int line;
  // Keeps what follows 16-byte aligned, as malloc's own blocks are.
  int pad[3];
};
static_assert(sizeof(block_header) % 16 == 0);

bool tracking = false;
std::map<std::pair<std::string, int>, site_total>* sites = nullptr;

void account(const block_header* h, long sign) {
  if (!tracking || sites == nullptr)
    return;
  tracking = false;  // the map allocates with malloc, not through OpenSSL, but be safe
  auto& t = (*sites)[{h->file == nullptr ? "?" : h->file, h->line}];
  t.blocks += sign;
  t.bytes += sign * long(h->size);
  tracking = true;
}

void* tracked_malloc(std::size_t n, const char* file, int line) {
  auto* h = static_cast<block_header*>(std::malloc(sizeof(block_header) + n));
  if (h == nullptr)
    return nullptr;
  *h = block_header{n, file, line, {0, 0, 0}};
  account(h, +1);
  return h + 1;
}

void tracked_free(void* p, const char*, int) {
  if (p == nullptr)
    return;
  auto* h = static_cast<block_header*>(p) - 1;
  account(h, -1);
  std::free(h);
}

void* tracked_realloc(void* p, std::size_t n, const char* file, int line) {
  if (p == nullptr)
    return tracked_malloc(n, file, line);
  if (n == 0) {
    tracked_free(p, file, line);
    return nullptr;
  }
  auto* h = static_cast<block_header*>(p) - 1;
  account(h, -1);
  auto* moved = static_cast<block_header*>(std::realloc(h, sizeof(block_header) + n));
  if (moved == nullptr) {
    account(h, +1);
    return nullptr;
  }
  *moved = block_header{n, file, line, {0, 0, 0}};
  account(moved, +1);
  return moved + 1;
}

// --- sessions -----------------------------------------------------------------

struct contexts {
  std::string dir;
  std::optional<irsp::tls::server_context> server;
  std::optional<irsp::tls::client_context> client;

  contexts() {
    char pattern[] = "/tmp/irsp-bench-tls-XXXXXX";
    if (::mkdtemp(pattern) == nullptr)
      std::abort();
    dir = pattern;
    auto status = irsp::tls::ensure_certificate(dir + "/c.pem", dir + "/k.pem", "as1.example");
    if (!status) {
      std::fprintf(stderr, "%s\n", status.error.c_str());
      std::exit(1);
    }
    std::string error;
    irsp::tls::server_options so;
    so.cert_file = dir + "/c.pem";
    so.key_file = dir + "/k.pem";
    server = irsp::tls::server_context::create(so, error);
    irsp::tls::client_options co;
    co.ca_file = so.cert_file;
    client = irsp::tls::client_context::create(co, error);
    if (!server || !client) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
  }
  ~contexts() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

contexts& shared_contexts() {
  static contexts c;
  return c;
}

void pump(session& client, session& server) {
  std::string got;
  for (int round = 0; round < 100; ++round) {
    std::string to_server;
    std::string to_client;
    client.take_ciphertext(to_server);
    server.take_ciphertext(to_client);
    if (to_server.empty() && to_client.empty())
      return;
    server.feed_ciphertext(to_server.data(), to_server.size());
    server.read_plaintext(got);
    client.feed_ciphertext(to_client.data(), to_client.size());
    client.read_plaintext(got);
  }
}

// How the server session of a benchmark runs.
enum mode { openssl = 0, compacted = 1, openssl_without_capture = 2 };

const char* mode_name(std::int64_t m) {
  return m == compacted ? "compact" : m == openssl ? "OpenSSL" : "OpenSSL, no capture callbacks";
}

// A connected pair that has carried one stanza each way; the server compacted if asked.
std::pair<session, session> connected(bool compact, bool capture = true) {
  auto& c = shared_contexts();
  SSL_CTX* ctx = c.server->native_handle();
  if (!capture) {
    // As before session::compact existed: no key-log or message callback.
    SSL_CTX_set_keylog_callback(ctx, nullptr);
    SSL_CTX_set_msg_callback(ctx, nullptr);
  }
  session server = c.server->new_session();
  if (!capture)
    irsp::tls::detail::capture_traffic(ctx);
  session client = c.client->new_session("as1.example");
  pump(client, server);
  server.write_plaintext("<presence/>");
  client.write_plaintext("<presence/>");
  pump(client, server);
  if (!server.handshake_done() || (compact && !server.compact())) {
    std::fprintf(stderr, "cannot set up a session pair\n");
    std::exit(1);
  }
  return {std::move(client), std::move(server)};
}

const std::string stanza =
    "<message to='u2@as1.example/bench' type='chat'><body>0123456789abcdef</body></message>";

// The server seals one stanza and the transport takes it: one record.
void BM_server_writes_stanza(benchmark::State& state) {
  auto [client, server] = connected(state.range(0) == compacted, state.range(0) != openssl_without_capture);
  std::string out;
  for (auto _ : state) {
    server.write_plaintext(stanza);
    out.clear();
    server.take_ciphertext(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(mode_name(state.range(0)));
}
BENCHMARK(BM_server_writes_stanza)->Arg(openssl_without_capture)->Arg(openssl)->Arg(compacted);

// One record arrives on its own (one socket read) and is read: what an idle
// connection does when a message comes in.
void BM_server_reads_stanza(benchmark::State& state) {
  auto [client, server] = connected(state.range(0) == compacted, state.range(0) != openssl_without_capture);
  std::vector<std::string> records;
  std::size_t next = 0;
  std::string plain;
  for (auto _ : state) {
    if (next == records.size()) {
      state.PauseTiming();
      records.assign(1024, {});
      for (auto& r : records) {
        client.write_plaintext(stanza);
        client.take_ciphertext(r);
      }
      next = 0;
      state.ResumeTiming();
    }
    const std::string& r = records[next++];
    server.feed_ciphertext(r.data(), r.size());
    plain.clear();
    server.read_plaintext(plain);
    benchmark::DoNotOptimize(plain.data());
  }
  if (server.failed())
    state.SkipWithError(server.error().c_str());
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(mode_name(state.range(0)));
}
BENCHMARK(BM_server_reads_stanza)->Arg(openssl_without_capture)->Arg(openssl)->Arg(compacted);

// The compact layer's price per burst: a cipher context made, keyed and freed
// around one record, against one record on a context already keyed.
void BM_record_cipher(benchmark::State& state) {
  auto suite = static_cast<irsp::tls::cipher_suite>(state.range(0));
  bool fresh_context = state.range(1) != 0;
  std::vector<std::uint8_t> secret(48, 0x42);
  irsp::tls::traffic_keys keys;
  irsp::tls::derive_traffic_keys(suite, secret.data(), 0, keys);
  std::vector<std::uint8_t> out(stanza.size() + 1 + 16);
  const std::uint8_t header[5] = {23, 3, 3, 0, 0};
  auto* in = reinterpret_cast<const std::uint8_t*>(stanza.data());
  std::uint64_t seq = 0;
  irsp::tls::record_cipher kept(suite, keys, true);
  for (auto _ : state) {
    if (fresh_context) {
      irsp::tls::record_cipher c(suite, keys, true);
      c.seal(seq++, header, in, stanza.size(), 23, out.data());
    } else {
      kept.seal(seq++, header, in, stanza.size(), 23, out.data());
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(irsp::tls::suite_name(suite))
                 + (fresh_context ? ", new context per record" : ", context reused"));
}
BENCHMARK(BM_record_cipher)
    ->Args({0x1301, 1})
    ->Args({0x1301, 0})
    ->Args({0x1302, 1})
    ->Args({0x1302, 0})
    ->Args({0x1303, 1})
    ->Args({0x1303, 0});

// --- memory -------------------------------------------------------------------

std::size_t heap_in_use() {
  auto info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

void measure_memory(int n, bool compact, bool forget_bindings) {
  std::vector<session> servers;
  servers.reserve(n);
  connected(compact);  // warm one-time allocations
  ::malloc_trim(0);
  std::map<std::pair<std::string, int>, site_total> before = *sites;
  std::size_t heap_before = heap_in_use();
  for (int i = 0; i < n; ++i) {
    servers.push_back(std::move(connected(compact).second));  // client freed at once
    if (forget_bindings)
      servers.back().forget_channel_bindings();
  }
  std::size_t heap_after = heap_in_use();
  std::printf("\n%s%s: %d idle TLS 1.3 server sessions, client sessions freed\n",
              compact ? "compacted" : "on OpenSSL",
              forget_bindings ? ", channel bindings forgotten" : "", n);
  std::printf("  heap (mallinfo2 uordblks+hblkhd) per session: %.0f bytes"
              " (+ sizeof(session) = %zu, held by its owner)\n",
              double(heap_after - heap_before) / n, sizeof(session));
  std::vector<std::pair<long, std::string>> rows;
  long total = 0;
  for (auto& [site, t] : *sites) {
    auto it = before.find(site);
    long bytes = t.bytes - (it == before.end() ? 0 : it->second.bytes);
    long blocks = t.blocks - (it == before.end() ? 0 : it->second.blocks);
    if (bytes == 0 && blocks == 0)
      continue;
    total += bytes;
    char line[256];
    std::snprintf(line, sizeof line, "  %8.1f bytes %6.2f blocks  %s:%d", double(bytes) / n,
                  double(blocks) / n, site.first.c_str(), site.second);
    rows.emplace_back(bytes, line);
  }
  std::sort(rows.rbegin(), rows.rend());
  std::printf("  OpenSSL allocations per session: %.1f bytes (request sizes, no malloc overhead)\n",
              double(total) / n);
  for (std::size_t i = 0; i < rows.size() && i < 15; ++i)
    if (std::abs(double(rows[i].first) / n) >= 1)
      std::printf("%s\n", rows[i].second.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--memory") == 0) {
    // Before OpenSSL allocates anything, or it refuses.
    if (CRYPTO_set_mem_functions(tracked_malloc, tracked_realloc, tracked_free) != 1) {
      std::fprintf(stderr, "CRYPTO_set_mem_functions refused\n");
      return 1;
    }
    sites = new std::map<std::pair<std::string, int>, site_total>;
    tracking = true;
    int n = argc >= 3 ? std::atoi(argv[2]) : 2000;
    measure_memory(n, false, false);
    measure_memory(n, true, false);
    measure_memory(n, true, true);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
