#include "bench/irsp_bench/xmpp_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bench/irsp_bench/sasl_client.hpp"
#include "node/tls/tls_context.hpp"

namespace irsp::bench {

namespace {

constexpr std::string_view ns_tls = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view ns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view ns_bind = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view ns_stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
constexpr std::string_view ns_register = "jabber:iq:register";
constexpr std::string_view ns_session = "urn:ietf:params:xml:ns:xmpp-session";

using xmpp::element;

/// The name of the first child element, optionally only in `xmlns`: the
/// defined condition of a stream error, SASL failure or stanza error.
std::string first_child_name(const element& el, std::string_view xmlns = {}) {
  for (const auto& node : el.children())
    if (const auto* child = std::get_if<element>(&node))
      if (xmlns.empty() || child->xmlns() == xmlns)
        return child->name();
  return "(no condition)";
}

bool is(const element& el, std::string_view name, std::string_view xmlns) {
  return el.name() == name && el.xmlns() == xmlns;
}

} // namespace

std::string stanza_error_condition(const element& stanza) {
  const element* error = stanza.child("error");
  return error != nullptr ? first_child_name(*error, ns_stanzas) : "(no error element)";
}

xmpp_client::xmpp_client(const client_environment& env, client_observer& observer, int index,
                         std::string localpart, int target, int source)
  : env_(env),
    observer_(observer),
    index_(index),
    target_(target),
    source_(source),
    localpart_(std::move(localpart)),
    bare_jid_(localpart_ + "@" + env.options->domain) {
}

xmpp_client::~xmpp_client() {
  if (fd_ >= 0)
    ::close(fd_);
}

const char* xmpp_client::state_name(state s) noexcept {
  switch (s) {
    case state::idle:
      return "idle";
    case state::tcp_connecting:
      return "tcp-connect";
    case state::stream_plain:
      return "plaintext-stream";
    case state::starttls_sent:
      return "starttls";
    case state::stream_secure:
      return "tls-stream";
    case state::registering:
      return "registration";
    case state::authenticating:
      return "sasl";
    case state::stream_authed:
      return "post-auth-stream";
    case state::binding:
      return "bind";
    case state::session_iq:
      return "session";
    case state::ready:
      return "ready";
    case state::closing:
      return "closing";
    case state::closed:
      return "closed";
    case state::failed:
      return "failed";
  }
  return "?";
}

bool xmpp_client::logging_in() const noexcept {
  return state_ != state::idle && state_ != state::ready && state_ != state::closing && !ended();
}

std::string xmpp_client::tls_version() const {
  return tls_ ? tls_->protocol_version() : std::string{};
}

bool xmpp_client::start() {
  times_.started = bench_clock::now();
  const auto& target = (*env_.targets)[static_cast<std::size_t>(target_)];
  const auto family = target.address.ss_family;
  fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    state_ = state::tcp_connecting; // so that fail() reports the phase
    fail(std::string("socket: ") + std::strerror(errno));
    return false;
  }
  // Round trips are the measure; Nagle would hold small stanzas back.
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  state_ = state::tcp_connecting;
  if (!env_.sources.empty()) {
    // Past ~28 000 connections to one server, one source address runs out of
    // ephemeral ports. IP_BIND_ADDRESS_NO_PORT leaves the port to connect(),
    // which then picks one free for this destination rather than for all.
    setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const auto& source = env_.sources[static_cast<std::size_t>(source_)];
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) {
      fail(std::string("bind source address: ") + std::strerror(errno));
      return false;
    }
  }
  if (!env_.loop->add(fd_, this, EPOLLIN | EPOLLOUT)) {
    fail(std::string("epoll: ") + std::strerror(errno));
    return false;
  }
  watching_write_ = true;
  int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&target.address), target.length);
  if (rc != 0 && errno != EINPROGRESS) {
    fail(std::string("connect: ") + std::strerror(errno));
    return false;
  }
  // Even an immediate success is finished from on_io, so that every
  // connection goes the same way.
  return true;
}

void xmpp_client::on_io(std::uint32_t events) {
  if (fd_ < 0)
    return;
  if (state_ == state::tcp_connecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0)
      finish_connect();
    return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0)
    read_socket();
  if (fd_ >= 0 && (events & EPOLLOUT) != 0)
    flush();
}

