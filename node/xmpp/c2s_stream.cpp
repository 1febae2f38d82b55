// RFC 6120 §4-§8, RFC 6121 §2, XEP-0077, XEP-0030, XEP-0199: one client stream's
// state machine.
#include "node/xmpp/c2s_stream.hpp"

#include <algorithm>

#include "actors/account/credentials.hpp"
#include "node/xmpp/stanza_mapping.hpp"

namespace irsp::xmpp {

namespace {

constexpr std::string_view ns_tls = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view ns_bind = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view ns_session = "urn:ietf:params:xml:ns:xmpp-session";
constexpr std::string_view ns_stream_errors = "urn:ietf:params:xml:ns:xmpp-streams";
constexpr std::string_view ns_register_feature = "http://jabber.org/features/iq-register";
constexpr std::string_view ns_disco_info = "http://jabber.org/protocol/disco#info";
constexpr std::string_view ns_disco_items = "http://jabber.org/protocol/disco#items";
constexpr std::string_view ns_roster = "jabber:iq:roster";

// RFC 7622 §3.4: a resourcepart is 1 to 1023 octets. Its PRECIS profile
// (OpaqueString) allows nearly anything printable; refusing control
// characters is the part that protects logs and other clients.
constexpr std::size_t max_resource_octets = 1023;

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool valid_resource(std::string_view r) {
  if (r.empty() || r.size() > max_resource_octets)
    return false;
  for (unsigned char c : r)
    if (c < 0x20 || c == 0x7f)
      return false;
  return true;
}

// RFC 6120 §4.9.2: <stream:error><condition/><text/></stream:error>.
element stream_error_element(std::string_view condition, std::string_view text) {
  element error{"error", std::string{ns_streams}};
  error.add_child(std::string{condition}, std::string{ns_stream_errors});
  if (!text.empty()) {
    auto& t = error.add_child("text", std::string{ns_stream_errors});
    t.set_attr("xml:lang", "en");
    t.add_text(text);
  }
  return error;
}

bool is_stanza(const element& e) {
  return e.xmlns() == ns_client
         && (e.name() == "iq" || e.name() == "message" || e.name() == "presence");
}

// The sole element child of an IQ, or null (RFC 6120 §8.2.3).
const element* iq_payload(const element& iq) {
  const element* found = nullptr;
  for (const auto& node : iq.children())
    if (const auto* e = std::get_if<element>(&node)) {
      if (found)
        return nullptr;
      found = e;
    }
  return found;
}

bool is_registration(const element& iq) {
  const auto* p = iq_payload(iq);
  return p && p->name() == "query" && p->xmlns() == ns_register;
}

element result_for(const element& iq) {
  return build_empty_result(iq);
}

stanza_error make_error(std::string type, std::string condition, std::string text = {}) {
  return stanza_error{std::move(type), std::move(condition), std::move(text), {}};
}

} // namespace

// -- c2s_module ------------------------------------------------------------------

c2s_module::~c2s_module() = default;

void c2s_module::add_features(element&) {
}

bool c2s_module::on_nonza(c2s_stream&, const element&) {
  return false;
}

void c2s_module::on_stanza_in(c2s_stream&) {
}

void c2s_module::on_stanza_out(c2s_stream&, const element&, const std::string&) {
}

bool c2s_module::ask_alive(c2s_stream&) {
  return false;
}

void c2s_module::on_authenticated(c2s_stream&) {
}

void c2s_module::on_auth_failed(c2s_stream&) {
}

// -- c2s_stream ------------------------------------------------------------------

c2s_stream::c2s_stream(const c2s_settings& settings, std::string remote, bool direct_tls)
  : settings_(settings),
    remote_(std::move(remote)),
    parser_(std::make_unique<xml_stream>(settings.xml_limits)),
    stream_id_(hex(account::random_bytes(8))),
    tls_(direct_tls) {
  settings_.domain = ascii_lower(settings_.domain);
}

c2s_stream::~c2s_stream() = default;

void c2s_stream::add_module(std::unique_ptr<c2s_module> module) {
  modules_.push_back(std::move(module));
}

void c2s_stream::feed(const char* data, std::size_t size) {
  if (finished())
    return;
  if (!parser_)
    wake_parser();
  parser_->feed(data, size);
  pump();
}

void c2s_stream::wake_parser() {
  // The stream goes on where it was: inside the stream element, whose
  // header the new parser is told about first (and which it reports again,
  // to no one).
  parser_ = std::make_unique<xml_stream>(settings_.xml_limits);
  parser_->feed("<stream:stream xmlns='jabber:client' "
                "xmlns:stream='http://etherx.jabber.org/streams'>");
  parser_->next();
}

void c2s_stream::tls_established(std::vector<channel_binding> bindings) {
  tls_ = true;
  sasl_server_config config;
  config.tls = true;
  config.channel_bindings = std::move(bindings);
  config.fake_salt_key = settings_.fake_salt_key;
  config.fake_iterations = settings_.fake_iterations;
  sasl_ = std::make_unique<sasl_negotiation>(std::move(config), settings_.domain,
                                             settings_.throttle, remote_);
}

bool c2s_stream::waiting() const noexcept {
  if (finished())
    return false;
  return phase_ == phase::binding || (sasl_ && sasl_->waiting_for_credentials())
         || pending_.size() >= settings_.max_pending;
}

void c2s_stream::pump() {
  while (!finished() && !waiting() && parser_) {
    auto event = parser_->next();
    if (!event) {
      // Idle between stanzas: expat's buffers and pools (about 10 KB) are
      // not worth keeping for a connection that may stay silent for hours.
      // Only bound streams hibernate (negotiation is brief). A namespace
      // prefix a client declared on its own stream header rather than on
      // its stanzas is not carried over; clients do not rely on that.
      if (phase_ == phase::bound && parser_->between_stanzas())
        parser_.reset();
      return;
    }
    if (auto* open = std::get_if<stream_open>(&*event)) {
      handle_open(*open);
    } else if (auto* e = std::get_if<element>(&*event)) {
      handle_element(*e);
    } else if (std::holds_alternative<stream_close>(*event)) {
      // RFC 6120 §4.4: answer the close with ours, then the TCP close.
      if (!header_sent_)
        write(stream_header(stream_id_, settings_.domain));
      write(stream_footer());
      act(c2s_close{});
      phase_ = phase::finished;
    } else {
      const auto& err = std::get<stream_error>(*event);
      fail(err.condition, err.text);
    }
  }
}

void c2s_stream::handle_open(const stream_open& open) {
  write(stream_header(stream_id_, settings_.domain, open.from));
  header_sent_ = true;
  // RFC 6120 §4.7.5: without a version the peer speaks pre-1.0 XMPP, which
  // has no features and no SASL; IRSP needs both.
  if (open.version.empty() || open.version.compare(0, 2, "1.") != 0)
    return fail("unsupported-version", "XMPP 1.0 is required, not '" + open.version + "'");
  if (!open.to.empty() && ascii_lower(open.to) != settings_.domain)
    return fail("host-unknown", "this server serves '" + settings_.domain + "', not '"
                                  + open.to + "'");
  phase_ = phase::features;
  send_features();
}

void c2s_stream::send_features() {
  element features{"features", std::string{ns_streams}};
  if (!tls_) {
    // RFC 6120 §5.3.1: TLS is mandatory-to-negotiate here, so nothing else is
    // offered before it; a client that tries SASL anyway is told why.
    features.add_child("starttls", std::string{ns_tls}).add_child("required");
  } else if (!authenticated_) {
    if (!sasl_) // a transport that never reported its handshake
      return fail("internal-server-error", "TLS is not established", false);
    features.add_child(sasl_->mechanisms_feature());
    if (auto cb = sasl_->channel_binding_feature())
      features.add_child(std::move(*cb));
    features.add_child("register", std::string{ns_register_feature});
  } else {
    features.add_child("bind", std::string{ns_bind});
    // RFC 3921 sessions are a no-op since RFC 6121; old clients still ask.
    features.add_child("session", std::string{ns_session}).add_child("optional");
    for (auto& m : modules_)
      m->add_features(features);
  }
  send_nonza(features);
}

void c2s_stream::handle_element(element& e) {
  if (e.xmlns() == ns_tls && e.name() == "starttls") {
    if (tls_)
      return fail("policy-violation", "TLS is already in place");
    element proceed{"proceed", std::string{ns_tls}};
    send_nonza(proceed);
    act(c2s_start_tls{});
    tls_ = true;
    restart_stream();
    return;
  }
  if (e.xmlns() == ns_sasl) {
    if (authenticated_)
      return fail("policy-violation", "the stream is already authenticated");
    if (!tls_ || !sasl_) {
      // RFC 6120 §6.4.5 encryption-required: no mechanism is used in the clear.
      element failure{"failure", std::string{ns_sasl}};
      failure.add_child("encryption-required");
      failure.add_child("text").set_attr("xml:lang", "en").add_text("STARTTLS first");
      send_nonza(failure);
      act(c2s_log{"encryption-required", "SASL attempted before STARTTLS"});
      return;
    }
    return handle_sasl(e);
  }
  if (is_stanza(e))
    return handle_stanza(e);
  if (e.xmlns() == ns_streams && e.name() == "error") {
    // The client gave up on us; RFC 6120 §4.9.1.2: close without answering.
    std::string condition = "undefined-condition";
    for (const auto& node : e.children())
      if (const auto* c = std::get_if<element>(&node))
        if (c->xmlns() == ns_stream_errors && c->name() != "text")
          condition = c->name();
    write(stream_footer());
    act(c2s_log{condition, "stream error sent by the client"});
    act(c2s_close{});
    phase_ = phase::finished;
    return;
  }
  for (auto& m : modules_)
    if (m->on_nonza(*this, e))
      return;
  // RFC 6120 §4.9.3.22: an element we do not know at stream level.
  fail("unsupported-stanza-type",
       "<" + e.name() + (e.xmlns().empty() ? "" : " xmlns='" + e.xmlns() + "'")
         + "> is not something this server takes here");
}

void c2s_stream::handle_sasl(const element& e) {
  apply_sasl(sasl_->handle(e, auth_throttle::clock::now()));
}

void c2s_stream::apply_sasl(sasl_outcome outcome) {
  if (outcome.reply)
    send_nonza(*outcome.reply);
  if (outcome.lookup_address) {
    act(c2s_lookup{*outcome.lookup_address, outcome.lookup_hash, outcome.lookup_derives_key});
    return;
  }
  if (outcome.succeeded) {
    authenticated_ = true;
    address_ = sasl_->localpart() + "@" + settings_.domain;
    if (settings_.log_logins)
      act(c2s_log{"login", address_ + " " + outcome.how, true});
    for (auto& m : modules_)
      m->on_authenticated(*this);
    restart_stream();
    return;
  }
  if (outcome.failed) {
    std::string condition = "not-authorized";
    std::string text;
    if (outcome.reply)
      for (const auto& node : outcome.reply->children())
        if (const auto* c = std::get_if<element>(&node)) {
          if (c->name() == "text")
            text = c->text();
          else
            condition = c->name();
        }
    act(c2s_log{condition, "authentication failed" + (text.empty() ? "" : ": " + text)});
    for (auto& m : modules_)
      m->on_auth_failed(*this);
    if (sasl_->failures() >= settings_.max_auth_failures)
      fail("policy-violation", "too many failed authentication attempts");
  }
}

void c2s_stream::credentials(std::optional<account::scram_secret> secret) {
  if (finished() || !sasl_ || !sasl_->waiting_for_credentials())
    return;
  apply_sasl(sasl_->provide_credentials(std::move(secret), auth_throttle::clock::now()));
  pump();
}

void c2s_stream::credentials_unavailable() {
  if (finished() || !sasl_ || !sasl_->waiting_for_credentials())
    return;
  apply_sasl(sasl_->credentials_unavailable(auth_throttle::clock::now()));
  pump();
}

void c2s_stream::handle_stanza(element& e) {
  if (!authenticated_) {
    // XEP-0077 §3.1: registration is the one thing a client may do before
    // authenticating, and only once TLS protects the password.
    if (tls_ && e.name() == "iq" && is_registration(e))
      return handle_iq(e);
    return fail("not-authorized", "<" + e.name() + "/> before authentication");
  }
  if (phase_ != phase::bound) {
    if (e.name() == "iq") {
      const auto* p = iq_payload(e);
      if (p && p->name() == "bind" && p->xmlns() == ns_bind)
        return handle_bind(e);
    }
    return fail("not-authorized", "<" + e.name() + "/> before resource binding");
  }
  if (e.name() == "iq")
    handle_iq(e);
  else if (e.name() == "message")
    handle_message(e);
  // Presence from the client changes nothing: being online is having a bound
  // session, and bound peers need no subscription (docs/protocol.md).
  for (auto& m : modules_)
    m->on_stanza_in(*this);
}

void c2s_stream::handle_bind(const element& iq) {
  const auto* bind = iq_payload(iq);
  if (iq.attr("type") != "set" || iq.attr("id").empty())
    return send_stanza(build_error(iq, make_error("modify", "bad-request",
                                                  "bind is an IQ set with an id")));
  std::string resource;
  if (const auto* r = bind->child("resource"))
    resource = r->text();
  if (resource.empty())
    resource = "irsp-" + hex(account::random_bytes(6)); // RFC 6120 §7.6.2.1
  if (!valid_resource(resource))
    return send_stanza(build_error(iq, make_error("modify", "bad-request",
                                                  "the resource is not a valid resourcepart")));
  resource_ = std::move(resource);
  bind_iq_ = iq;
  phase_ = phase::binding;
  act(c2s_open{address_, resource_});
}

void c2s_stream::opened(bool exists, account::account_kind, std::vector<std::string> peers) {
  if (phase_ != phase::binding)
    return;
  if (!exists)
    return fail("not-authorized", "the account no longer exists", false);
  peers_ = std::move(peers);
  phase_ = phase::bound;
  auto result = result_for(*bind_iq_);
  result.add_child("bind", std::string{ns_bind}).add_child("jid").add_text(full_jid());
  bind_iq_.reset();
  send_stanza(result);
  for (auto& e : early_)
    send_stanza(e);
  early_.clear();
  pump();
}

bool c2s_stream::handle_server_iq(const element& iq) {
  auto type = iq.attr("type");
  if (type != "get" && type != "set")
    return false;
  auto to = ascii_lower(iq.attr("to"));
  const auto* p = iq_payload(iq);
  if (!p || iq.attr("id").empty())
    return false;
  const bool to_server = to.empty() || to == settings_.domain;
  const bool to_account = to_server || to == address_;
  if (p->xmlns() == ns_bind && to_server) {
    send_stanza(build_error(iq, make_error("cancel", "not-allowed",
                                           "a resource is already bound to this stream")));
    return true;
  }
  if (p->xmlns() == ns_session && to_server) {
    send_stanza(result_for(iq));
    return true;
  }
  if (p->xmlns() == ns_disco_info && p->name() == "query" && type == "get" && to_server) {
    // XEP-0030 §3.1: who we are and what we offer.
    auto result = result_for(iq);
    auto& query = result.add_child("query", std::string{ns_disco_info});
    auto& identity = query.add_child("identity");
    identity.set_attr("category", "server").set_attr("type", "im").set_attr("name", "IRSP");
    for (auto feature : {ns_disco_info, ns_disco_items, ns_ping, ns_register, ns_irsp,
                         std::string_view{"urn:xmpp:delay"}})
      query.add_child("feature").set_attr("var", feature);
    send_stanza(result);
    return true;
  }
  if (p->xmlns() == ns_disco_items && p->name() == "query" && type == "get" && to_server) {
    auto result = result_for(iq);
    result.add_child("query", std::string{ns_disco_items});
    send_stanza(result);
    return true;
  }
  if (p->xmlns() == ns_roster && p->name() == "query" && to_account) {
    if (type == "set") {
      send_stanza(build_error(iq, make_error("cancel", "not-allowed",
                                             "the roster is the account's bindings; change "
                                             "them with urn:irsp:0 bind-device and unbind")));
      return true;
    }
    // RFC 6121 §2.1.3: the bound peers are the contacts, both ways subscribed.
    roster_requested_ = true;
    auto result = result_for(iq);
    auto& query = result.add_child("query", std::string{ns_roster});
    for (const auto& peer : peers_)
      query.add_child("item").set_attr("jid", peer).set_attr("subscription", "both");
    send_stanza(result);
    return true;
  }
  return false;
}

void c2s_stream::handle_iq(const element& iq) {
  if (authenticated_ && handle_server_iq(iq))
    return;
  auto parsed = parse_client_iq(iq, address_, settings_.domain);
  std::visit(
    [&](auto& r) {
      using T = std::decay_t<decltype(r)>;
      if constexpr (std::is_same_v<T, stanza_error>)
        send_stanza(build_error(iq, r));
      else if constexpr (std::is_same_v<T, ignored_stanza>)
        return;
      else if constexpr (std::is_same_v<T, registration_form_request>)
        send_stanza(build_registration_form(iq, r));
      else if constexpr (std::is_same_v<T, bindings_request>)
        send_stanza(build_bindings(iq, peers_));
      else if constexpr (std::is_same_v<T, ping_request>)
        send_stanza(build_empty_result(iq));
      else if constexpr (std::is_same_v<T, account::register_request>)
        register_account(iq, std::move(r));
      else
        call(iq, c2s_request{std::move(r)});
    },
    parsed);
}

void c2s_stream::register_account(const element& iq, account::register_request r) {
  // XEP-0077 §14: one address may not create accounts without bound. The
  // refusal is the stream's, before the account server: no IRSP status.
  if (settings_.registrations
      && !settings_.registrations->reserve(remote_, registration_limit::clock::now()))
    return send_stanza(build_error(
      iq, make_error("wait", "policy-violation",
                     "too many accounts registered from this address; try again later")));
  auto id = call(iq, c2s_request{std::move(r)});
  if (settings_.registrations)
    pending_.at(id).registration = true;
}

void c2s_stream::handle_message(const element& msg) {
  auto parsed = parse_client_message(msg, address_, settings_.domain);
  std::visit(
    [&](auto& r) {
      using T = std::decay_t<decltype(r)>;
      if constexpr (std::is_same_v<T, stanza_error>)
        send_stanza(build_error(msg, r));
      else if constexpr (std::is_same_v<T, ignored_stanza>)
        return;
      else
        call(msg, c2s_request{std::move(r)});
    },
    parsed);
}

std::uint64_t c2s_stream::call(const element& stanza, c2s_request request) {
  auto id = next_id_++;
  pending_request p{stanza, std::holds_alternative<account::delete_request>(request), false,
                    std::chrono::steady_clock::now()};
  pending_.emplace(id, std::move(p));
  act(c2s_call{id, std::move(request)});
  return id;
}

bool c2s_stream::expire_calls(std::chrono::steady_clock::time_point made_before) {
  if (finished())
    return false;
  std::vector<std::uint64_t> lost;
  for (const auto& [id, p] : pending_)
    if (p.made < made_before)
      lost.push_back(id);
  for (auto id : lost)
    reply(id, c2s_request_failed{});
  return !pending_.empty();
}

void c2s_stream::reply(std::uint64_t id, c2s_response response) {
  auto i = pending_.find(id);
  if (i == pending_.end() || finished())
    return;
  auto p = std::move(i->second);
  pending_.erase(i);
  const auto& stanza = p.stanza;
  const bool is_iq = stanza.name() == "iq";
  bool account_deleted = false;
  std::visit(
    [&](auto& r) {
      using T = std::decay_t<decltype(r)>;
      if constexpr (std::is_same_v<T, c2s_request_failed>) {
        send_stanza(build_error(stanza, make_error("wait", "internal-server-error",
                                                   "the server did not answer in time")));
      } else if constexpr (std::is_same_v<T, message::upload_response>) {
        if (is_iq)
          send_stanza(build_reply(stanza, r));
        else if (auto e = build_message_reply(stanza, r))
          send_stanza(*e);
      } else if constexpr (std::is_same_v<T, message::direct_response>) {
        if (auto e = build_message_reply(stanza, r))
          send_stanza(*e);
      } else {
        if constexpr (std::is_same_v<T, account::delete_response>)
          account_deleted = r.status == account::delete_status::OK;
        if constexpr (std::is_same_v<T, account::register_response>)
          if (p.registration && r.status != account::register_status::OK)
            settings_.registrations->release(remote_);
        send_stanza(build_reply(stanza, r));
      }
    },
    response);
  if (account_deleted || (gone_ && p.deletes_account))
    // XEP-0077 §3.2: the result first, then the stream ends.
    return fail("not-authorized", "the account was deleted", false);
  pump();
}

void c2s_stream::deliver(const message::delivery& d) {
  to_client(build_delivery(d, full_jid(), settings_.domain));
}

void c2s_stream::presence(const message::presence_event& event) {
  to_client(build_presence(event, full_jid()));
}

void c2s_stream::to_client(element stanza) {
  if (phase_ == phase::bound)
    send_stanza(stanza);
  else if (phase_ == phase::binding)
    early_.push_back(std::move(stanza));
}

void c2s_stream::binding_changed(const std::string& peer, bool bound) {
  auto i = std::find(peers_.begin(), peers_.end(), peer);
  if (bound && i == peers_.end())
    peers_.push_back(peer);
  else if (!bound && i != peers_.end())
    peers_.erase(i);
  if (phase_ != phase::bound || !roster_requested_)
    return;
  // RFC 6121 §2.1.6 roster push; the client's result is ignored like any.
  element push{"iq", std::string{ns_client}};
  push.set_attr("type", "set").set_attr("id", "roster-" + std::to_string(next_id_++));
  push.set_attr("to", full_jid());
  push.add_child("query", std::string{ns_roster})
    .add_child("item")
    .set_attr("jid", peer)
    .set_attr("subscription", bound ? "both" : "remove");
  send_stanza(push);
}

void c2s_stream::attach(std::string resource, std::vector<std::string> peers) {
  if (finished() || !authenticated_ || phase_ != phase::features)
    return;
  resource_ = std::move(resource);
  peers_ = std::move(peers);
  phase_ = phase::bound;
  pump();
}

void c2s_stream::replaced() {
  fail("conflict", "replaced by a newer session of the same resource", false);
}

void c2s_stream::gone() {
  for (const auto& [id, p] : pending_)
    if (p.deletes_account) {
      gone_ = true; // the reply to the client's own <remove/> goes out first
      return;
    }
  fail("not-authorized", "the account was deleted", false);
}

void c2s_stream::check_alive() {
  if (phase_ != phase::bound)
    return;
  for (auto& m : modules_)
    if (m->ask_alive(*this))
      return;
  send_stanza(build_server_ping("ping-" + std::to_string(next_id_++), settings_.domain,
                                full_jid()));
}

void c2s_stream::fail_keeping_session(std::string_view condition, std::string_view text) {
  if (finished())
    return;
  write(to_xml(stream_error_element(condition, text)));
  write(stream_footer());
  act(c2s_log{std::string{condition}, std::string{text}});
}

void c2s_stream::timeout(std::string_view text) {
  fail("connection-timeout", text);
}

void c2s_stream::shutdown() {
  fail("system-shutdown", "the server is shutting down", false);
}

void c2s_stream::fail(std::string_view condition, std::string_view text, bool log) {
  if (finished())
    return;
  // RFC 6120 §4.9.1.1: an error before our header still goes inside one.
  if (!header_sent_)
    write(stream_header(stream_id_, settings_.domain));
  write(to_xml(stream_error_element(condition, text)));
  write(stream_footer());
  if (log)
    act(c2s_log{std::string{condition}, std::string{text}});
  act(c2s_close{});
  phase_ = phase::finished;
  pending_.clear();
  bind_iq_.reset();
  early_.clear();
}

void c2s_stream::restart_stream() {
  // RFC 6120 §4.3.3: after TLS and after SASL both sides start afresh, with
  // a new stream id.
  if (parser_)
    parser_->restart();
  else
    parser_ = std::make_unique<xml_stream>(settings_.xml_limits);
  phase_ = phase::header;
  header_sent_ = false;
  stream_id_ = hex(account::random_bytes(8));
}

void c2s_stream::send_stanza(const element& stanza) {
  if (finished())
    return;
  auto xml = to_xml(stanza);
  write(xml);
  // After the write, so that what a module sends in turn (an ack request)
  // follows the stanza.
  for (auto& m : modules_)
    m->on_stanza_out(*this, stanza, xml);
}

void c2s_stream::send_nonza(const element& e) {
  if (finished())
    return;
  write(to_xml(e));
}

void c2s_stream::resend_stanza(const std::string& xml) {
  if (finished())
    return;
  write(xml);
}

void c2s_stream::write(std::string_view bytes) {
  if (!actions_.empty())
    if (auto* w = std::get_if<c2s_write>(&actions_.back())) {
      w->bytes.append(bytes);
      return;
    }
  actions_.emplace_back(c2s_write{std::string{bytes}});
}

void c2s_stream::act(c2s_action action) {
  actions_.push_back(std::move(action));
}

void c2s_stream::take_actions(std::vector<c2s_action>& out) {
  out.clear();
  out.swap(actions_);
}

std::string c2s_stream::full_jid() const {
  return address_ + "/" + resource_;
}

} // namespace irsp::xmpp
