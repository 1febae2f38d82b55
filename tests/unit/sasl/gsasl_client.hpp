// RFC 5802, RFC 4616: GNU SASL as an independent client to drive sasl_server.
#pragma once

#include <gsasl.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace irsp::test {

/// What the client says about itself; unset optionals are not offered.
struct client_identity {
  client_identity(std::string authid, std::string password,
                  std::optional<std::string> authzid = std::nullopt)
    : authid(std::move(authid)), password(std::move(password)), authzid(std::move(authzid)) {}

  std::string authid;
  std::string password;
  std::optional<std::string> authzid;
  /// Raw channel binding bytes; base64'd for gsasl.
  std::optional<std::string> tls_exporter;
  std::optional<std::string> tls_unique;
};

/// One gsasl client session for one mechanism.
class gsasl_client {
public:
  /// Starts a client session; throws when gsasl does not know the mechanism.
  gsasl_client(const std::string& mechanism, client_identity identity)
    : identity_(std::move(identity)) {
    if (gsasl_init(&ctx_) != GSASL_OK)
      throw std::runtime_error("gsasl_init");
    gsasl_callback_set(ctx_, &gsasl_client::callback);
    if (gsasl_client_start(ctx_, mechanism.c_str(), &session_) != GSASL_OK)
      throw std::runtime_error("gsasl_client_start " + mechanism);
    gsasl_session_hook_set(session_, this);
  }

  ~gsasl_client() {
    if (session_)
      gsasl_finish(session_);
    gsasl_done(ctx_);
  }

  gsasl_client(const gsasl_client&) = delete;
  gsasl_client& operator=(const gsasl_client&) = delete;

  /// Feeds one server message; returns the client's answer and keeps the
  /// gsasl return code (GSASL_NEEDS_MORE, GSASL_OK or an error) in rc().
  std::string step(std::string_view server_message) {
    char* out = nullptr;
    std::size_t out_len = 0;
    rc_ = gsasl_step(session_, server_message.data(), server_message.size(), &out, &out_len);
    std::string result = out ? std::string(out, out_len) : std::string();
    gsasl_free(out);
    return result;
  }

  /// The last gsasl_step return code.
  int rc() const {
    return rc_;
  }

private:
  static std::string base64(const std::string& raw) {
    char* out = nullptr;
    std::size_t out_len = 0;
    gsasl_base64_to(raw.data(), raw.size(), &out, &out_len);
    std::string result(out, out_len);
    gsasl_free(out);
    return result;
  }

  static int callback(Gsasl*, Gsasl_session* session, Gsasl_property prop) {
    auto* self = static_cast<gsasl_client*>(gsasl_session_hook_get(session));
    const auto& id = self->identity_;
    auto set = [&](const std::string& value) {
      return gsasl_property_set(session, prop, value.c_str());
    };
    switch (prop) {
      case GSASL_AUTHID:
        return set(id.authid);
      case GSASL_PASSWORD:
        return set(id.password);
      case GSASL_AUTHZID:
        return id.authzid ? set(*id.authzid) : GSASL_NO_CALLBACK;
      case GSASL_CB_TLS_EXPORTER:
        return id.tls_exporter ? set(base64(*id.tls_exporter)) : GSASL_NO_CALLBACK;
      case GSASL_CB_TLS_UNIQUE:
        return id.tls_unique ? set(base64(*id.tls_unique)) : GSASL_NO_CALLBACK;
      default:
        return GSASL_NO_CALLBACK;
    }
  }

  client_identity identity_;
  Gsasl* ctx_ = nullptr;
  Gsasl_session* session_ = nullptr;
  int rc_ = GSASL_OK;
};

} // namespace irsp::test