void xmpp_client::finish_connect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    err = errno;
  if (err != 0) {
    fail(std::string("connect: ") + std::strerror(err));
    return;
  }
  times_.tcp_done = bench_clock::now();
  if (env_.options->direct_tls) {
    begin_tls();
  } else {
    state_ = state::stream_plain;
    open_stream();
  }
  flush();
}

void xmpp_client::begin_tls() {
  // SNI carries the XMPP domain, as real clients send it; the certificate is
  // not checked (the context has verification off).
  tls_.emplace(env_.tls->new_session(env_.options->domain));
  if (tls_->failed()) {
    fail("tls: " + tls_->error());
    return;
  }
  tls_->take_ciphertext(out_);
  state_ = state::stream_secure;
  // Held by the session until the handshake completes, then sent with the
  // client's Finished: saves a wake-up per connection.
  open_stream();
}

void xmpp_client::open_stream() {
  std::string header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams' to='";
  header += env_.options->domain; // checked by parse_options: no quotes or markup
  header += "' version='1.0' xml:lang='en'>";
  send_plaintext(header);
}

void xmpp_client::read_socket() {
  char buf[16384];
  // Level-triggered: a busy connection yields after a few reads so that the
  // others on this thread get their turn.
  for (int round = 0; round < 8 && fd_ >= 0; ++round) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      take_bytes(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buf)
        break;
      continue;
    }
    if (n == 0) {
      if (state_ == state::closing)
        end(state::closed);
      else
        fail(std::string("server closed the connection during ") + state_name(state_));
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      fail(std::string("recv: ") + std::strerror(errno));
    break;
  }
  if (fd_ >= 0)
    flush();
}

void xmpp_client::take_bytes(const char* data, std::size_t size) {
  std::string plain;
  bool peer_closed = false;
  if (tls_) {
    bool ok = tls_->feed_ciphertext(data, size) && tls_->read_plaintext(plain);
    tls_->take_ciphertext(out_); // even on failure: the alert tells the server why
    if (!ok) {
      flush();
      fail("tls: " + tls_->error());
      return;
    }
    if (!tls_timed_ && tls_->handshake_done()) {
      tls_timed_ = true;
      times_.tls_done = bench_clock::now();
    }
    peer_closed = tls_->peer_closed();
    data = plain.data();
    size = plain.size();
  }
  if (size > 0) {
    stream_.feed(data, size);
    while (!ended()) {
      auto event = stream_.next();
      if (!event)
        break;
      if (const auto* el = std::get_if<element>(&*event)) {
        handle(*el);
      } else if (std::holds_alternative<xmpp::stream_close>(*event)) {
        if (state_ == state::closing)
          end(state::closed);
        else
          fail(std::string("server closed its stream during ") + state_name(state_));
      } else if (const auto* err = std::get_if<xmpp::stream_error>(&*event)) {
        fail("unparsable XML from server: " + err->condition + " (" + err->text + ")");
      }
    }
  }
  if (peer_closed && !ended()) {
    if (state_ == state::closing)
      end(state::closed);
    else
      fail(std::string("server ended TLS during ") + state_name(state_));
  }
}

void xmpp_client::handle(const element& el) {
  if (is(el, "error", xmpp::ns_streams)) {
    fail("stream error: " + first_child_name(el));
    return;
  }
  const bool features = is(el, "features", xmpp::ns_streams);
  switch (state_) {
    case state::stream_plain:
      if (!features)
        return;
      if (el.child("starttls", ns_tls) == nullptr) {
        // Never authenticate in the clear.
        fail("server offers no STARTTLS");
        return;
      }
      send_plaintext(xmpp::to_xml(element{"starttls", std::string{ns_tls}}));
      state_ = state::starttls_sent;
      return;
    case state::starttls_sent:
      if (is(el, "proceed", ns_tls)) {
        // RFC 6120 §5.4.3.3: the old stream is gone, TLS starts on the next byte.
        stream_.restart();
        begin_tls();
      } else if (is(el, "failure", ns_tls)) {
        fail("starttls: server sent <failure/>");
      }
      return;
    case state::stream_secure:
      if (features)
        handle_features(el);
      return;
    case state::registering:
    case state::binding:
    case state::session_iq:
      if (el.name() == "iq")
        handle_iq_during_login(el);
      return;
    case state::authenticating:
      handle_sasl(el);
      return;
    case state::stream_authed:
      if (!features)
        return;
      if (el.child("bind", ns_bind) == nullptr) {
        fail("server offers no resource binding");
        return;
      } else {
        element iq{"iq", std::string{xmpp::ns_client}};
        iq.set_attr("type", "set");
        iq.set_attr("id", "bind");
        iq.add_child("bind", std::string{ns_bind}).add_child("resource").add_text("bench");
        send_plaintext(xmpp::to_xml(iq));
        state_ = state::binding;
      }
      return;
    case state::ready:
      if (el.name() == "iq" && (el.attr("type") == "get" || el.attr("type") == "set"))
        answer_request(el);
      else
        observer_.on_stanza(*this, el);
      return;
    default:
      return;
  }
}

