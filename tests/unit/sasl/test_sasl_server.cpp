// RFC 6120 §6, RFC 5802, RFC 7677, RFC 4616: SASL exchanges against sasl_server.
#include "node/xmpp/sasl/sasl_server.hpp"

#include "gsasl_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>

using namespace irsp;
using namespace irsp::xmpp;
using irsp::account::scram_hash;
using irsp::account::scram_secret;
using irsp::test::client_identity;
using irsp::test::gsasl_client;

namespace {

/// Stands in for the account server: per user, one secret per SCRAM hash.
struct account_store {
  std::map<std::pair<std::string, scram_hash>, scram_secret> secrets;

  void add(const std::string& user, const std::string& password) {
    for (auto hash : {scram_hash::sha1, scram_hash::sha256})
      secrets[{user, hash}] = account::derive_scram_secret(hash, *account::saslprep(password));
  }

  std::optional<scram_secret> lookup(std::string_view user, scram_hash hash) const {
    auto it = secrets.find({std::string(user), hash});
    if (it == secrets.end())
      return std::nullopt;
    return it->second;
  }
};

const account_store& store() {
  static const account_store s = [] {
    account_store s;
    s.add("alice", "wonderland");
    s.add("bob", "builder");
    return s;
  }();
  return s;
}

sasl_server_config tls_config() {
  sasl_server_config config;
  config.tls = true;
  config.fake_salt_key = "test fake salt key";
  return config;
}

/// Answers need_credentials from the store, as the c2s actor will with the
/// account server's reply.
sasl_step_result resolve(sasl_server& server, sasl_step_result result) {
  if (auto need = std::get_if<sasl_need_credentials>(&result))
    return server.provide_credentials(store().lookup(need->username, need->hash));
  return result;
}

/// The transcript of one exchange between a gsasl client and our server.
struct exchange {
  std::vector<std::string> challenges;
  sasl_step_result outcome;
  int client_rc = GSASL_OK;
};

/// Runs the client against the server until success or failure. `tamper`
/// may change each client message before the server sees it.
exchange run(gsasl_client& client, sasl_server& server,
             std::function<void(std::string&, int)> tamper = {}) {
  exchange ex;
  std::string message = client.step("");
  for (int round = 0; round < 5; ++round) {
    if (tamper)
      tamper(message, round);
    ex.outcome = resolve(server, server.step(message));
    if (auto c = std::get_if<sasl_challenge>(&ex.outcome)) {
      ex.challenges.push_back(c->data);
      message = client.step(c->data);
      ex.client_rc = client.rc();
      continue;
    }
    if (auto s = std::get_if<sasl_success>(&ex.outcome)) {
      // The client checks the server signature in the additional data.
      client.step(s->additional_data);
      ex.client_rc = client.rc();
    }
    return ex;
  }
  FAIL("exchange did not end");
  return ex;
}

const sasl_failure& failure_of(const exchange& ex) {
  REQUIRE(std::holds_alternative<sasl_failure>(ex.outcome));
  return std::get<sasl_failure>(ex.outcome);
}

const sasl_success& success_of(const exchange& ex) {
  REQUIRE(std::holds_alternative<sasl_success>(ex.outcome));
  return std::get<sasl_success>(ex.outcome);
}

sasl_failure failure_of(const sasl_step_result& result) {
  REQUIRE(std::holds_alternative<sasl_failure>(result));
  return std::get<sasl_failure>(result);
}

std::string base64_decode(std::string_view in) {
  char* out = nullptr;
  std::size_t len = 0;
  REQUIRE(gsasl_base64_from(in.data(), in.size(), &out, &len) == GSASL_OK);
  std::string result(out, len);
  gsasl_free(out);
  return result;
}

/// server-first-message split into its r=, s=, i= values.
struct server_first {
  std::string nonce;
  std::string salt;
  std::string iterations;
};

server_first parse_server_first(const std::string& message) {
  server_first out;
  auto s = message.find(",s=");
  auto i = message.find(",i=");
  REQUIRE(message.rfind("r=", 0) == 0);
  REQUIRE(s != std::string::npos);
  REQUIRE(i != std::string::npos);
  out.nonce = message.substr(2, s - 2);
  out.salt = base64_decode(message.substr(s + 3, i - s - 3));
  auto end = message.find(',', i + 3);
  out.iterations = message.substr(i + 3, end == std::string::npos ? end : end - i - 3);
  return out;
}

} // namespace

