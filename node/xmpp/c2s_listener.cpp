// RFC 6120 §3, XEP-0368: the client listeners.
#include "node/xmpp/c2s_listener.hpp"

#include <fstream>
#include <iterator>
#include <unordered_set>

#include "actors/account/credentials.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

namespace irsp::xmpp {

namespace {

struct listener_state {
  std::shared_ptr<const c2s_config> cfg;
  bool direct_tls = false;
  std::unordered_set<caf::actor> connections;
  bool stopping = false;

  static inline const char* name = "irsp.c2s-listener";
};

using listener_actor = caf::io::stateful_broker<listener_state>;

caf::behavior listener_fn(listener_actor* self, caf::io::doorman_ptr doorman,
                          std::shared_ptr<const c2s_config> cfg, bool direct_tls) {
  self->state.cfg = std::move(cfg);
  self->state.direct_tls = direct_tls;
  self->add_doorman(std::move(doorman));
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    st.connections.erase(caf::actor_cast<caf::actor>(dm.source));
    if (st.stopping && st.connections.empty())
      self->quit();
  });
  self->set_exit_handler([self](caf::exit_msg&) {
    // Stop accepting, then let every stream end with system-shutdown.
    auto& st = self->state;
    st.stopping = true;
    self->close_all();
    if (st.connections.empty())
      return self->quit();
    for (const auto& c : st.connections)
      self->send(c, c2s_shutdown_atom::value);
  });
  return {
    [self](caf::io::new_connection_msg& msg) {
      auto& st = self->state;
      if (st.stopping)
        return;
      auto c = fork_c2s_connection(self, msg.handle, st.cfg, st.direct_tls);
      self->monitor(c);
      st.connections.insert(std::move(c));
    },
    [self](caf::io::acceptor_closed_msg&) {
      // The listening socket failed; what was accepted carries on, and the
      // listener goes with the last of it.
      self->state.stopping = true;
      if (self->state.connections.empty())
        self->quit();
    },
  };
}

} // namespace

caf::expected<caf::actor> spawn_c2s_listener(caf::actor_system& system,
                                             std::shared_ptr<const c2s_config> config,
                                             const std::string& address, std::uint16_t& port,
                                             bool direct_tls) {
  auto& mm = system.middleman();
  auto doorman = mm.backend().new_tcp_doorman(port, address.c_str(), true);
  if (!doorman)
    return doorman.error();
  port = (*doorman)->port();
  return mm.spawn_broker(listener_fn, std::move(*doorman), std::move(config), direct_tls);
}

std::optional<c2s_listeners> start_c2s(caf::actor_system& system, c2s_config config,
                                       const c2s_start_options& options, std::string& error) {
  tls::server_options so;
  so.cert_file = options.cert_file;
  so.key_file = options.key_file;
  so.alpn = {"xmpp-client"}; // XEP-0368
  auto context = tls::server_context::create(so, error);
  if (!context)
    return std::nullopt;
  config.tls = std::make_shared<const tls::server_context>(std::move(*context));
  if (config.settings.fake_salt_key.empty()) {
    // Secret and stable: the node's own private key, hashed.
    std::ifstream in{options.key_file, std::ios::binary};
    std::string pem{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    config.settings.fake_salt_key =
      account::scram_digest(account::scram_hash::sha256, "irsp fake salt key\n" + pem);
  }
  if (!config.resumables)
    config.resumables = std::make_shared<c2s_resumables>();
  auto shared = std::make_shared<const c2s_config>(std::move(config));
  c2s_listeners out;
  out.port = options.port;
  out.tls_port = options.tls_port;
  auto cannot_listen = [&](std::uint16_t port, const caf::error& e) {
    // CAF says which step failed, not why: a taken port is the usual cause.
    const auto& ctx = e.context();
    auto what = !ctx.empty() && ctx.match_element<std::string>(0) ? ctx.get_as<std::string>(0)
                                                                   : system.render(e);
    error = "cannot listen on " + options.address + ":" + std::to_string(port) + ": " + what
            + " (is the port in use, or the address not local?)";
  };
  auto plain = spawn_c2s_listener(system, shared, options.address, out.port, false);
  if (!plain) {
    cannot_listen(options.port, plain.error());
    return std::nullopt;
  }
  auto direct = spawn_c2s_listener(system, shared, options.address, out.tls_port, true);
  if (!direct) {
    caf::anon_send_exit(*plain, caf::exit_reason::user_shutdown);
    cannot_listen(options.tls_port, direct.error());
    return std::nullopt;
  }
  out.starttls = std::move(*plain);
  out.direct_tls = std::move(*direct);
  return out;
}

void stop_c2s(caf::actor_system& system, c2s_listeners& listeners) {
  caf::scoped_actor self{system};
  for (auto* l : {&listeners.starttls, &listeners.direct_tls})
    if (*l) {
      self->send_exit(*l, caf::exit_reason::user_shutdown);
      self->wait_for(*l);
      *l = nullptr;
    }
}

} // namespace irsp::xmpp
