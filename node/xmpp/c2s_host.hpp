// RFC 6120 client connections of one I/O thread, and the actor they share.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_companion.hpp>
#include <caf/atom.hpp>
#include <caf/extend.hpp>
#include <caf/mixin/requester.hpp>
#include <caf/scoped_execution_unit.hpp>

#include "actors/message/exchanges.hpp"
#include "node/net/io_loop.hpp"
#include "node/net/memory_release.hpp"
#include "node/net/tcp_listener.hpp"
#include "node/net/work_pool.hpp"
#include "node/xmpp/c2s_config.hpp"

namespace irsp::xmpp {

class c2s_connection;

/// XEP-0198 between connections (any I/O thread of the node): the
/// successor asks the holder for the session, (sm_takeover_atom, id,
/// address, h, successor) -> sm_state; the holder passes on a stanza it
/// still sent, (id, sm_forward_atom, xml); and says when the user/device
/// actor has switched to the successor, (id, sm_done_atom).
using sm_takeover_atom = caf::atom_constant<caf::atom("smtakeover")>;
using sm_forward_atom = caf::atom_constant<caf::atom("smforward")>;
using sm_done_atom = caf::atom_constant<caf::atom("smdone")>;

/// CAF's actor companion (an actor whose mailbox a foreign event loop
/// empties), able to make requests as well as send: the connections of an
/// I/O thread ask the account server and the router through it.
class io_companion : public caf::extend<caf::actor_companion, io_companion>::with<
                       caf::mixin::requester> {
public:
  using extended_base::extended_base;
  using signatures = caf::none_t;
  using behavior_type = caf::behavior;
};

/// What the hosts of one node share: the work pool and the counts that
/// admission control and session ids need.
struct c2s_shared {
  /// TLS handshakes and password hashing.
  std::unique_ptr<net::work_pool> pool;
  /// Next session id; ids are unique on the node.
  std::atomic<std::uint64_t> next_id{1};
  /// Connections between accept and a bound session, node-wide.
  std::atomic<std::size_t> logins{0};
  /// Connections open, node-wide.
  std::atomic<std::size_t> connections{0};
  /// When to give the memory of closed connections back to the system.
  net::memory_release memory;
};

/// The client connections served by one I/O thread. An actor companion
/// stands for all of them towards the actors of the node: user/device
/// actors address a session as (this host's actor, session id), requests
/// made for a connection are the companion's, and its mailbox is emptied on
/// the I/O thread, so a connection is only ever touched by its own thread
/// (and, while it is suspended, by one job of the work pool).
class c2s_host {
public:
  /// A host on `loop`, whose thread must not be running handlers yet.
  c2s_host(caf::actor_system& system, net::io_loop& loop,
           std::shared_ptr<const c2s_config> config, c2s_shared& shared);
  ~c2s_host();

  c2s_host(const c2s_host&) = delete;
  c2s_host& operator=(const c2s_host&) = delete;

  // -- any thread ------------------------------------------------------------------

  /// The actor that stands for this host's sessions.
  caf::actor handle() const;

  /// Hands a just-accepted connection to this host (posted to its thread).
  void adopt(net::accepted connection, bool direct_tls);

  /// Ends every stream of this host with `system-shutdown` and calls `done`
  /// (on the I/O thread) once the last connection is gone.
  void shutdown(std::function<void()> done);

  /// Connections this host holds (approximate, for spreading new ones).
  std::size_t load() const noexcept {
    return load_.load(std::memory_order_relaxed);
  }

  /// Terminates the companion; after the loop has stopped.
  void disconnect();

  // -- the I/O thread ------------------------------------------------------------------

  /// The companion, for requests made on behalf of a connection; their
  /// handlers run on the I/O thread.
  io_companion* self() const;

  /// The I/O thread's loop.
  net::io_loop& loop() const noexcept {
    return loop_;
  }

  /// The node's settings.
  const c2s_config& config() const noexcept {
    return *config_;
  }

  /// Shared by the node's hosts.
  c2s_shared& shared() const noexcept {
    return shared_;
  }

  /// The connection with session id `id`, or null when it is gone.
  c2s_connection* find(std::uint64_t id) const;

  /// Tells connection `id` when `principal` (its account's actor) goes.
  void watch(const caf::actor& principal, std::uint64_t id);

  /// Removes a connection that has ended; it is destroyed after the current
  /// event, so the caller may still return through it.
  void retire(std::uint64_t id);

  /// A buffer for one event's bytes, reused by every connection.
  std::string& scratch() noexcept {
    return scratch_;
  }

private:
  void drain_mailbox();
  void on_session_message(std::uint64_t id);
  void maybe_done();
  void release_memory();

  net::io_loop& loop_;
  std::shared_ptr<const c2s_config> config_;
  c2s_shared& shared_;
  caf::actor companion_;
  caf::scoped_execution_unit context_;

  // Messages the companion got, waiting for the I/O thread.
  std::mutex mailbox_mutex_;
  std::vector<caf::mailbox_element_ptr> mailbox_;
  std::vector<caf::mailbox_element_ptr> draining_;

  std::unordered_map<std::uint64_t, std::unique_ptr<c2s_connection>> connections_;
  // The account actors watched, and the connections that each one serves.
  std::unordered_map<caf::actor_addr, std::vector<std::uint64_t>> watched_;
  std::vector<std::unique_ptr<c2s_connection>> retired_;
  std::atomic<std::size_t> load_{0};
  std::function<void()> on_empty_; // set by shutdown()
  std::string scratch_;
};

} // namespace irsp::xmpp
