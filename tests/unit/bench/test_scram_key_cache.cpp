// irsp-bench's SCRAM key cache (RFC 5802 §5.1: a client may keep
// SaltedPassword): ids, the file, and that a SCRAM client really uses a
// cached key instead of running PBKDF2 (checked against GNU SASL's server).
#include <catch2/catch.hpp>

#include <gsasl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "bench/irsp_bench/sasl_client.hpp"
#include "bench/irsp_bench/scram_key.hpp"
#include "bench/irsp_bench/scram_key_cache.hpp"

using namespace irsp::bench;

namespace {

/// A fresh temp dir, removed at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    char pattern[] = "/tmp/irsp-keycache-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~temp_dir() {
    std::string cmd = "rm -rf '" + path + "'";
    (void)std::system(cmd.c_str());
  }
};

/// GNU SASL as the server side of one SCRAM exchange with a known salt.
struct scram_server {
  Gsasl* ctx = nullptr;
  Gsasl_session* session = nullptr;
  std::string password;
  std::string salt64;
  scram_server(const char* mechanism, std::string pw, std::string salt_b64)
    : password(std::move(pw)), salt64(std::move(salt_b64)) {
    REQUIRE(gsasl_init(&ctx) == GSASL_OK);
    gsasl_callback_set(ctx, [](Gsasl*, Gsasl_session* s, Gsasl_property prop) {
      auto* self = static_cast<scram_server*>(gsasl_session_hook_get(s));
      switch (prop) {
        case GSASL_PASSWORD:
          return gsasl_property_set(s, prop, self->password.c_str());
        case GSASL_SCRAM_ITER:
          return gsasl_property_set(s, prop, "4096");
        case GSASL_SCRAM_SALT:
          return gsasl_property_set(s, prop, self->salt64.c_str());
        default:
          return static_cast<int>(GSASL_NO_CALLBACK);
      }
    });
    REQUIRE(gsasl_server_start(ctx, mechanism, &session) == GSASL_OK);
    gsasl_session_hook_set(session, this);
  }
  ~scram_server() {
    gsasl_finish(session);
    gsasl_done(ctx);
  }
  int step(const std::string& in, std::string& out) {
    char* o = nullptr;
    int rc = gsasl_step64(session, in.c_str(), &o);
    out = o != nullptr ? o : "";
    gsasl_free(o);
    return rc;
  }
};

/// Runs one SCRAM-SHA-256 exchange; true when both sides accept it.
bool exchange(sasl_client& client, scram_server& server) {
  std::string client_first = client.initial_response(), server_first, client_final, server_final;
  if (client_first.empty() || server.step(client_first, server_first) != GSASL_NEEDS_MORE)
    return false;
  if (!client.respond(server_first, client_final))
    return false;
  if (server.step(client_final, server_final) != GSASL_OK)
    return false;
  return client.verify_success(server_final);
}

} // namespace

TEST_CASE("a key id changes with the hash, iterations, salt and password, and hides the password") {
  const auto id = scram_key_id(true, "secret-pw", "salt", 4096);
  CHECK(id.rfind("sha256:4096:73616c74:", 0) == 0);
  CHECK(id.find("secret-pw") == std::string::npos);
  CHECK(id == scram_key_id(true, "secret-pw", "salt", 4096));
  CHECK(id != scram_key_id(false, "secret-pw", "salt", 4096));
  CHECK(id != scram_key_id(true, "secret-pw", "salt", 4097));
  CHECK(id != scram_key_id(true, "secret-pw", "SALT", 4096));
  CHECK(id != scram_key_id(true, "other-pw", "salt", 4096));
}

TEST_CASE("the cache file round-trips, is private, and a missing one is an empty cache") {
  temp_dir dir;
  const std::string path = dir.path + "/keys";
  scram_key_cache empty;
  std::string error;
  REQUIRE(empty.load(path, error));
  CHECK(empty.size() == 0);

  scram_key_cache cache;
  cache.add(scram_key_id(true, "pw", "s1", 4096), "00aa");
  cache.add(scram_key_id(false, "pw", "s2", 10000), "11bb");
  REQUIRE(cache.save(path, error));
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  scram_key_cache back;
  REQUIRE(back.load(path, error));
  CHECK(back.entries() == cache.entries());
  CHECK(back.find(scram_key_id(false, "pw", "s2", 10000)) == std::optional<std::string>{"11bb"});
  CHECK_FALSE(back.find(scram_key_id(false, "pw", "s2", 4096)));
}

TEST_CASE("a malformed cache file is refused with its line number") {
  temp_dir dir;
  const std::string path = dir.path + "/keys";
  std::ofstream{path} << "sha256:1:00:00 00ff\nnot a key line\n";
  scram_key_cache cache;
  std::string error;
  CHECK_FALSE(cache.load(path, error));
  CHECK(error.find(":2:") != std::string::npos);
  std::ofstream{path} << "sha256:1:00:00 NOTHEX\n";
  CHECK_FALSE(cache.load(path, error));
}

TEST_CASE("merging caches keeps every entry") {
  scram_key_cache a, b;
  a.add("sha1:1:00:00", "01");
  b.add("sha1:2:00:00", "02");
  a.merge(b);
  CHECK(a.size() == 2);
}

TEST_CASE("a SCRAM client uses the cached key, computes and learns a missing one") {
  sasl_library lib;
  REQUIRE(lib.ok());
  const std::string password = "bench-password";
  const std::string salt = "0123456789abcdef";
  char* salt64 = nullptr;
  std::size_t salt64_len = 0;
  REQUIRE(gsasl_base64_to(salt.data(), salt.size(), &salt64, &salt64_len) == GSASL_OK);
  const std::string salt_b64{salt64, salt64_len};
  gsasl_free(salt64);
  const auto id = scram_key_id(true, password, salt, 4096);

  SECTION("no cache: computed, and the login works") {
    scram_server server{"SCRAM-SHA-256", password, salt_b64};
    sasl_client client{lib, "SCRAM-SHA-256", "bench0", password};
    CHECK(exchange(client, server));
    CHECK(client.key_source() == key_use::computed);
  }
  SECTION("empty cache: computed, learned, and the login works") {
    scram_key_cache loaded, learned;
    scram_server server{"SCRAM-SHA-256", password, salt_b64};
    sasl_client client{lib, "SCRAM-SHA-256", "bench0", password, key_caches{&loaded, &learned}};
    CHECK(exchange(client, server));
    CHECK(client.key_source() == key_use::computed);
    CHECK(learned.find(id) == scram_salted_password_hex(password, salt, 4096, true));
  }
  SECTION("cached: the cached key is what the client uses") {
    scram_key_cache loaded, learned;
    loaded.add(id, scram_salted_password_hex(password, salt, 4096, true));
    scram_server server{"SCRAM-SHA-256", password, salt_b64};
    sasl_client client{lib, "SCRAM-SHA-256", "bench0", password, key_caches{&loaded, &learned}};
    CHECK(exchange(client, server));
    CHECK(client.key_source() == key_use::cached);
    CHECK(learned.size() == 0);
  }
  SECTION("a wrong cached key fails the login: the cache is really used") {
    scram_key_cache loaded, learned;
    loaded.add(id, scram_salted_password_hex("not-the-password", salt, 4096, true));
    scram_server server{"SCRAM-SHA-256", password, salt_b64};
    sasl_client client{lib, "SCRAM-SHA-256", "bench0", password, key_caches{&loaded, &learned}};
    CHECK_FALSE(exchange(client, server));
    CHECK(client.key_source() == key_use::cached);
  }
}
