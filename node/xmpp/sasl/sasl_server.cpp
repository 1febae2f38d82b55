// RFC 6120 §6, RFC 5802, RFC 7677, RFC 4616, RFC 5929 / RFC 9266, XEP-0440, XEP-0474:
// SASL server side.
#include "node/xmpp/sasl/sasl_server.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

namespace irsp::xmpp {

namespace {

using account::scram_hash;

constexpr std::string_view scram_sha1 = "SCRAM-SHA-1";
constexpr std::string_view scram_sha256 = "SCRAM-SHA-256";
constexpr std::string_view plus_suffix = "-PLUS";
constexpr std::size_t fake_salt_size = 16;
constexpr std::size_t server_nonce_bytes = 18;
// RFC 4616 §2: each of authzid, authcid and passwd is at most 255 octets.
constexpr std::size_t plain_field_max = 255;
// The same text for a wrong password and an unknown user, so that neither the
// condition nor the text tells them apart.
constexpr std::string_view auth_failed = "authentication failed";

constexpr std::string_view base64_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16)
             | (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8)
             | std::uint32_t{static_cast<unsigned char>(in[i + 2])};
    out += base64_alphabet[(n >> 18) & 63];
    out += base64_alphabet[(n >> 12) & 63];
    out += base64_alphabet[(n >> 6) & 63];
    out += base64_alphabet[n & 63];
  }
  if (auto rest = in.size() - i; rest > 0) {
    auto n = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (rest == 2)
      n |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out += base64_alphabet[(n >> 18) & 63];
    out += base64_alphabet[(n >> 12) & 63];
    out += rest == 2 ? base64_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// Strict RFC 4648 base64: padded, no whitespace. SCRAM attributes are short
/// and machine-made, so anything looser only hides a broken client.
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0)
    return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      std::uint32_t v = 0;
      if (c == '=') {
        // Padding only in the last quantum's last two places.
        if (i + 4 != in.size() || j < 2)
          return std::nullopt;
        ++pad;
      } else {
        if (pad > 0)
          return std::nullopt;
        auto pos = base64_alphabet.find(c);
        if (pos == std::string_view::npos)
          return std::nullopt;
        v = static_cast<std::uint32_t>(pos);
      }
      n = (n << 6) | v;
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2)
      out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(n & 0xff);
  }
  return out;
}

/// RFC 5802 §5.1 saslname: "," and "=" arrive as "=2C" and "=3D"; any other
/// "=" makes the message malformed.
std::optional<std::string> decode_saslname(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
      continue;
    }
    auto escape = in.substr(i + 1, 2);
    if (escape == "2C")
      out += ',';
    else if (escape == "3D")
      out += '=';
    else
      return std::nullopt;
    i += 2;
  }
  if (out.empty())
    return std::nullopt;
  return out;
}

/// Splits on ',' ; SCRAM attribute values never contain a raw comma.
std::vector<std::string_view> split_attributes(std::string_view in) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = in.find(',', start);
    out.push_back(in.substr(start, comma - start));
    if (comma == std::string_view::npos)
      return out;
    start = comma + 1;
  }
}

/// An attribute "x=value" with the expected letter; nullopt otherwise.
std::optional<std::string_view> attribute(std::string_view attr, char name) {
  if (attr.size() < 2 || attr[0] != name || attr[1] != '=')
    return std::nullopt;
  return attr.substr(2);
}

/// RFC 5802 §7 extensions: any lower- or upper-case letter, "=", a value.
bool is_extension(std::string_view attr) {
  return attr.size() >= 2 && ((attr[0] >= 'a' && attr[0] <= 'z')
                              || (attr[0] >= 'A' && attr[0] <= 'Z'))
         && attr[1] == '=';
}

/// RFC 5802 §7 printable: %x21-2B / %x2D-7E.
bool is_nonce(std::string_view nonce) {
  if (nonce.empty())
    return false;
  for (char c : nonce)
    if (c < 0x21 || c > 0x7e || c == ',')
      return false;
  return true;
}

/// RFC 5056 cb-name: 1*(ALPHA / DIGIT / "." / "-").
bool is_cb_name(std::string_view name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '-'))
      return false;
  return true;
}