void xmpp_client::handle_features(const element& features) {
  offered_mechanisms_.clear();
  if (const element* mechs = features.child("mechanisms", ns_sasl))
    for (const auto& node : mechs->children())
      if (const auto* m = std::get_if<element>(&node))
        if (m->name() == "mechanism")
          offered_mechanisms_.push_back(m->text());
  if (env_.options->register_first && !registered_) {
    // Sent whether or not the features advertise XEP-0077: a server without
    // it answers with an error, which names the reason in the report.
    element iq{"iq", std::string{xmpp::ns_client}};
    iq.set_attr("type", "set");
    iq.set_attr("id", "reg");
    auto& query = iq.add_child("query", std::string{ns_register});
    query.add_child("username").add_text(localpart_);
    query.add_child("password").add_text(env_.options->password);
    send_plaintext(xmpp::to_xml(iq));
    registration_started_ = bench_clock::now();
    state_ = state::registering;
    return;
  }
  start_auth();
}

void xmpp_client::start_auth() {
  mechanism_ = pick_mechanism(env_.options->mechanism, offered_mechanisms_);
  if (mechanism_.empty()) {
    std::string offered;
    for (const auto& m : offered_mechanisms_)
      offered += (offered.empty() ? "" : " ") + m;
    fail("sasl: no usable mechanism (server offers: " + (offered.empty() ? "none" : offered) + ")");
    return;
  }
  sasl_ = std::make_unique<sasl_client>(*env_.sasl, mechanism_, localpart_, env_.options->password,
                                        env_.keys);
  std::string initial = sasl_->error().empty() ? sasl_->initial_response() : std::string{};
  if (initial.empty()) {
    fail("sasl: " + sasl_->error());
    return;
  }
  element auth{"auth", std::string{ns_sasl}};
  auth.set_attr("mechanism", mechanism_);
  auth.add_text(initial);
  send_plaintext(xmpp::to_xml(auth));
  state_ = state::authenticating;
}

void xmpp_client::handle_sasl(const element& el) {
  if (el.xmlns() != ns_sasl)
    return;
  if (el.name() == "challenge") {
    std::string response;
    if (!sasl_->respond(el.text(), response)) {
      fail("sasl: " + sasl_->error());
      return;
    }
    element out{"response", std::string{ns_sasl}};
    out.add_text(response);
    send_plaintext(xmpp::to_xml(out));
  } else if (el.name() == "success") {
    if (!sasl_->verify_success(el.text())) {
      fail("sasl: " + sasl_->error());
      return;
    }
    times_.auth_done = bench_clock::now();
    key_source_ = sasl_->key_source();
    sasl_.reset();
    // RFC 6120 §6.4.6: both sides start a new stream over the same TLS.
    stream_.restart();
    state_ = state::stream_authed;
    open_stream();
  } else if (el.name() == "failure") {
    fail("sasl: " + first_child_name(el, ns_sasl));
  }
}

