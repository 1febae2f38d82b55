// Offline delivery on the hook points of the user/device actors.
#include "actors/offline/offline_module.hpp"

#include <caf/all.hpp>

#include "actors/atoms.hpp"
#include "actors/storage_errors.hpp"

namespace irsp::offline {

namespace {

using principal::kept_status;

class offline_module : public principal::principal_module {
public:
  explicit offline_module(caf::actor queue) : queue_(std::move(queue)) {}

  bool undeliverable(caf::event_based_actor* self, const std::string& address,
                     message::delivery& d, std::function<void(kept_status)> done) override {
    self->request(queue_, caf::infinite, enqueue_atom::value, address, std::move(d))
      .then(
        [done](int r) {
          done(r == 0   ? kept_status::kept
               : r == 1 ? kept_status::full
               : r == 3 ? kept_status::no_such_account
               : r == 4 ? kept_status::unavailable
                        : kept_status::failed);
        },
        [done](caf::error& e) {
          done(is_storage_unavailable(e) ? kept_status::unavailable : kept_status::failed);
        });
    return true;
  }

  // What was stored while the account was offline goes out first: `await`
  // holds every other message of the actor meanwhile.
  void first_session(caf::event_based_actor* self, const std::string& address,
                     std::function<bool(const message::delivery&)> to_sessions) override {
    auto queue = queue_;
    self->request(queue, caf::infinite, drain_atom::value, address)
      .await(
        [self, queue, address, to_sessions](std::vector<message::delivery>& stored,
                                            std::string& last_key) {
          bool taken = false;
          for (auto& d : stored)
            taken = to_sessions(d) || taken;
          // Acknowledged only once a session had it: else it stays queued.
          if (!last_key.empty() && taken)
            self->request(queue, caf::infinite, ack_atom::value, address, last_key)
              .then([](bool) {});
        },
        [](caf::error&) {});
  }

private:
  caf::actor queue_;
};

} // namespace

std::shared_ptr<principal::principal_module> make_offline_module(caf::actor queue) {
  return std::make_shared<offline_module>(std::move(queue));
}

std::function<void(const std::string& address, message::delivery d)>
keep_unacknowledged(caf::actor queue) {
  return [queue = std::move(queue)](const std::string& address, message::delivery d) {
    // Anonymous: nobody waits for the queue's answer, and an answer to a
    // plain send would come back as a message nobody expects.
    caf::anon_send(queue, enqueue_atom::value, address, std::move(d));
  };
}

} // namespace irsp::offline