const std::string& process_fake_salt_key() {
  // Stable for the process so that two attempts for one unknown user see the
  // same salt, as they would for a real one.
  static const std::string key = account::random_bytes(32);
  return key;
}

} // namespace

std::string_view to_string(sasl_condition condition) {
  switch (condition) {
    case sasl_condition::aborted:
      return "aborted";
    case sasl_condition::account_disabled:
      return "account-disabled";
    case sasl_condition::credentials_expired:
      return "credentials-expired";
    case sasl_condition::encryption_required:
      return "encryption-required";
    case sasl_condition::incorrect_encoding:
      return "incorrect-encoding";
    case sasl_condition::invalid_authzid:
      return "invalid-authzid";
    case sasl_condition::invalid_mechanism:
      return "invalid-mechanism";
    case sasl_condition::malformed_request:
      return "malformed-request";
    case sasl_condition::mechanism_too_weak:
      return "mechanism-too-weak";
    case sasl_condition::not_authorized:
      return "not-authorized";
    case sasl_condition::temporary_auth_failure:
      return "temporary-auth-failure";
  }
  return "not-authorized";
}

sasl_server::sasl_server(std::string_view mechanism, sasl_server_config config,
                         credential_lookup lookup)
  : mechanism_(mechanism), config_(std::move(config)), lookup_(std::move(lookup)) {
  std::string_view base = mechanism;
  if (base.size() > plus_suffix.size()
      && base.substr(base.size() - plus_suffix.size()) == plus_suffix) {
    plus_ = true;
    base.remove_suffix(plus_suffix.size());
  }
  if (base == scram_sha256 || base == scram_sha1) {
    hash_ = base == scram_sha1 ? scram_hash::sha1 : scram_hash::sha256;
    // -PLUS is only offered when the connection has binding data to check.
    if (plus_ && config_.channel_bindings.empty())
      refusal_ = {sasl_condition::invalid_mechanism, "no channel binding on this connection"};
    else
      kind_ = kind::scram;
  } else if (base == "PLAIN" && !plus_) {
    // RFC 6120 §6.4.2 / our design: a cleartext password only inside TLS.
    if (config_.tls)
      kind_ = kind::plain;
    else
      refusal_ = {sasl_condition::encryption_required, "PLAIN needs TLS"};
  } else {
    refusal_ = {sasl_condition::invalid_mechanism, "unsupported mechanism"};
  }
}

sasl_server::~sasl_server() {
  OPENSSL_cleanse(password_.data(), password_.size());
}

std::vector<std::string> sasl_server::mechanisms(const sasl_server_config& config) {
  std::vector<std::string> out;
  if (!config.channel_bindings.empty()) {
    out.emplace_back(std::string(scram_sha256) + std::string(plus_suffix));
    out.emplace_back(std::string(scram_sha1) + std::string(plus_suffix));
  }
  out.emplace_back(scram_sha256);
  out.emplace_back(scram_sha1);
  if (config.tls)
    out.emplace_back("PLAIN");
  return out;
}

std::vector<std::string> sasl_server::channel_binding_types(const sasl_server_config& config) {
  std::vector<std::string> out;
  for (const auto& b : config.channel_bindings)
    out.push_back(b.type);
  return out;
}

std::string downgrade_protection_hash(account::scram_hash hash,
                                      std::vector<std::string> mechanisms,
                                      std::vector<std::string> channel_binding_types) {
  // "i;octet" collation (RFC 4790 §9.3) is std::string's byte order.
  std::sort(mechanisms.begin(), mechanisms.end());
  std::sort(channel_binding_types.begin(), channel_binding_types.end());
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
      if (!out.empty())
        out += '\x1e';
      out += item;
    }
    return out;
  };
  std::string s = join(mechanisms);
  if (!channel_binding_types.empty())
    s.append(1, '\x1f').append(join(channel_binding_types));
  return base64_encode(account::scram_digest(hash, s));
}

const std::string& sasl_server::mechanism() const noexcept {
  return mechanism_;
}

