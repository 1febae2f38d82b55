// RFC 4422 / RFC 6120 §6 client side: SCRAM-SHA-256, SCRAM-SHA-1 (RFC 5802,
// RFC 7677) and PLAIN (RFC 4616) through GNU SASL.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/irsp_bench/bench_options.hpp"

typedef struct Gsasl Gsasl;
typedef struct Gsasl_session Gsasl_session;

namespace irsp::bench {

class scram_key_cache;

/// Where a SCRAM login's SaltedPassword came from.
enum class key_use {
  /// Not a SCRAM login (PLAIN), or not that far yet.
  none,
  /// From the key cache: no PBKDF2.
  cached,
  /// Computed with PBKDF2 (and added to the cache when there is one).
  computed,
};

/// The key caches a client consults: the read-only one loaded before the
/// run, and its thread's own for what it computes. Either may be null.
struct key_caches {
  /// Loaded from --cache-scram-keys; shared, never written during the run.
  const scram_key_cache* loaded = nullptr;
  /// This thread's; null when caching is off.
  scram_key_cache* learned = nullptr;
};

/// One gsasl library handle; one per thread, since gsasl contexts are not
/// shared across threads.
class sasl_library {
public:
  /// Initialises gsasl; `ok()` says whether that worked.
  sasl_library();
  ~sasl_library();
  sasl_library(const sasl_library&) = delete;
  sasl_library& operator=(const sasl_library&) = delete;

  /// True when gsasl initialised.
  bool ok() const noexcept {
    return ctx_ != nullptr;
  }

  /// The gsasl handle.
  Gsasl* handle() const noexcept {
    return ctx_;
  }

private:
  Gsasl* ctx_ = nullptr;
};

/// Picks the mechanism to use among those the server offers, by `choice`;
/// empty when none fits. PLAIN is only ever picked because the caller speaks
/// over TLS (every login here is).
std::string pick_mechanism(sasl_choice choice, const std::vector<std::string>& offered);

/// One client authentication exchange. Base64 in and out, as the XMPP
/// `<auth/>`, `<challenge/>`, `<response/>` and `<success/>` carry it.
class sasl_client {
public:
  /// Starts `mechanism` for `authid` / `password`; `error()` is non-empty if
  /// gsasl refused.
  sasl_client(const sasl_library& lib, const std::string& mechanism, std::string authid,
              std::string password, key_caches caches = {});
  ~sasl_client();
  sasl_client(const sasl_client&) = delete;
  sasl_client& operator=(const sasl_client&) = delete;

  /// Where the SaltedPassword came from (none until the server-first message).
  key_use key_source() const noexcept {
    return credentials_.used;
  }

  /// What went wrong, or empty.
  const std::string& error() const noexcept {
    return error_;
  }

  /// The initial response for `<auth/>`, base64; "=" when it is empty
  /// (RFC 6120 §6.4.2). Empty on failure.
  std::string initial_response();

  /// Answers a base64 challenge; false (and error() set) on failure.
  bool respond(std::string_view challenge64, std::string& response64);

  /// Checks the additional data of `<success/>` (SCRAM's server signature);
  /// true when the server proved it knows the password.
  bool verify_success(std::string_view data64);

private:
  friend class sasl_library; // installs callback()

  int step(std::string_view in64, std::string& out64);

  /// What gsasl's callback hands out (the session hook).
  struct credentials {
    std::string authid;
    std::string password;
    bool sha256 = false; // SCRAM-SHA-256 rather than SCRAM-SHA-1
    key_caches caches;
    key_use used = key_use::none;
  };

  static int callback(Gsasl*, Gsasl_session* session, int prop);

  credentials credentials_;
  Gsasl_session* session_ = nullptr;
  std::string error_;
  bool done_ = false;
};

} // namespace irsp::bench
