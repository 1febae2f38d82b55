// RFC 6120 §6.4: the SASL exchange of one stream.
#include "node/xmpp/sasl_negotiation.hpp"

#include <array>

#include "actors/account/name_rules.hpp"

namespace irsp::xmpp {

namespace {

constexpr std::string_view alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Whether the failure counts towards the stream's limit of failed attempts
// (RFC 6120 §6.4.5). A refused mechanism or a throttled attempt does not.
bool is_guess(sasl_condition c) {
  switch (c) {
    case sasl_condition::not_authorized:
    case sasl_condition::malformed_request:
    case sasl_condition::incorrect_encoding:
    case sasl_condition::invalid_authzid:
    case sasl_condition::account_disabled:
    case sasl_condition::credentials_expired:
      return true;
    default:
      return false;
  }
}

element sasl_element(std::string name, std::string_view data) {
  element e{std::move(name), std::string{ns_sasl}};
  // RFC 6120 §6.4.3, §6.4.6: zero-length data travels as "=".
  e.add_text(data.empty() ? std::string{"="} : base64_encode(data));
  return e;
}

element failure_element(const sasl_failure& f) {
  element e{"failure", std::string{ns_sasl}};
  e.add_child(std::string{to_string(f.condition)});
  if (!f.text.empty()) {
    auto& text = e.add_child("text");
    text.set_attr("xml:lang", "en");
    text.add_text(f.text);
  }
  return e;
}

// The text of an <auth/> or <response/>: nullopt when it is not base64.
// Absent data and "=" both mean zero-length (RFC 6120 §6.4.2).
std::optional<std::string> payload_of(const element& e) {
  auto text = e.text();
  if (text.empty() || text == "=")
    return std::string{};
  return base64_decode(text);
}

} // namespace

sasl_negotiation::sasl_negotiation(sasl_server_config config, std::string domain,
                                   std::shared_ptr<auth_throttle> throttle, std::string remote)
  : config_(std::move(config)),
    domain_(std::move(domain)),
    throttle_(std::move(throttle)),
    remote_(std::move(remote)) {
}

sasl_negotiation::~sasl_negotiation() = default;

element sasl_negotiation::mechanisms_feature() const {
  element out{"mechanisms", std::string{ns_sasl}};
  for (const auto& m : sasl_server::mechanisms(config_))
    out.add_child("mechanism").add_text(m);
  return out;
}

std::optional<element> sasl_negotiation::channel_binding_feature() const {
  auto types = sasl_server::channel_binding_types(config_);
  if (types.empty())
    return std::nullopt;
  element out{"sasl-channel-binding", std::string{ns_sasl_cb}};
  for (const auto& t : types)
    out.add_child("channel-binding").set_attr("type", t);
  return out;
}

sasl_outcome sasl_negotiation::handle(const element& e, clock::time_point now) {
  if (waiting_) {
    // The stream holds back input while a lookup is out, so this is a bug
    // in the caller; failing keeps secrets of one name from meeting another.
    sasl_outcome out;
    out.failed = true;
    out.reply = failure_element({sasl_condition::aborted, "attempt already in progress"});
    return out;
  }
  if (e.name() == "abort") {
    sasl_failure f{sasl_condition::aborted, {}};
    if (attempt_)
      f = attempt_->abort();
    return fail(f, now);
  }
  if (e.name() == "auth") {
    attempt_.reset();
    attempt_localpart_.clear();
    if (throttle_ && !throttle_->address_allowed(remote_, now))
      return fail({sasl_condition::temporary_auth_failure,
                   "too many failed attempts from this address; try again later"},
                  now);
    attempt_ = std::make_unique<sasl_server>(e.attr("mechanism"), config_);
    auto data = payload_of(e);
    if (!data)
      return fail(attempt_->fail(sasl_condition::incorrect_encoding, "not base64"), now);
    return apply(attempt_->step(*data), now);
  }
  if (e.name() == "response") {
    if (!attempt_)
      return fail({sasl_condition::malformed_request, "no authentication in progress"}, now);
    auto data = payload_of(e);
    if (!data)
      return fail(attempt_->fail(sasl_condition::incorrect_encoding, "not base64"), now);
    return apply(attempt_->step(*data), now);
  }
  return fail({sasl_condition::malformed_request, "unexpected <" + e.name() + "/>"}, now);
}

sasl_outcome sasl_negotiation::provide_credentials(std::optional<account::scram_secret> secret,
                                                   clock::time_point now) {
  if (!waiting_ || !attempt_)
    return {};
  waiting_ = false;
  // The account server answers an unknown account with an empty salt.
  if (secret && secret->salt.empty())
    secret.reset();
  return apply(attempt_->provide_credentials(std::move(secret)), now);
}

sasl_outcome sasl_negotiation::credentials_unavailable(clock::time_point now) {
  if (!waiting_ || !attempt_)
    return {};
  waiting_ = false;
  return fail(attempt_->fail(sasl_condition::temporary_auth_failure,
                             "the account server did not answer; try again later"),
              now);
}

sasl_outcome sasl_negotiation::apply(sasl_step_result step, clock::time_point now) {
  if (auto* c = std::get_if<sasl_challenge>(&step)) {
    sasl_outcome out;
    out.reply = sasl_element("challenge", c->data);
    return out;
  }
  if (auto* need = std::get_if<sasl_need_credentials>(&step)) {
    auto local = account::prepare_localpart(need->username);
    if (!local && need->derives_key) {
      // No such account can exist, but the answer must cost what a wrong
      // password costs: the caller runs it where a real one would run.
      waiting_ = true;
      sasl_outcome out;
      out.lookup_address = std::string{};
      out.lookup_derives_key = true;
      return out;
    }
    if (!local) // no such account can exist; fail exactly as a wrong password
      return apply(attempt_->provide_credentials(std::nullopt), now);
    attempt_localpart_ = *local;
    if (throttle_ && !throttle_->account_allowed(*local, remote_, now))
      return fail(attempt_->fail(sasl_condition::temporary_auth_failure,
                                 "too many failed attempts for this account; try again later"),
                  now);
    waiting_ = true;
    sasl_outcome out;
    out.lookup_address = *local + "@" + domain_;
    out.lookup_hash = need->hash;
    out.lookup_derives_key = need->derives_key;
    return out;
  }
  if (auto* s = std::get_if<sasl_success>(&step)) {
    sasl_outcome out;
    out.succeeded = true;
    element success{"success", std::string{ns_sasl}};
    if (!s->additional_data.empty())
      success.add_text(base64_encode(s->additional_data));
    out.reply = std::move(success);
    out.how = attempt_->mechanism();
    if (!s->channel_binding.empty())
      out.how += " " + s->channel_binding;
    localpart_ = attempt_localpart_;
    if (throttle_)
      throttle_->succeeded(localpart_, remote_);
    attempt_.reset();
    return out;
  }
  return fail(std::get<sasl_failure>(step), now);
}

sasl_outcome sasl_negotiation::fail(const sasl_failure& f, clock::time_point now) {
  if (is_guess(f.condition))
    ++failures_;
  // Only a tested password is a guess; a refused binding or a malformed
  // message tells an attacker nothing and counts on this stream alone.
  if (f.checked_password && throttle_)
    throttle_->failed(remote_, attempt_localpart_, now);
  attempt_.reset();
  attempt_localpart_.clear();
  waiting_ = false;
  sasl_outcome out;
  out.failed = true;
  out.reply = failure_element(f);
  return out;
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    auto n = (std::uint32_t(std::uint8_t(in[i])) << 16)
             | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (auto rest = in.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (rest == 2)
      n |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  std::array<int, 256> value;
  value.fill(-1);
  for (std::size_t k = 0; k < alphabet.size(); ++k)
    value[static_cast<unsigned char>(alphabet[k])] = static_cast<int>(k);
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last) {
      pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
    }
    std::uint32_t n = 0;
    for (int k = 0; k < 4; ++k) {
      auto c = static_cast<unsigned char>(text[i + k]);
      int v = 0;
      if (k >= 4 - pad)
        v = 0;
      else if ((v = value[c]) < 0)
        return std::nullopt;
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    // Bits beyond the data must be zero, or two encodings would mean the same.
    if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0))
      return std::nullopt;
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2)
      out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(n & 0xff);
  }
  return out;
}

} // namespace irsp::xmpp