bool sasl_server::done() const noexcept {
  return phase_ == phase::done;
}

sasl_failure sasl_server::fail(sasl_condition condition, std::string text) {
  return finish(condition, std::move(text));
}

sasl_failure sasl_server::abort() {
  return finish(sasl_condition::aborted, {});
}

sasl_failure sasl_server::finish(sasl_condition condition, std::string text) {
  phase_ = phase::done;
  OPENSSL_cleanse(password_.data(), password_.size());
  password_.clear();
  return {condition, std::move(text)};
}

sasl_failure sasl_server::wrong_password() {
  auto f = finish(sasl_condition::not_authorized, std::string(auth_failed));
  f.checked_password = true;
  return f;
}

sasl_step_result sasl_server::step(std::string_view client_message) {
  switch (phase_) {
    case phase::done:
      return sasl_failure{sasl_condition::malformed_request, "authentication already ended"};
    case phase::need_credentials:
      return finish(sasl_condition::malformed_request, "response before challenge");
    case phase::awaiting_final:
      return scram_final(client_message);
    case phase::start:
      break;
  }
  if (kind_ == kind::refused)
    return finish(refusal_.condition, refusal_.text);
  // RFC 6120 §6.4.2: <auth/> without initial response gets an empty challenge.
  if (client_message.empty()) {
    if (sent_empty_challenge_)
      return finish(sasl_condition::malformed_request, "empty response");
    sent_empty_challenge_ = true;
    return sasl_challenge{};
  }
  return kind_ == kind::plain ? plain_message(client_message) : scram_first(client_message);
}

sasl_step_result sasl_server::provide_credentials(std::optional<account::scram_secret> secret) {
  if (phase_ == phase::done)
    return sasl_failure{sasl_condition::malformed_request, "authentication already ended"};
  if (phase_ != phase::need_credentials)
    return finish(sasl_condition::temporary_auth_failure, "credentials not requested");
  return kind_ == kind::plain ? plain_check(std::move(secret))
                              : scram_challenge(std::move(secret));
}

sasl_step_result sasl_server::ask_for(std::string username) {
  username_ = std::move(username);
  phase_ = phase::need_credentials;
  if (lookup_)
    return provide_credentials(lookup_(username_, hash_));
  return sasl_need_credentials{username_, hash_, kind_ == kind::plain};
}

// RFC 4616 §2: message = [authzid] NUL authcid NUL passwd
sasl_step_result sasl_server::plain_message(std::string_view message) {
  auto first = message.find('\0');
  auto second = first == std::string_view::npos ? first : message.find('\0', first + 1);
  if (second == std::string_view::npos || message.find('\0', second + 1) != std::string_view::npos)
    return finish(sasl_condition::malformed_request, "PLAIN needs authzid NUL authcid NUL passwd");
  auto authzid = message.substr(0, first);
  auto authcid = message.substr(first + 1, second - first - 1);
  auto password = message.substr(second + 1);
  if (authcid.empty() || password.empty() || authzid.size() > plain_field_max
      || authcid.size() > plain_field_max || password.size() > plain_field_max)
    return finish(sasl_condition::malformed_request, "bad PLAIN field length");
  auto username = account::saslprep(authcid);
  if (!username)
    return finish(sasl_condition::not_authorized, std::string(auth_failed));
  if (!authzid.empty() && account::saslprep(authzid) != username)
    return finish(sasl_condition::invalid_authzid, "authzid must equal the username");
  password_ = std::string(password);
  return ask_for(std::move(*username));
}

sasl_step_result sasl_server::plain_check(std::optional<account::scram_secret> secret) {
  bool ok = false;
  if (secret) {
    ok = account::password_matches(*secret, hash_, password_);
  } else {
    // Spend the same PBKDF2 time as for a real account, so that the reply's
    // timing does not tell an unknown user from a wrong password.
    account::scram_secret fake;
    fake.salt = std::string(fake_salt_size, '\0');
    fake.iterations = config_.fake_iterations;
    fake.stored_key = std::string(account::scram_hash_size(hash_), '\0');
    account::password_matches(fake, hash_, password_);
  }
  if (!ok)
    return wrong_password();
  OPENSSL_cleanse(password_.data(), password_.size());
  password_.clear();
  phase_ = phase::done;
  return sasl_success{{}, username_, {}};
}

