// RFC 5802, RFC 7677, RFC 4616, RFC 5929 / RFC 9266: libFuzzer target for the SASL server
// (node/xmpp/sasl/). The fuzzer picks the connection (TLS, channel bindings), the mechanism
// and the client's messages; in "client" mode the harness computes a correct SCRAM
// client-final-message from the fuzzer's client-first, so the fuzzer reaches the proof check
// and success. Invariants: no success without the right password of a known user, success
// whenever a well-formed exchange has both, a server signature the client can verify, and an
// attempt that stays over once over.
//
// Input: byte 0 flags, then the mechanism name and the messages, each ended by '\n':
//   flags bit 0  the connection is TLS
//         bit 1  it offers tls-exporter binding data, bit 2 tls-unique
//         bit 3  client mode: line 2 is client-first, line 3 extra attributes for
//                client-final (usually empty), line 4 the password (default "pencil")
//         bit 4  answer credential requests asynchronously (provide_credentials)
//         bit 5  end with abort()
// Users are all known with password "pencil", except names starting "unknown" (no such
// user) and "broken" (stored secrets unusable).
#include "fuzz_check.hpp"

#include "actors/account/credentials.hpp"
#include "node/xmpp/sasl/sasl_server.hpp"

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace irsp;
using namespace irsp::xmpp;
using account::scram_hash;
using account::scram_secret;
using irsp::fuzz::check;

namespace {

constexpr std::string_view good_password = "pencil";
constexpr std::string_view exporter_data = "exporter-binding-0123456789abcdef";
constexpr std::string_view unique_data = "unique-finished-0123";
// Cheap PBKDF2: the fuzzer is after the logic, not the hash.
constexpr std::uint32_t iterations = 2;

constexpr std::string_view b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += b64[(acc >> bits) & 63];
    }
  }
  if (bits > 0)
    out += b64[(acc << (6 - bits)) & 63];
  while (out.size() % 4 != 0)
    out += '=';
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=')
      break;
    const auto v = b64.find(c);
    if (v == std::string_view::npos)
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string prepared(std::string_view password) {
  auto p = account::saslprep(password);
  return p ? *p : std::string{password};
}

// The account store of this harness: what it answered last tells the checks
// whether the user was known.
struct store {
  bool answered_known = false;

  std::optional<scram_secret> lookup(std::string_view user, scram_hash hash) {
    answered_known = false;
    if (user.compare(0, 7, "unknown") == 0)
      return std::nullopt;
    if (user.compare(0, 6, "broken") == 0) {
      scram_secret s;
      s.salt = "salt";
      return s; // zero iterations, no keys
    }
    answered_known = true;
    return account::derive_scram_secret(hash, good_password, "salt of " + std::string{user},
                                        iterations);
  }
};

std::vector<std::string_view> lines(std::string_view in) {
  std::vector<std::string_view> out;
  while (!in.empty()) {
    const auto nl = in.find('\n');
    out.push_back(in.substr(0, nl));
    if (nl == std::string_view::npos)
      break;
    in.remove_prefix(nl + 1);
  }
  return out;
}

bool is_success(const sasl_step_result& r) {
  return std::holds_alternative<sasl_success>(r);
}

bool is_failure(const sasl_step_result& r) {
  return std::holds_alternative<sasl_failure>(r);
}

// One attempt, seen from the client's side.
struct attempt {
  sasl_server& server;
  store& accounts;
  bool async;

  sasl_step_result step(std::string_view message) {
    const bool was_done = server.done();
    auto r = server.step(message);
    if (auto* need = std::get_if<sasl_need_credentials>(&r)) {
      check(async, "credentials are asked for only without a lookup callback");
      check(!need->username.empty(), "credentials are asked for a username");
      r = server.provide_credentials(accounts.lookup(need->username, need->hash));
    }
    check(!std::holds_alternative<sasl_need_credentials>(r), "credentials asked for twice");
    if (was_done)
      check(is_failure(r), "an attempt that is over stays over");
    if (is_success(r) || is_failure(r))
      check(server.done(), "success or failure ends the attempt");
    if (auto* s = std::get_if<sasl_success>(&r))
      check(!s->username.empty() && accounts.answered_known, "success only for a known user");
    return r;
  }
};