void xmpp_client::handle_iq_during_login(const element& iq) {
  const auto type = iq.attr("type");
  if (type == "get" || type == "set") {
    answer_request(iq);
    return;
  }
  const auto id = iq.attr("id");
  if (state_ == state::registering && id == "reg") {
    // An account left by an earlier run is as good as a new one.
    if (type == "result" || stanza_error_condition(iq) == "conflict") {
      registered_ = true;
      times_.registration = bench_clock::now() - registration_started_;
      start_auth();
    } else {
      fail("register: " + stanza_error_condition(iq));
    }
  } else if (state_ == state::binding && id == "bind") {
    if (type != "result") {
      fail("bind: " + stanza_error_condition(iq));
      return;
    }
    const element* bind = iq.child("bind", ns_bind);
    const element* jid = bind != nullptr ? bind->child("jid") : nullptr;
    full_jid_ = jid != nullptr ? jid->text() : bare_jid_ + "/bench";
    times_.bound = bench_clock::now();
    if (env_.options->legacy_session) {
      // RFC 3921 §3: sent whether or not the features list <session/>, as
      // tsung does; RFC 6121 servers answer it with an empty result.
      element session{"iq", std::string{xmpp::ns_client}};
      session.set_attr("type", "set");
      session.set_attr("id", "sess");
      session.add_child("session", std::string{ns_session});
      send_plaintext(xmpp::to_xml(session));
      state_ = state::session_iq;
      return;
    }
    become_ready();
  } else if (state_ == state::session_iq && id == "sess") {
    if (type != "result") {
      fail("session: " + stanza_error_condition(iq));
      return;
    }
    become_ready();
  }
}

void xmpp_client::become_ready() {
  times_.ready = bench_clock::now();
  // RFC 6121 §4.2: without initial presence a server stores messages to
  // the bare JID offline instead of delivering them.
  send_plaintext("<presence/>");
  state_ = state::ready;
  observer_.on_ready(*this);
}

void xmpp_client::answer_request(const element& iq) {
  // RFC 6120 §8.2.3: every request gets an answer; this client offers nothing.
  element reply{"iq", std::string{xmpp::ns_client}};
  reply.set_attr("type", "error");
  reply.set_attr("id", iq.attr("id"));
  if (iq.has_attr("from"))
    reply.set_attr("to", iq.attr("from"));
  auto& error = reply.add_child("error");
  error.set_attr("type", "cancel");
  error.add_child("service-unavailable", std::string{ns_stanzas});
  send_plaintext(xmpp::to_xml(reply));
}

void xmpp_client::send(const element& stanza) {
  if (state_ != state::ready)
    return;
  send_plaintext(xmpp::to_xml(stanza));
  flush();
}

void xmpp_client::close() {
  if (ended())
    return;
  if (state_ != state::ready) {
    abort();
    return;
  }
  send_plaintext(xmpp::stream_footer());
  if (tls_ && !ended() && tls_->shutdown())
    tls_->take_ciphertext(out_);
  if (ended())
    return;
  state_ = state::closing;
  flush();
}

void xmpp_client::abort() {
  if (!ended())
    end(state::closed);
}

void xmpp_client::check_login_deadline(bench_clock::time_point now,
                                       bench_clock::time_point deadline) {
  if (logging_in() && now > deadline)
    fail(std::string("timeout during ") + state_name(state_));
}

void xmpp_client::send_plaintext(std::string_view bytes) {
  if (tls_) {
    if (!tls_->write_plaintext(bytes)) {
      fail("tls: " + tls_->error());
      return;
    }
    tls_->take_ciphertext(out_);
  } else {
    out_.append(bytes);
  }
}

void xmpp_client::flush() {
  while (fd_ >= 0 && out_sent_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      watch(true);
      return;
    }
    fail(std::string("send: ") + std::strerror(errno));
    return;
  }
  out_.clear();
  out_sent_ = 0;
  watch(false);
}

void xmpp_client::watch(bool want_write) {
  if (fd_ < 0 || want_write == watching_write_)
    return;
  watching_write_ = want_write;
  env_.loop->modify(fd_, this, EPOLLIN | (want_write ? EPOLLOUT : 0u));
}

void xmpp_client::fail(std::string reason) {
  if (ended())
    return;
  end(state::failed);
  observer_.on_failed(*this, reason);
}

void xmpp_client::end(state final_state) {
  if (fd_ >= 0) {
    env_.loop->remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  state_ = final_state;
  sasl_.reset();
  out_.clear();
  out_sent_ = 0;
}

} // namespace irsp::bench