// RFC 5802 §7: client-first-message = gs2-header client-first-message-bare
sasl_step_result sasl_server::scram_first(std::string_view message) {
  auto malformed = [this](std::string text) {
    return finish(sasl_condition::malformed_request, std::move(text));
  };
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  auto comma1 = message.find(',');
  if (comma1 == std::string_view::npos)
    return malformed("missing GS2 header");
  auto comma2 = message.find(',', comma1 + 1);
  if (comma2 == std::string_view::npos)
    return malformed("missing GS2 header");
  auto flag = message.substr(0, comma1);
  auto authzid_attr = message.substr(comma1 + 1, comma2 - comma1 - 1);
  gs2_header_ = std::string(message.substr(0, comma2 + 1));
  client_first_bare_ = std::string(message.substr(comma2 + 1));

  std::optional<std::string_view> cb_name;
  if (flag == "n" || flag == "y") {
    if (plus_)
      return malformed("-PLUS needs channel binding");
    // "y": the client could bind but believes we cannot. We offered -PLUS,
    // so either someone stripped it from <mechanisms/> on the way, or the
    // client was told to skip it: either way RFC 5802 §6 says fail, since
    // accepting would let a man in the middle undo channel binding.
    if (flag == "y" && !config_.channel_bindings.empty())
      return finish(sasl_condition::not_authorized,
                    "channel binding downgrade: the client can bind (gs2 flag y) but chose "
                      + mechanism_ + " while " + mechanism_
                      + "-PLUS is offered; choose " + mechanism_ + "-PLUS");
  } else if (auto name = attribute(flag, 'p'); name && is_cb_name(*name)) {
    if (!plus_)
      return malformed("channel binding needs a -PLUS mechanism");
    cb_name = name;
  } else {
    return malformed("bad GS2 channel binding flag");
  }
  if (cb_name) {
    auto it = std::find_if(config_.channel_bindings.begin(), config_.channel_bindings.end(),
                           [&](const channel_binding& b) { return b.type == *cb_name; });
    if (it == config_.channel_bindings.end()) {
      std::string offered;
      for (const auto& b : config_.channel_bindings)
        offered += (offered.empty() ? "" : ", ") + b.type;
      return finish(sasl_condition::not_authorized,
                    "unsupported channel binding type " + std::string(*cb_name)
                      + " (this connection offers " + offered + ")");
    }
    cbind_data_ = it->data;
    cbind_type_ = it->type;
  }
  std::optional<std::string> authzid;
  if (!authzid_attr.empty()) {
    auto value = attribute(authzid_attr, 'a');
    if (!value)
      return malformed("bad GS2 authzid");
    authzid = decode_saslname(*value);
    if (!authzid)
      return malformed("bad authzid encoding");
  }

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  auto attrs = split_attributes(client_first_bare_);
  if (!attrs.empty() && attribute(attrs[0], 'm'))
    return malformed("unsupported mandatory extension");
  if (attrs.size() < 2)
    return malformed("client-first-message needs n= and r=");
  auto name_value = attribute(attrs[0], 'n');
  auto nonce = attribute(attrs[1], 'r');
  if (!name_value || !nonce || !is_nonce(*nonce))
    return malformed("client-first-message needs n= and r=");
  for (std::size_t i = 2; i < attrs.size(); ++i)
    if (!is_extension(attrs[i]))
      return malformed("bad attribute");
  auto raw_name = decode_saslname(*name_value);
  if (!raw_name)
    return malformed("bad username encoding");
  auto username = account::saslprep(*raw_name);
  if (!username)
    return finish(sasl_condition::not_authorized, std::string(auth_failed));
  if (authzid && account::saslprep(*authzid) != username)
    return finish(sasl_condition::invalid_authzid, "authzid must equal the username");
  nonce_ = std::string(*nonce);
  return ask_for(std::move(*username));
}

