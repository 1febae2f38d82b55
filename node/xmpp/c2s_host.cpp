// RFC 6120 client connections of one I/O thread, and the actor they share.
#include "node/xmpp/c2s_host.hpp"

#include <algorithm>
#include <caf/all.hpp>

#include "actors/atoms.hpp"
#include "node/xmpp/c2s_connection.hpp"

namespace irsp::xmpp {

c2s_host::c2s_host(caf::actor_system& system, net::io_loop& loop,
                   std::shared_ptr<const c2s_config> config, c2s_shared& shared)
  : loop_(loop), config_(std::move(config)), shared_(shared), context_(&system) {
  companion_ = system.spawn<io_companion>();
  auto* companion = self();
  // Called on the sender's thread: only queue, and wake the I/O thread once
  // per batch; the I/O thread runs the companion.
  companion->on_enqueue([this](caf::mailbox_element_ptr element) {
    bool first = false;
    {
      std::lock_guard<std::mutex> guard{mailbox_mutex_};
      first = mailbox_.empty();
      mailbox_.push_back(std::move(element));
    }
    if (first)
      loop_.post([this] { drain_mailbox(); });
  });
  // What nobody asked for (the result of a plain send, an error reply to
  // one) is dropped: CAF's defaults would answer it with an error that
  // makes the other actor quit, or make this one quit.
  companion->set_default_handler(caf::drop);
  companion->set_error_handler([](caf::error&) {});
  companion->set_down_handler([this](caf::down_msg& dm) {
    auto i = watched_.find(dm.source);
    if (i == watched_.end())
      return;
    auto ids = std::move(i->second);
    watched_.erase(i);
    for (auto id : ids)
      if (auto* c = find(id))
        c->principal_lost(dm.source);
  });
  auto session = [this](std::uint64_t id) { on_session_message(id); };
  companion->become(
    [session](std::uint64_t id, const message::delivery&) { session(id); },
    [session](std::uint64_t id, const message::presence_event&) { session(id); },
    [session](std::uint64_t id, bound_atom, const std::string&) { session(id); },
    [session](std::uint64_t id, unbound_atom, const std::string&) { session(id); },
    [session](std::uint64_t id, close_atom, const std::string&) { session(id); },
    [session](std::uint64_t id, gone_atom) { session(id); },
    [session](std::uint64_t id, sm_forward_atom, const std::string&) { session(id); },
    [session](std::uint64_t id, sm_done_atom) { session(id); },
    [this](sm_takeover_atom, std::uint64_t id, const std::string& address, std::uint32_t h,
           const message::session_ref& successor) -> caf::result<sm_state> {
      auto* c = find(id);
      if (c == nullptr)
        return caf::make_error(caf::sec::invalid_argument);
      auto state = c->hand_over(address, h, successor);
      if (!state)
        return std::move(state.error());
      return std::move(*state);
    });
}

c2s_host::~c2s_host() {
  disconnect();
  // The loop has stopped: what is left is destroyed on this thread.
  connections_.clear();
  retired_.clear();
}

caf::actor c2s_host::handle() const {
  return companion_;
}

io_companion* c2s_host::self() const {
  return static_cast<io_companion*>(caf::actor_cast<caf::abstract_actor*>(companion_));
}

void c2s_host::disconnect() {
  if (companion_) {
    // CAF 0.17 declares actor_companion::disconnect but does not define it;
    // this is what it would do: drop what still arrives, then terminate
    // (which tells every user/device actor watching this host).
    auto* companion = self();
    companion->on_enqueue([](caf::mailbox_element_ptr) {});
    companion->cleanup(caf::make_error(caf::exit_reason::user_shutdown), &context_);
    companion_ = nullptr;
  }
}

void c2s_host::drain_mailbox() {
  {
    std::lock_guard<std::mutex> guard{mailbox_mutex_};
    draining_.swap(mailbox_);
  }
  auto* companion = self();
  for (auto& element : draining_)
    if (companion)
      companion->activate(&context_, *element);
  draining_.clear();
  if (draining_.capacity() > 256)
    std::vector<caf::mailbox_element_ptr>{}.swap(draining_);
}

void c2s_host::on_session_message(std::uint64_t id) {
  auto* c = find(id);
  if (c == nullptr)
    return; // the session ended while this was on its way
  auto* element = self()->current_mailbox_element();
  c->on_session_message(element->move_content_to_message(), element->sender);
}

void c2s_host::watch(const caf::actor& principal, std::uint64_t id) {
  if (!principal)
    return;
  auto& ids = watched_[principal.address()];
  if (ids.empty())
    self()->monitor(principal);
  // Connections of a long-lived actor come and go: drop the ended ones.
  if (ids.size() >= 8)
    ids.erase(std::remove_if(ids.begin(), ids.end(), [this](std::uint64_t x) { return !find(x); }),
              ids.end());
  ids.push_back(id);
}

void c2s_host::adopt(net::accepted connection, bool direct_tls) {
  load_.fetch_add(1, std::memory_order_relaxed);
  loop_.post([this, connection = std::move(connection), direct_tls]() mutable {
    auto id = shared_.next_id.fetch_add(1, std::memory_order_relaxed);
    auto c = std::make_unique<c2s_connection>(*this, id, std::move(connection), direct_tls);
    auto* raw = c.get();
    connections_.emplace(id, std::move(c));
    if (on_empty_) {
      // Accepted just before the node began to stop.
      raw->shutdown();
      return;
    }
    raw->start();
  });
}

c2s_connection* c2s_host::find(std::uint64_t id) const {
  auto i = connections_.find(id);
  return i == connections_.end() ? nullptr : i->second.get();
}

void c2s_host::retire(std::uint64_t id) {
  auto i = connections_.find(id);
  if (i == connections_.end())
    return;
  bool first = retired_.empty();
  retired_.push_back(std::move(i->second));
  connections_.erase(i);
  load_.fetch_sub(1, std::memory_order_relaxed);
  auto open = shared_.connections.fetch_sub(1, std::memory_order_relaxed) - 1;
  if (shared_.memory.closed(open))
    release_memory();
  if (first)
    loop_.post([this] {
      retired_.clear();
      maybe_done();
    });
}

// Soon after many sessions closed, their objects are gone; the account
// actors they used follow after their idle time. malloc_trim walks every
// heap, so it runs on the work pool, not on an I/O thread.
void c2s_host::release_memory() {
  loop_.after(std::chrono::seconds(5), [this] {
    shared_.pool->submit([] { net::memory_release::release(); });
    loop_.after(config_->account_idle + std::chrono::seconds(5), [this] {
      shared_.pool->submit([shared = &shared_] {
        net::memory_release::release();
        shared->memory.released(shared->connections.load(std::memory_order_relaxed));
      });
    });
  });
}

void c2s_host::shutdown(std::function<void()> done) {
  loop_.post([this, done = std::move(done)]() mutable {
    on_empty_ = std::move(done);
    std::vector<c2s_connection*> all;
    all.reserve(connections_.size());
    for (auto& [id, c] : connections_)
      all.push_back(c.get());
    for (auto* c : all)
      c->shutdown();
    maybe_done();
  });
}

void c2s_host::maybe_done() {
  if (on_empty_ && connections_.empty() && retired_.empty()) {
    auto done = std::move(on_empty_);
    on_empty_ = [] {}; // stays set: connections accepted from now on are refused
    done();
  }
}

} // namespace irsp::xmpp
