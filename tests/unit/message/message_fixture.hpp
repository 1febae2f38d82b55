// One node's message server in one actor system, with real RocksDB stores in
// a temp dir and scoped actors as sessions: no sockets.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <map>
#include <mutex>

#include "actors/account/account_server.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/binding_store.hpp"
#include "actors/account/messages.hpp"
#include "actors/app/app_host.hpp"
#include "actors/app/echo_app.hpp"
#include "actors/atoms.hpp"
#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"
#include "actors/lifecycle/lifecycle_writer.hpp"
#include "actors/message/exchanges.hpp"
#include "actors/message/router.hpp"
#include "actors/offline/offline_module.hpp"
#include "actors/offline/offline_queue.hpp"
#include "actors/offline/offline_store.hpp"
#include "failing_fs.hpp"
#include "temp_dir.hpp"

namespace irsp::test {

/// Tells a test session's host which session it opened (see session_of).
using opened_atom = caf::atom_constant<caf::atom("opened")>;
/// Tells it that a session ended (see close).
using fixture_closed_atom = caf::atom_constant<caf::atom("fxclosed")>;

using namespace std::chrono_literals;
using namespace irsp::message;

/// Fails the test if `self` receives nothing matching within 10 s.
template <class... Fs>
void expect(caf::scoped_actor& self, Fs... fs) {
  self->receive(fs..., caf::after(std::chrono::seconds(10)) >> [] { FAIL("no message in 10 s"); });
}

/// Ask-and-wait for one reply.
template <class Response, class... Ts>
Response ask(caf::scoped_actor& self, const caf::actor& dest, Ts&&... xs) {
  Response out{};
  self->request(dest, std::chrono::seconds(10), std::forward<Ts>(xs)...)
    .receive([&](Response& r) { out = std::move(r); },
             [&](caf::error& e) { FAIL(self->system().render(e)); });
  return out;
}

/// A node's worth of stores and actors; can be torn down and built again on
/// the same directory to test what survives a restart.
struct message_fixture {
  temp_dir dir;
  failing_env faults; ///< the account store's disk (offline queues included)
  account::store_options account_options;
  offline::offline_options offline_opts;
  std::chrono::milliseconds idle_timeout{30000};

  std::shared_ptr<account::account_store> accounts;
  std::shared_ptr<offline::offline_store> offline_store;
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<lifecycle::lifecycle_store> stream;
  caf::actor account_server, offline_queue, lifecycle_writer, router;

  message_fixture() {
    account_options.path = dir / "accounts";
    account_options.scram_iterations = 16;
    account_options.env = faults.env.get();
    account_options.recovery_interval = std::chrono::milliseconds(0);
    offline_opts.max_per_account = 5;
  }

  ~message_fixture() { stop(); }

  void start() {
    std::string error;
    accounts = account::account_store::open(account_options, error);
    REQUIRE(accounts);
    offline_store = std::make_shared<offline::offline_store>(accounts, offline_opts);
    cfg = std::make_unique<caf::actor_system_config>();
    sys = std::make_unique<caf::actor_system>(*cfg);
    stream = std::make_shared<lifecycle::lifecycle_store>(accounts);
    account_server = account::spawn_account_server(*sys, accounts, 2, stream);
    lifecycle_writer = lifecycle::spawn_lifecycle_writer(*sys, stream);
    offline_queue = offline::spawn_offline_queue(*sys, offline_store);
    router_config rc;
    rc.domain = "localhost";
    rc.accounts = account_server;
    rc.modules = {offline::make_offline_module(offline_queue)};
    rc.lifecycle = lifecycle_writer;
    rc.max_payload = 1024;
    rc.idle_timeout = idle_timeout;
    router = spawn_router(*sys, rc);
  }