sasl_step_result sasl_server::scram_challenge(std::optional<account::scram_secret> secret) {
  const auto size = account::scram_hash_size(hash_);
  if (secret) {
    if (secret->iterations == 0 || secret->salt.empty() || secret->stored_key.size() != size
        || secret->server_key.size() != size)
      return finish(sasl_condition::temporary_auth_failure, "stored credentials unusable");
    secret_ = std::move(*secret);
    known_user_ = true;
  } else {
    // RFC 5802 §9 / RFC 7677: answer an unknown user with a salt that looks
    // and stays like a real one, and fail only at the proof.
    const auto& key = config_.fake_salt_key.empty() ? process_fake_salt_key()
                                                    : config_.fake_salt_key;
    std::string input(hash_ == scram_hash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256");
    input += '\0';
    input += username_;
    secret_.salt = account::scram_hmac(scram_hash::sha256, key, input).substr(0, fake_salt_size);
    secret_.iterations = config_.fake_iterations;
    secret_.stored_key = account::random_bytes(size);
    secret_.server_key = account::random_bytes(size);
    known_user_ = false;
  }
  nonce_ += config_.nonce_for_testing.empty()
              ? base64_encode(account::random_bytes(server_nonce_bytes))
              : config_.nonce_for_testing;
  // XEP-0474: the proof the client computes covers what we advertised, so a
  // list changed on the way makes the login fail (RFC 5802 §5.1 lets clients
  // skip attributes they do not know).
  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(secret_.salt)
                  + ",i=" + std::to_string(secret_.iterations);
  if (config_.downgrade_protection)
    server_first_ += ",h=" + downgrade_protection_hash(hash_, mechanisms(config_),
                                                      channel_binding_types(config_));
  phase_ = phase::awaiting_final;
  return sasl_challenge{server_first_};
}

// RFC 5802 §7: client-final-message = channel-binding "," nonce ["," extensions] "," proof
sasl_step_result sasl_server::scram_final(std::string_view message) {
  auto malformed = [this](std::string text) {
    return finish(sasl_condition::malformed_request, std::move(text));
  };
  auto proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos)
    return malformed("client-final-message needs p=");
  auto without_proof = message.substr(0, proof_at);
  auto proof_b64 = message.substr(proof_at + 3);
  auto attrs = split_attributes(without_proof);
  if (attrs.size() < 2)
    return malformed("client-final-message needs c= and r=");
  auto cbind = attribute(attrs[0], 'c');
  auto nonce = attribute(attrs[1], 'r');
  if (!cbind || !nonce)
    return malformed("client-final-message needs c= and r=");
  for (std::size_t i = 2; i < attrs.size(); ++i)
    if (!is_extension(attrs[i]))
      return malformed("bad attribute");
  auto cbind_input = base64_decode(*cbind);
  auto proof = base64_decode(proof_b64);
  if (!cbind_input || !proof)
    return malformed("bad base64 in client-final-message");

  // The client repeats the GS2 header (and the TLS binding data) it saw, so a
  // man in the middle who changed either is caught here.
  if (*cbind_input != gs2_header_ + cbind_data_)
    return finish(sasl_condition::not_authorized, "channel binding mismatch");
  if (*nonce != nonce_)
    return finish(sasl_condition::not_authorized, "nonce mismatch");
  const auto size = account::scram_hash_size(hash_);
  if (proof->size() != size)
    return wrong_password();

  std::string auth_message = client_first_bare_;
  auth_message.append(",").append(server_first_).append(",").append(without_proof);
  // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must be StoredKey.
  auto client_key = account::scram_hmac(hash_, secret_.stored_key, auth_message);
  for (std::size_t i = 0; i < size; ++i)
    client_key[i] = static_cast<char>(client_key[i] ^ (*proof)[i]);
  bool proof_ok =
    account::constant_time_equal(account::scram_digest(hash_, client_key), secret_.stored_key);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  if (!proof_ok || !known_user_)
    return wrong_password();

  phase_ = phase::done;
  auto server_signature = account::scram_hmac(hash_, secret_.server_key, auth_message);
  return sasl_success{"v=" + base64_encode(server_signature), username_, cbind_type_};
}

} // namespace irsp::xmpp
