#include "bench/irsp_bench/sasl_client.hpp"

#include <gsasl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "bench/irsp_bench/scram_key.hpp"
#include "bench/irsp_bench/scram_key_cache.hpp"

namespace irsp::bench {

namespace {

/// SCRAM's SaltedPassword, hex-encoded as gsasl wants it, from the salt
/// (base64) and iteration count the server sent: from the caches when they
/// have it, else computed (and learned). Empty on failure.
std::string salted_password_hex(const std::string& password, const char* salt64,
                                const char* iterations, bool sha256, const key_caches& caches,
                                key_use& used) {
  if (salt64 == nullptr || iterations == nullptr)
    return {};
  char* salt = nullptr;
  std::size_t salt_len = 0;
  if (gsasl_base64_from(salt64, std::strlen(salt64), &salt, &salt_len) != GSASL_OK)
    return {};
  const std::string_view salt_bytes(salt, salt_len);
  const int rounds = std::atoi(iterations);
  std::string id;
  std::optional<std::string> hex;
  if (caches.learned != nullptr) {
    id = scram_key_id(sha256, password, salt_bytes, rounds);
    hex = caches.learned->find(id);
    if (!hex && caches.loaded != nullptr)
      hex = caches.loaded->find(id);
  }
  used = hex ? key_use::cached : key_use::computed;
  if (!hex) {
    hex = scram_salted_password_hex(password, salt_bytes, rounds, sha256);
    if (caches.learned != nullptr && !hex->empty())
      caches.learned->add(std::move(id), *hex);
  }
  gsasl_free(salt);
  return *hex;
}

} // namespace

int sasl_client::callback(Gsasl*, Gsasl_session* session, int prop) {
  auto* self = static_cast<credentials*>(gsasl_session_hook_get(session));
  const auto property = static_cast<Gsasl_property>(prop);
  switch (property) {
    case GSASL_AUTHID:
      return gsasl_property_set(session, property, self->authid.c_str());
    case GSASL_PASSWORD:
      return gsasl_property_set(session, property, self->password.c_str());
    case GSASL_SCRAM_SALTED_PASSWORD: {
      // gsasl's own PBKDF2 (portable C SHA) cost ~7 ms per login at 10 000
      // iterations, most of this client's CPU, which the server under test
      // shares. gsasl has set SALT and ITER from the server-first message.
      auto hex = salted_password_hex(self->password,
                                     gsasl_property_fast(session, GSASL_SCRAM_SALT),
                                     gsasl_property_fast(session, GSASL_SCRAM_ITER), self->sha256,
                                     self->caches, self->used);
      return hex.empty() ? GSASL_NO_CALLBACK : gsasl_property_set(session, property, hex.c_str());
    }
    default:
      // No authzid, no channel binding: the non-PLUS mechanisms then send
      // the "n,," GS2 header.
      return GSASL_NO_CALLBACK;
  }
}

sasl_library::sasl_library() {
  if (gsasl_init(&ctx_) != GSASL_OK) {
    ctx_ = nullptr;
    return;
  }
  gsasl_callback_set(ctx_, [](Gsasl* ctx, Gsasl_session* session, Gsasl_property prop) {
    return sasl_client::callback(ctx, session, prop);
  });
}

sasl_library::~sasl_library() {
  if (ctx_ != nullptr)
    gsasl_done(ctx_);
}

std::string pick_mechanism(sasl_choice choice, const std::vector<std::string>& offered) {
  auto has = [&](const char* name) {
    return std::find(offered.begin(), offered.end(), name) != offered.end();
  };
  switch (choice) {
    case sasl_choice::scram_sha_256:
      return has("SCRAM-SHA-256") ? "SCRAM-SHA-256" : "";
    case sasl_choice::scram_sha_1:
      return has("SCRAM-SHA-1") ? "SCRAM-SHA-1" : "";
    case sasl_choice::plain:
      return has("PLAIN") ? "PLAIN" : "";
    case sasl_choice::best:
      for (const char* name : {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"})
        if (has(name))
          return name;
      return "";
  }
  return "";
}

sasl_client::sasl_client(const sasl_library& lib, const std::string& mechanism,
                         std::string authid, std::string password, key_caches caches)
  : credentials_{std::move(authid), std::move(password), mechanism == "SCRAM-SHA-256", caches} {
  if (!lib.ok()) {
    error_ = "gsasl not initialised";
    return;
  }
  int rc = gsasl_client_start(lib.handle(), mechanism.c_str(), &session_);
  if (rc != GSASL_OK) {
    session_ = nullptr;
    error_ = std::string("gsasl cannot start ") + mechanism + ": " + gsasl_strerror(rc);
    return;
  }
  gsasl_session_hook_set(session_, &credentials_);
}

sasl_client::~sasl_client() {
  if (session_ != nullptr)
    gsasl_finish(session_);
}

int sasl_client::step(std::string_view in64, std::string& out64) {
  // gsasl_step64 wants a C string; the XML text is not NUL-terminated.
  std::string in{in64};
  char* out = nullptr;
  int rc = gsasl_step64(session_, in.c_str(), &out);
  out64 = out != nullptr ? out : "";
  gsasl_free(out);
  return rc;
}

std::string sasl_client::initial_response() {
  if (session_ == nullptr)
    return {};
  std::string out;
  int rc = step("", out);
  if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
    error_ = std::string("gsasl: ") + gsasl_strerror(rc);
    return {};
  }
  done_ = rc == GSASL_OK;
  return out.empty() ? "=" : out;
}

bool sasl_client::respond(std::string_view challenge64, std::string& response64) {
  if (session_ == nullptr)
    return false;
  int rc = step(challenge64 == "=" ? std::string_view{} : challenge64, response64);
  if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
    error_ = std::string("gsasl: ") + gsasl_strerror(rc);
    return false;
  }
  done_ = rc == GSASL_OK;
  if (response64.empty())
    response64 = "=";
  return true;
}

bool sasl_client::verify_success(std::string_view data64) {
  if (session_ == nullptr)
    return false;
  if (done_)
    return true; // PLAIN: nothing more to check
  if (data64.empty() || data64 == "=") {
    error_ = "server sent <success/> without its SCRAM signature";
    return false;
  }
  std::string ignored;
  int rc = step(data64, ignored);
  if (rc != GSASL_OK) {
    error_ = std::string("server signature not accepted: ") + gsasl_strerror(rc);
    return false;
  }
  done_ = true;
  return true;
}

} // namespace irsp::bench