  void stop() {
    if (!sys)
      return;
    for (auto& a : {router, offline_queue, lifecycle_writer, account_server})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& a : apps)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& [session, host] : hosts)
      caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
    hosts.clear();
    apps.clear();
    router = offline_queue = lifecycle_writer = account_server = nullptr;
    stream.reset();
    sys.reset();
    cfg.reset();
    offline_store.reset();
    accounts.reset();
  }

  /// Registers and starts an application.
  caf::actor add_app(const std::string& name, std::shared_ptr<application> handler,
                     subscription s = {}) {
    auto host = app::spawn_app_host(*sys, name, std::move(handler), router);
    caf::scoped_actor self{*sys};
    REQUIRE(ask<bool>(self, router, app_atom::value, name, host, std::move(s)));
    apps.push_back(host);
    return host;
  }

  /// How many transitions of `address` the lifecycle stream holds, once
  /// every append sent to the writer so far is written (it answers in order:
  /// an epoch asked now comes back after them).
  std::size_t stored_transitions(const std::string& address) {
    caf::scoped_actor self{*sys};
    ask<std::uint64_t>(self, lifecycle_writer, lifecycle::epoch_atom::value,
                       std::string{"barrier@localhost"});
    std::vector<presence_event> all;
    REQUIRE(stream->read(0, 1u << 20, all));
    return static_cast<std::size_t>(std::count_if(
      all.begin(), all.end(), [&](const presence_event& ev) { return ev.address == address; }));
  }

  /// Registers an application fed from the lifecycle stream (issue 15):
  /// after `from_cursor`, or after its last acknowledgement when 0.
  caf::actor add_durable_app(const std::string& name, std::shared_ptr<application> handler,
                             std::vector<std::string> devices, std::uint64_t from_cursor = 0) {
    app::durable_feed feed{account_server, name, from_cursor, false, devices};
    auto host = app::spawn_app_host(*sys, name, std::move(handler), router,
                                    app::default_max_backlog, feed);
    caf::scoped_actor self{*sys};
    REQUIRE(ask<bool>(self, router, app_atom::value, name, host,
                      subscription{false, std::move(devices)}));
    apps.push_back(host);
    return host;
  }

  std::string user(const std::string& name) {
    account::register_request r;
    r.name = name;
    r.password = "long enough";
    auto resp = accounts->register_account(r);
    REQUIRE(resp.status == account::register_status::OK);
    return resp.address;
  }

  /// Registers a device; returns {address, verification code}.
  std::pair<std::string, std::string> device(const std::string& name) {
    account::register_request r;
    r.name = name;
    r.kind = account::account_kind::DEVICE;
    r.password = "long enough";
    r.device = {"M", "Acme", "1"};
    auto resp = accounts->register_account(r);
    REQUIRE(resp.status == account::register_status::OK);
    return {resp.address, resp.verification_code};
  }

  /// The session that `session` plays: a host actor that hands what it
  /// gets for the session to `session` without the session id (so tests
  /// receive `delivery`, `presence_event`, ... as they are), and, like a
  /// connection's host, ends the sessions opened through it (close_atom to
  /// their user/device actors) when `session` terminates.
  session_ref session_of(caf::scoped_actor& session) {
    std::lock_guard<std::mutex> guard{hosts_mutex};
    auto& host = hosts[session->address()];
    if (!host) {
      auto target = caf::actor_cast<caf::actor>(session);
      host = sys->spawn([target](caf::event_based_actor* self) -> caf::behavior {
        self->set_default_handler(
          [target](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
            auto msg = x.move_content_to_message();
            if (msg.size() > 1 && msg.match_element<std::uint64_t>(0))
              caf::anon_send(target, msg.drop(1));
            return caf::message{};
          });
        auto opened = std::make_shared<std::vector<std::pair<caf::actor, std::string>>>();
        self->monitor(target);
        self->set_down_handler([self, opened](caf::down_msg&) {
          for (auto& [principal, resource] : *opened)
            self->send(principal, close_atom::value, resource,
                       session_ref{caf::actor_cast<caf::actor>(self), 1});
          self->quit();
        });
        return {[opened](opened_atom, const caf::actor& principal, const std::string& resource) {
                  opened->emplace_back(principal, resource);
                },
                [opened](fixture_closed_atom, const caf::actor& principal, const std::string& resource) {
                  // Forgotten, so that the fixture keeps no account's actor alive.
                  auto& v = *opened;
                  v.erase(std::remove(v.begin(), v.end(), std::make_pair(principal, resource)),
                          v.end());
                }};
      });
    }
    return {host, 1};
  }

  /// Opens a session of `address` for `session`; returns the reply.
  session_opened open(caf::scoped_actor& session, const std::string& address,
                      const std::string& resource = "r1") {
    auto ref = session_of(session);
    auto out = ask<session_opened>(session, router, open_atom::value, address, resource, ref);
    if (out.principal)
      caf::anon_send(ref.host, opened_atom::value, out.principal, resource);
    return out;
  }

  /// Ends the session of `resource` that `session` opened, as a connection
  /// does: straight to the account's actor.
  void close(caf::scoped_actor& session, const caf::actor& principal,
             const std::string& resource = "r1") {
    auto ref = session_of(session);
    session->send(principal, close_atom::value, resource, ref);
    caf::anon_send(ref.host, fixture_closed_atom::value, principal, resource);
  }

  bind_status bind(caf::scoped_actor& self, const std::string& user, const std::string& device,
                   const std::string& code) {
    return ask<bind_status>(self, router, account::bind_request{user, device, code});
  }

  std::vector<caf::actor> apps;
  std::mutex hosts_mutex;
  std::map<caf::actor_addr, caf::actor> hosts;
};

} // namespace irsp::test
