// Drives one c2s_stream as a transport would, with no sockets and no TLS: what
// the stream writes is parsed back into elements, its actions are sorted into
// what a test checks.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/account/credentials.hpp"
#include "node/xmpp/c2s_stream.hpp"
#include "node/xmpp/sasl_negotiation.hpp"
#include "node/xmpp/xml/xml_stream.hpp"

namespace c2s_test {

using namespace irsp;
using namespace irsp::xmpp;

/// A client stream header for `localhost`.
inline const std::string header =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
  "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

/// Node-wide settings as tests use them.
inline c2s_settings test_settings() {
  c2s_settings s;
  s.domain = "localhost";
  s.throttle = std::make_shared<auth_throttle>();
  s.fake_salt_key = "test";
  return s;
}

/// One stream and everything it asked of its transport.
struct harness {
  explicit harness(c2s_settings settings = test_settings(), bool direct_tls = false,
                   std::string remote = "127.0.0.1")
    : settings(std::move(settings)) {
    stream = std::make_unique<c2s_stream>(this->settings, std::move(remote), direct_tls);
  }

  c2s_settings settings;
  std::unique_ptr<c2s_stream> stream;

  // What the stream asked for, in order, since the test last cleared them.
  std::string written; // every byte, not cleared by parsing
  std::vector<c2s_lookup> lookups;
  std::vector<c2s_open> opens;
  std::vector<c2s_call> calls;
  std::vector<c2s_log> logs;
  bool closed = false;
  bool tls_started = false;

  // The client's view of the server's stream.
  std::unique_ptr<xml_stream> reader = std::make_unique<xml_stream>();
  std::vector<stream_open> headers;
  std::vector<element> received;
  std::vector<stream_error> reader_errors;
  bool server_closed = false;

  /// Carries out the stream's actions.
  void run() {
    std::vector<c2s_action> actions;
    stream->take_actions(actions);
    for (auto& a : actions) {
      if (auto* w = std::get_if<c2s_write>(&a)) {
        written += w->bytes;
        read_back(w->bytes);
      } else if (std::holds_alternative<c2s_start_tls>(a)) {
        tls_started = true;
      } else if (std::holds_alternative<c2s_close>(a)) {
        closed = true;
      } else if (auto* l = std::get_if<c2s_log>(&a)) {
        logs.push_back(*l);
      } else if (auto* l = std::get_if<c2s_lookup>(&a)) {
        lookups.push_back(*l);
      } else if (auto* o = std::get_if<c2s_open>(&a)) {
        opens.push_back(*o);
      } else if (auto* c = std::get_if<c2s_call>(&a)) {
        calls.push_back(std::move(*c));
      }
    }
  }

  void read_back(const std::string& bytes) {
    reader->feed(bytes);
    while (auto ev = reader->next()) {
      if (auto* o = std::get_if<stream_open>(&*ev)) {
        headers.push_back(*o);
      } else if (auto* e = std::get_if<element>(&*ev)) {
        received.push_back(*e);
        // The server restarts its stream after these; so does the client.
        if (e->name() == "proceed" || e->name() == "success") {
          reader->restart();
          return;
        }
      } else if (std::holds_alternative<stream_close>(*ev)) {
        server_closed = true;
      } else {
        reader_errors.push_back(std::get<stream_error>(*ev));
      }
    }
  }

  /// Sends client bytes and carries out what follows.
  void send(std::string_view bytes) {
    stream->feed(bytes);
    run();
  }

  /// Takes the elements received so far.
  std::vector<element> take() {
    std::vector<element> out;
    out.swap(received);
    return out;
  }

  /// The one element received since the last take(); fails otherwise.
  element one() {
    auto got = take();
    INFO("received " << got.size() << " elements; written: " << written);
    REQUIRE(got.size() == 1);
    return got.front();
  }

  /// The condition of a `<stream:error/>` received, or empty.
  std::string stream_error_condition() {
    for (const auto& e : received)
      if (e.name() == "error" && e.xmlns() == ns_streams)
        for (const auto& n : e.children())
          if (const auto* c = std::get_if<element>(&n))
            if (c->name() != "text")
              return c->name();
    return {};
  }

  /// Negotiates STARTTLS (pretending the handshake) up to the TLS stream's features.
  element start_tls(std::vector<channel_binding> bindings = {}) {
    send(header);
    take();
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    REQUIRE(one().name() == "proceed");
    REQUIRE(tls_started);
    stream->tls_established(std::move(bindings));
    send(header);
    auto got = take();
    REQUIRE(got.size() == 1);
    return got.front();
  }

  /// Logs in with PLAIN against `password_on_file` (the account's real
  /// password) and returns the received `<success/>` or `<failure/>`.
  element plain_login(const std::string& user, const std::string& password,
                      const std::string& password_on_file) {
    std::string msg = std::string{"\0", 1} + user + std::string{"\0", 1} + password;
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
         + base64_encode(msg) + "</auth>");
    if (!lookups.empty()) {
      lookups.clear();
      stream->credentials(account::derive_scram_secret(
        account::scram_hash::sha256, *account::saslprep(password_on_file), "salt", 4096));
      run();
    }
    auto got = take();
    REQUIRE(got.size() == 1);
    return got.front();
  }

  /// From nothing to a bound session of `user` (PLAIN over the pretended TLS).
  void bind(const std::string& user, const std::string& resource = "phone",
            std::vector<std::string> peers = {}) {
    start_tls();
    REQUIRE(plain_login(user, "password1", "password1").name() == "success");
    send(header);
    take();
    send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"
         + resource + "</resource></bind></iq>");
    REQUIRE(opens.size() == 1);
    stream->opened(true, account::account_kind::USER, std::move(peers));
    run();
    auto result = one();
    REQUIRE(result.attr("type") == "result");
    opens.clear();
  }
};

/// The element children of `e`.
inline std::vector<const element*> children(const element& e) {
  std::vector<const element*> out;
  for (const auto& n : e.children())
    if (const auto* c = std::get_if<element>(&n))
      out.push_back(c);
  return out;
}

} // namespace c2s_test