// --- Test vectors, with the server nonce fixed through the test hook --------

TEST_CASE("RFC 5802 §5 SCRAM-SHA-1 example exchange") {
  auto config = tls_config();
  config.downgrade_protection = false; // the RFC's proof covers no "h"
  config.nonce_for_testing = "3rfcNHYJY1ZVvWVs7j";
  auto secret = account::derive_scram_secret(scram_hash::sha1, "pencil",
                                             base64_decode("QSXCR+Q6sek8bf92"), 4096);
  sasl_server server("SCRAM-SHA-1", config);

  auto first = server.step("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  auto need = std::get<sasl_need_credentials>(first);
  CHECK(need.username == "user");
  CHECK(need.hash == scram_hash::sha1);
  auto challenge = std::get<sasl_challenge>(server.provide_credentials(secret));
  CHECK(challenge.data == "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  auto result = server.step(
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  auto success = std::get<sasl_success>(result);
  CHECK(success.additional_data == "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  CHECK(success.username == "user");
  CHECK(server.done());
}

TEST_CASE("RFC 7677 §3 SCRAM-SHA-256 test vector") {
  auto config = tls_config();
  config.downgrade_protection = false; // the RFC's proof covers no "h"
  config.nonce_for_testing = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  auto secret = account::derive_scram_secret(scram_hash::sha256, "pencil",
                                             base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  // This time with a synchronous lookup.
  sasl_server server("SCRAM-SHA-256", config, [&](std::string_view user, scram_hash hash) {
    CHECK(user == "user");
    CHECK(hash == scram_hash::sha256);
    return std::optional<scram_secret>(secret);
  });

  auto challenge = std::get<sasl_challenge>(server.step("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  CHECK(challenge.data
        == "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
           "i=4096");
  auto result = server.step("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  auto success = std::get<sasl_success>(result);
  CHECK(success.additional_data == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  CHECK(success.username == "user");
}

// --- SCRAM against gsasl as the client --------------------------------------

TEST_CASE("SCRAM with the right password succeeds and the client accepts the server") {
  auto mechanism = GENERATE(std::string("SCRAM-SHA-256"), std::string("SCRAM-SHA-1"));
  gsasl_client client(mechanism, {"alice", "wonderland"});
  sasl_server server(mechanism, tls_config());
  auto ex = run(client, server);
  CHECK(success_of(ex).username == "alice");
  CHECK(ex.client_rc == GSASL_OK);
  CHECK(ex.challenges.size() == 1);
}

TEST_CASE("SCRAM works without TLS too") {
  gsasl_client client("SCRAM-SHA-256", {"alice", "wonderland"});
  sasl_server server("SCRAM-SHA-256", sasl_server_config{});
  CHECK(success_of(run(client, server)).username == "alice");
}

TEST_CASE("SCRAM with a wrong password is not-authorized") {
  gsasl_client client("SCRAM-SHA-256", {"alice", "looking-glass"});
  sasl_server server("SCRAM-SHA-256", tls_config());
  auto ex = run(client, server);
  CHECK(failure_of(ex).condition == sasl_condition::not_authorized);
  CHECK(server.done());
}

TEST_CASE("SCRAM for an unknown user fails like a wrong password") {
  auto challenge_for = [](const std::string& user, const std::string& password,
                          sasl_failure* failure = nullptr) {
    gsasl_client client("SCRAM-SHA-256", {user, password});
    sasl_server server("SCRAM-SHA-256", tls_config());
    auto ex = run(client, server);
    REQUIRE(ex.challenges.size() == 1);
    if (failure)
      *failure = failure_of(ex);
    return parse_server_first(ex.challenges[0]);
  };
  sasl_failure wrong_password, unknown_user;
  auto known = challenge_for("alice", "looking-glass", &wrong_password);
  auto unknown = challenge_for("mallory", "anything", &unknown_user);

  CHECK(unknown_user.condition == sasl_condition::not_authorized);
  CHECK(unknown_user.condition == wrong_password.condition);
  CHECK(unknown_user.text == wrong_password.text);

  // Same shape of challenge: nonce length, salt length, iteration count.
  CHECK(unknown.nonce.size() == known.nonce.size());
  CHECK(unknown.salt.size() == known.salt.size());
  CHECK(unknown.iterations == known.iterations);

  // A real user's salt is stable across attempts; so is the fake one.
  CHECK(challenge_for("alice", "x").salt == known.salt);
  CHECK(challenge_for("mallory", "y").salt == unknown.salt);
  CHECK(challenge_for("trudy", "z").salt != unknown.salt);
}

TEST_CASE("SCRAM with a tampered proof is not-authorized") {
  gsasl_client client("SCRAM-SHA-256", {"alice", "wonderland"});
  sasl_server server("SCRAM-SHA-256", tls_config());
  auto ex = run(client, server, [](std::string& message, int round) {
    if (round != 1)
      return;
    auto p = message.find(",p=");
    REQUIRE(p != std::string::npos);
    char& c = message[p + 3];
    c = c == 'A' ? 'B' : 'A';
  });
  CHECK(failure_of(ex).condition == sasl_condition::not_authorized);
}

TEST_CASE("SCRAM with a changed nonce is not-authorized") {
  gsasl_client client("SCRAM-SHA-256", {"alice", "wonderland"});
  sasl_server server("SCRAM-SHA-256", tls_config());
  auto ex = run(client, server, [](std::string& message, int round) {
    if (round != 1)
      return;
    // Always a different character: the random nonce may start with any.
    char& c = message[message.find(",r=") + 3];
    c = c == 'X' ? 'Y' : 'X';
  });
  CHECK(failure_of(ex).condition == sasl_condition::not_authorized);
  CHECK(failure_of(ex).text == "nonce mismatch");
}

TEST_CASE("SCRAM client-first messages that break the grammar are malformed-request") {
  auto message = GENERATE(as<std::string>{}, "x,,n=alice,r=abc", // unknown cbind flag
                          "n,n=alice,r=abc",                    // GS2 header lacks a comma
                          "n,,n=alice",                         // no nonce
                          "n,,r=abc,n=alice",                   // attributes out of order
                          "n,,m=ext,n=alice,r=abc",             // mandatory extension
                          "n,,n=al=41ice,r=abc",                // bad saslname escape
                          "n,b=x,n=alice,r=abc",                // not an authzid
                          "p=tls-exporter,,n=alice,r=abc",      // binding on non-PLUS
                          "n,,n=alice,r=a\x7f" "bc",            // nonce not printable
                          "nonsense");
  CAPTURE(message);
  sasl_server server("SCRAM-SHA-256", tls_config());
  CHECK(failure_of(resolve(server, server.step(message))).condition
        == sasl_condition::malformed_request);
  CHECK(server.done());
}

TEST_CASE("SCRAM client-final messages that break the grammar are malformed-request") {
  auto final_message = GENERATE(as<std::string>{}, "c=biws,r=NONCE",  // no proof
                                "r=NONCE,c=biws,p=AAAA",                 // out of order
                                "c=bi*s,r=NONCE,p=AAAA",                 // bad base64
                                "c=biws,r=NONCE,p=AAA");                 // bad base64
  sasl_server server("SCRAM-SHA-256", tls_config());
  auto challenge = std::get<sasl_challenge>(resolve(server, server.step("n,,n=alice,r=abc")));
  auto nonce = parse_server_first(challenge.data).nonce;
  final_message.replace(final_message.find("NONCE"), 5, nonce);
  CAPTURE(final_message);
  CHECK(failure_of(server.step(final_message)).condition == sasl_condition::malformed_request);
}

TEST_CASE("SCRAM with a GS2 header changed between messages is not-authorized") {
  sasl_server server("SCRAM-SHA-256", tls_config());
  auto challenge = std::get<sasl_challenge>(resolve(server, server.step("n,,n=alice,r=abc")));
  auto nonce = parse_server_first(challenge.data).nonce;
  // "eSws" is "y,,": not what the client-first message said.
  auto result = server.step("c=eSws,r=" + nonce + ",p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  CHECK(failure_of(result).condition == sasl_condition::not_authorized);
}

TEST_CASE("SCRAM authzid must equal the username") {
  SECTION("a different authzid is invalid-authzid") {
    client_identity id{"alice", "wonderland", std::string("bob")};
    gsasl_client client("SCRAM-SHA-256", id);
    sasl_server server("SCRAM-SHA-256", tls_config());
    CHECK(failure_of(run(client, server)).condition == sasl_condition::invalid_authzid);
  }
  SECTION("the same authzid is fine") {
    client_identity id{"alice", "wonderland", std::string("alice")};
    gsasl_client client("SCRAM-SHA-256", id);
    sasl_server server("SCRAM-SHA-256", tls_config());
    CHECK(success_of(run(client, server)).username == "alice");
  }
}

TEST_CASE("SCRAM usernames are SASLprep'd before lookup") {
  // U+00AA FEMININE ORDINAL INDICATOR prepares to "a"; SOFT HYPHEN to nothing.
  gsasl_client client("SCRAM-SHA-256", {"\xC2\xAAli\xC2\xAD" "ce", "wonderland"});
  sasl_server server("SCRAM-SHA-256", tls_config());
  CHECK(success_of(run(client, server)).username == "alice");
}

TEST_CASE("an empty initial response gets an empty challenge first") {
  gsasl_client client("SCRAM-SHA-256", {"alice", "wonderland"});
  sasl_server server("SCRAM-SHA-256", tls_config());
  auto empty = std::get<sasl_challenge>(server.step(""));
  CHECK(empty.data.empty());
  auto ex = run(client, server);
  CHECK(success_of(ex).username == "alice");
}

// --- Channel binding ---------------------------------------------------------

TEST_CASE("SCRAM-SHA-256-PLUS with tls-exporter binds to the connection") {
  const std::string binding(32, '\x42');
  auto config = tls_config();
  config.channel_bindings = {{"tls-exporter", binding}};
  CHECK(sasl_server::mechanisms(config).front() == "SCRAM-SHA-256-PLUS");

  SECTION("same binding data: success") {
    client_identity id{"alice", "wonderland"};
    id.tls_exporter = binding;
    gsasl_client client("SCRAM-SHA-256-PLUS", id);
    sasl_server server("SCRAM-SHA-256-PLUS", config);
    auto ex = run(client, server);
    CHECK(success_of(ex).username == "alice");
    CHECK(ex.client_rc == GSASL_OK);
  }
  SECTION("different binding data (a man in the middle): not-authorized") {
    client_identity id{"alice", "wonderland"};
    id.tls_exporter = std::string(32, '\x43');
    gsasl_client client("SCRAM-SHA-256-PLUS", id);
    sasl_server server("SCRAM-SHA-256-PLUS", config);
    CHECK(failure_of(run(client, server)).condition == sasl_condition::not_authorized);
  }
  SECTION("a client that could bind but saw no -PLUS has been downgraded") {
    sasl_server server("SCRAM-SHA-256", config);
    auto failure = failure_of(resolve(server, server.step("y,,n=alice,r=abc")));
    CHECK(failure.condition == sasl_condition::not_authorized);
    // The text tells the client's author what to do instead.
    CHECK(failure.text.find("choose SCRAM-SHA-256-PLUS") != std::string::npos);
    CHECK_FALSE(failure.checked_password); // no guess: the throttle leaves it alone
  }
  SECTION("-PLUS without binding is malformed-request") {
    sasl_server server("SCRAM-SHA-256-PLUS", config);
    CHECK(failure_of(resolve(server, server.step("n,,n=alice,r=abc"))).condition
          == sasl_condition::malformed_request);
  }
  SECTION("a binding type the connection lacks is not-authorized") {
    sasl_server server("SCRAM-SHA-256-PLUS", config);
    CHECK(failure_of(resolve(server, server.step("p=tls-unique,,n=alice,r=abc"))).condition
          == sasl_condition::not_authorized);
  }
}

TEST_CASE("SCRAM-SHA-1-PLUS with tls-unique") {
  const std::string finished(12, '\x17');
  auto config = tls_config();
  config.channel_bindings = {{"tls-unique", finished}};
  client_identity id{"bob", "builder"};
  id.tls_unique = finished;
  gsasl_client client("SCRAM-SHA-1-PLUS", id);
  sasl_server server("SCRAM-SHA-1-PLUS", config);
  CHECK(success_of(run(client, server)).username == "bob");
}

TEST_CASE("XEP-0474 downgrade protection hash: the specification's example") {
  // XEP-0474 0.5.0 §4.3: SHA-1 over
  // "SCRAM-SHA-1\x1eSCRAM-SHA-1-PLUS\x1ftls-exporter\x1etls-server-end-point".
  CHECK(downgrade_protection_hash(scram_hash::sha1, {"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"},
                                  {"tls-server-end-point", "tls-exporter"})
        == "G6k/rBLDqgOhRRaCuuatSDFkJ08=");
}

TEST_CASE("server-first-message carries the XEP-0474 hash of what this connection offers") {
  auto config = tls_config();
  config.channel_bindings = {{"tls-exporter", std::string(32, 'x')},
                             {"tls-server-end-point", std::string(32, 'y')}};
  auto hash = GENERATE(scram_hash::sha1, scram_hash::sha256);
  auto mechanism = std::string(hash == scram_hash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256");
  sasl_server server(mechanism, config);
  auto challenge = std::get<sasl_challenge>(resolve(server, server.step("n,,n=alice,r=abc")));
  auto h = challenge.data.rfind(",h=");
  REQUIRE(h != std::string::npos);
  auto expected = downgrade_protection_hash(
    hash, {"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"},
    {"tls-exporter", "tls-server-end-point"});
  CHECK(challenge.data.substr(h + 3) == expected);
  // Another list (no binding offered), another hash.
  sasl_server plain_server(mechanism, tls_config());
  auto other = std::get<sasl_challenge>(
    resolve(plain_server, plain_server.step("n,,n=alice,r=abc")));
  CHECK(other.data.substr(other.data.rfind(",h=") + 3) != expected);
}

TEST_CASE("only a tested password counts as a guess") {
  SECTION("wrong SCRAM proof") {
    gsasl_client client("SCRAM-SHA-256", {"alice", "not-wonderland"});
    sasl_server server("SCRAM-SHA-256", tls_config());
    CHECK(failure_of(run(client, server)).checked_password);
  }
  SECTION("unknown user") {
    gsasl_client client("SCRAM-SHA-256", {"nobody", "wonderland"});
    sasl_server server("SCRAM-SHA-256", tls_config());
    CHECK(failure_of(run(client, server)).checked_password);
  }
  SECTION("a malformed message") {
    sasl_server server("SCRAM-SHA-256", tls_config());
    CHECK_FALSE(failure_of(server.step("nonsense")).checked_password);
  }
}

TEST_CASE("a client 'y' flag is fine when no -PLUS was offered") {
  sasl_server server("SCRAM-SHA-256", tls_config());
  CHECK(std::holds_alternative<sasl_challenge>(resolve(server, server.step("y,,n=alice,r=abc"))));
}

TEST_CASE("SCRAM -PLUS on a connection without binding data is invalid-mechanism") {
  sasl_server server("SCRAM-SHA-256-PLUS", tls_config());
  CHECK(failure_of(server.step("p=tls-exporter,,n=alice,r=abc")).condition
        == sasl_condition::invalid_mechanism);
}

// --- PLAIN -------------------------------------------------------------------

TEST_CASE("PLAIN without TLS is encryption-required") {
  sasl_server server("PLAIN", sasl_server_config{});
  auto failure = failure_of(server.step(std::string("\0alice\0wonderland", 17)));
  CHECK(failure.condition == sasl_condition::encryption_required);
  CHECK(to_string(failure.condition) == "encryption-required");
  auto offered = sasl_server::mechanisms(sasl_server_config{});
  CHECK(std::find(offered.begin(), offered.end(), "PLAIN") == offered.end());
}

TEST_CASE("PLAIN over TLS checks the password") {
  auto offered = sasl_server::mechanisms(tls_config());
  CHECK(std::find(offered.begin(), offered.end(), "PLAIN") != offered.end());

  SECTION("right password, through gsasl") {
    gsasl_client client("PLAIN", {"alice", "wonderland"});
    sasl_server server("PLAIN", tls_config());
    auto ex = run(client, server);
    CHECK(success_of(ex).username == "alice");
    CHECK(success_of(ex).additional_data.empty());
  }
  SECTION("wrong password") {
    gsasl_client client("PLAIN", {"alice", "looking-glass"});
    sasl_server server("PLAIN", tls_config());
    CHECK(failure_of(run(client, server)).condition == sasl_condition::not_authorized);
  }
  SECTION("unknown user fails the same way") {
    sasl_server server("PLAIN", tls_config());
    auto unknown = failure_of(resolve(server, server.step(std::string("\0mallory\0pw", 11))));
    sasl_server server2("PLAIN", tls_config());
    auto wrong = failure_of(resolve(server2, server2.step(std::string("\0alice\0pw", 9))));
    CHECK(unknown.condition == sasl_condition::not_authorized);
    CHECK(unknown.condition == wrong.condition);
    CHECK(unknown.text == wrong.text);
  }
  SECTION("authzid different from authcid") {
    client_identity id{"alice", "wonderland", std::string("bob")};
    gsasl_client client("PLAIN", id);
    sasl_server server("PLAIN", tls_config());
    CHECK(failure_of(run(client, server)).condition == sasl_condition::invalid_authzid);
  }
  SECTION("authzid equal to authcid") {
    sasl_server server("PLAIN", tls_config());
    auto result = resolve(server, server.step(std::string("alice\0alice\0wonderland", 22)));
    CHECK(std::get<sasl_success>(result).username == "alice");
  }
  SECTION("malformed PLAIN messages") {
    auto message = GENERATE(as<std::string>{}, std::string("alice", 5),
                            std::string("\0alice", 6), std::string("\0\0pw", 4),
                            std::string("\0alice\0", 7), std::string("\0a\0b\0c", 6));
    sasl_server server("PLAIN", tls_config());
    CHECK(failure_of(resolve(server, server.step(message))).condition
          == sasl_condition::malformed_request);
  }
}

// --- The attempt as a whole ---------------------------------------------------

TEST_CASE("an unknown mechanism is invalid-mechanism") {
  auto name = GENERATE(as<std::string>{}, "DIGEST-MD5", "SCRAM-SHA-512", "PLAIN-PLUS", "");
  sasl_server server(name, tls_config());
  CHECK(failure_of(server.step("anything")).condition == sasl_condition::invalid_mechanism);
}

TEST_CASE("the asynchronous lookup asks once and waits for the answer") {
  sasl_server server("SCRAM-SHA-1", tls_config());
  auto need = std::get<sasl_need_credentials>(server.step("n,,n=bob,r=abc"));
  CHECK(need.username == "bob");
  CHECK(need.hash == scram_hash::sha1);
  CHECK_FALSE(server.done());
  auto challenge = server.provide_credentials(store().lookup(need.username, need.hash));
  CHECK(std::holds_alternative<sasl_challenge>(challenge));
}

TEST_CASE("a response while credentials are pending is malformed-request") {
  sasl_server server("SCRAM-SHA-256", tls_config());
  REQUIRE(std::holds_alternative<sasl_need_credentials>(server.step("n,,n=bob,r=abc")));
  CHECK(failure_of(server.step("c=biws")).condition == sasl_condition::malformed_request);
  CHECK(server.done());
  CHECK(std::holds_alternative<sasl_failure>(server.provide_credentials(std::nullopt)));
}

TEST_CASE("the caller can fail or abort an attempt") {
  sasl_server server("SCRAM-SHA-256", tls_config());
  REQUIRE(std::holds_alternative<sasl_need_credentials>(server.step("n,,n=bob,r=abc")));
  SECTION("account server unreachable") {
    auto failure = server.fail(sasl_condition::temporary_auth_failure, "try again later");
    CHECK(failure.condition == sasl_condition::temporary_auth_failure);
    CHECK(to_string(failure.condition) == "temporary-auth-failure");
  }
  SECTION("client <abort/>") {
    CHECK(server.abort().condition == sasl_condition::aborted);
  }
  CHECK(server.done());
  CHECK(failure_of(server.step("anything")).condition == sasl_condition::malformed_request);
}

TEST_CASE("conditions have their RFC 6120 §6.5 element names") {
  CHECK(to_string(sasl_condition::not_authorized) == "not-authorized");
  CHECK(to_string(sasl_condition::malformed_request) == "malformed-request");
  CHECK(to_string(sasl_condition::invalid_mechanism) == "invalid-mechanism");
  CHECK(to_string(sasl_condition::invalid_authzid) == "invalid-authzid");
  CHECK(to_string(sasl_condition::incorrect_encoding) == "incorrect-encoding");
  CHECK(to_string(sasl_condition::credentials_expired) == "credentials-expired");
  CHECK(to_string(sasl_condition::account_disabled) == "account-disabled");
  CHECK(to_string(sasl_condition::aborted) == "aborted");
}