struct server_first {
  std::string nonce;
  std::string salt;
  std::uint32_t iterations = 0;
};

std::optional<server_first> parse_server_first(std::string_view m) {
  server_first out;
  const auto s_at = m.find(",s=");
  const auto i_at = m.find(",i=");
  if (m.compare(0, 2, "r=") != 0 || s_at == std::string_view::npos || i_at == std::string_view::npos
      || i_at < s_at)
    return std::nullopt;
  out.nonce = std::string{m.substr(2, s_at - 2)};
  auto salt = base64_decode(m.substr(s_at + 3, i_at - s_at - 3));
  if (!salt)
    return std::nullopt;
  out.salt = std::move(*salt);
  // RFC 5802 §7: extensions may follow i= (XEP-0474's h= does).
  auto digits = m.substr(i_at + 3);
  digits = digits.substr(0, digits.find(','));
  for (char c : digits) {
    if (c < '0' || c > '9' || out.iterations > 100000)
      return std::nullopt;
    out.iterations = out.iterations * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return out;
}

// RFC 5802 §3 from the client's side.
struct client_keys {
  std::string client_key;
  std::string server_key;
};

client_keys derive(scram_hash hash, std::string_view password, const server_first& sf) {
  const auto size = account::scram_hash_size(hash);
  std::string salted(size, '\0');
  const auto pw = prepared(password);
  PKCS5_PBKDF2_HMAC(pw.data(), static_cast<int>(pw.size()),
                    reinterpret_cast<const unsigned char*>(sf.salt.data()),
                    static_cast<int>(sf.salt.size()), static_cast<int>(sf.iterations),
                    hash == scram_hash::sha1 ? EVP_sha1() : EVP_sha256(), static_cast<int>(size),
                    reinterpret_cast<unsigned char*>(salted.data()));
  return {account::scram_hmac(hash, salted, "Client Key"),
          account::scram_hmac(hash, salted, "Server Key")};
}

std::string binding_data(std::string_view gs2_header) {
  if (gs2_header.compare(0, 15, "p=tls-exporter,") == 0)
    return std::string{exporter_data};
  if (gs2_header.compare(0, 13, "p=tls-unique,") == 0)
    return std::string{unique_data};
  return {};
}

// Client mode: the fuzzer's client-first, then a client-final computed like
// a real client would.
void run_client(attempt& a, scram_hash hash, const std::vector<std::string_view>& in) {
  const std::string_view first = in.size() > 1 ? in[1] : std::string_view{};
  const std::string_view extra = in.size() > 2 ? in[2] : std::string_view{};
  const std::string_view password = in.size() > 3 ? in[3] : good_password;
  auto r = a.step(first);
  const auto* challenge = std::get_if<sasl_challenge>(&r);
  if (challenge == nullptr || challenge->data.empty())
    return;
  auto sf = parse_server_first(challenge->data);
  check(sf.has_value(), "server-first-message is r=..,s=..,i=..[,ext]");
  const auto comma1 = first.find(',');
  const auto comma2 = first.find(',', comma1 + 1);
  const auto gs2_header = first.substr(0, comma2 + 1);
  const auto bare = first.substr(comma2 + 1);
  const auto client_nonce_at = bare.find(",r=");
  check(client_nonce_at != std::string_view::npos, "a challenge answers a client nonce");
  auto client_nonce = bare.substr(client_nonce_at + 3);
  client_nonce = client_nonce.substr(0, client_nonce.find(','));
  check(sf->nonce.compare(0, client_nonce.size(), client_nonce) == 0
          && sf->nonce.size() > client_nonce.size(),
        "the server's nonce extends the client's");

  std::string without_proof = "c=" + base64_encode(std::string{gs2_header} + binding_data(gs2_header))
                              + ",r=" + sf->nonce;
  if (!extra.empty())
    without_proof.append(",").append(extra);
  const std::string auth_message =
    std::string{bare} + "," + challenge->data + "," + without_proof;
  const auto keys = derive(hash, password, *sf);
  const auto stored_key = account::scram_digest(hash, keys.client_key);
  auto proof = account::scram_hmac(hash, stored_key, auth_message);
  for (std::size_t i = 0; i < proof.size(); ++i)
    proof[i] = static_cast<char>(proof[i] ^ keys.client_key[i]);
  // HMAC pads a key of up to one block (64 bytes for SHA-1 and SHA-256) with
  // zeros, so trailing NULs within it do not change the password a SCRAM
  // client proves (found by the campaign: "pencil\0" succeeds); a longer key
  // is hashed first, and then they do ("pencil" + 64 NULs fails).
  auto proved = prepared(password);
  if (proved.size() <= 64)
    while (!proved.empty() && proved.back() == '\0')
      proved.pop_back();
  const bool right_password = proved == good_password;
  const bool known = a.accounts.answered_known;

  r = a.step(without_proof + ",p=" + base64_encode(proof));
  if (!right_password)
    check(!is_success(r), "no success with a wrong password");
  if (right_password && known && extra.empty())
    check(is_success(r), "success with the right password of a known user");
  if (const auto* s = std::get_if<sasl_success>(&r)) {
    const auto signature = account::scram_hmac(hash, keys.server_key, auth_message);
    check(s->additional_data == "v=" + base64_encode(signature),
          "server-final-message carries the server signature");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const unsigned flags = data[0];
  const auto in = lines({reinterpret_cast<const char*>(data) + 1, size - 1});
  const std::string_view mechanism = in.empty() ? std::string_view{} : in[0];

  sasl_server_config config;
  config.tls = (flags & 1) != 0;
  if (flags & 2)
    config.channel_bindings.push_back({"tls-exporter", std::string{exporter_data}});
  if (flags & 4)
    config.channel_bindings.push_back({"tls-unique", std::string{unique_data}});
  config.fake_salt_key = "fuzz fake salt key";
  config.fake_iterations = iterations;
  config.nonce_for_testing = "ServerNonce";
  const bool client_mode = (flags & 8) != 0;
  const bool async = (flags & 16) != 0;

  const auto offered = sasl_server::mechanisms(config);
  bool plain_offered = false;
  for (const auto& m : offered)
    plain_offered = plain_offered || m == "PLAIN";
  check(plain_offered == config.tls, "PLAIN is offered exactly inside TLS");

  store accounts;
  sasl_server::credential_lookup lookup;
  if (!async)
    lookup = [&](std::string_view user, scram_hash hash) { return accounts.lookup(user, hash); };
  sasl_server server{mechanism, config, lookup};
  check(server.mechanism() == mechanism, "the mechanism is kept as given");
  attempt a{server, accounts, async};

  const bool scram = mechanism.compare(0, 5, "SCRAM") == 0;
  if (client_mode && scram) {
    run_client(a, mechanism.compare(0, 11, "SCRAM-SHA-1") == 0
                      && mechanism.compare(0, 13, "SCRAM-SHA-256") != 0
                    ? scram_hash::sha1
                    : scram_hash::sha256,
               in);
  } else {
    for (std::size_t i = 1; i < in.size(); ++i) {
      auto r = a.step(in[i]);
      if (is_success(r) && mechanism == "PLAIN") {
        check(config.tls, "PLAIN succeeds only inside TLS");
        const auto password = in[i].substr(in[i].rfind('\0') + 1);
        check(prepared(password) == good_password, "PLAIN succeeds only with the password");
      }
    }
  }
  if (flags & 32) {
    auto f = server.abort();
    check(server.done(), "abort ends the attempt");
    check(f.condition == sasl_condition::aborted, "abort is reported as aborted");
  }
  return 0;
}
