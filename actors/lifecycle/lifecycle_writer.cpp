// Issue 15: the lifecycle stream's writer, batching whatever is waiting.
#include "actors/lifecycle/lifecycle_writer.hpp"

#include <caf/all.hpp>

#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"
#include "actors/storage_errors.hpp"

namespace irsp::lifecycle {

namespace {

using message::presence_event;

caf::error write_error(account::write_status w) {
  if (w == account::write_status::unavailable)
    return storage_unavailable_error();
  return caf::make_error(caf::sec::runtime_error, "storage-failure");
}

} // namespace

caf::actor spawn_lifecycle_writer(caf::actor_system& system,
                                  std::shared_ptr<lifecycle_store> store) {
  return system.spawn<caf::detached>([store](caf::blocking_actor* self) {
    bool running = true;
    std::vector<presence_event> batch;
    std::vector<caf::response_promise> answers;
    // Appends wait in `batch`; an epoch is taken at once, behind the
    // appends that came before it (they are written first).
    auto write = [&] {
      if (batch.empty())
        return;
      auto results = store->append(batch);
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].written == account::write_status::ok)
          answers[i].deliver(results[i].cursor);
        else
          answers[i].deliver(write_error(results[i].written));
      }
      batch.clear();
      answers.clear();
    };
    auto on_append = [&](append_atom, presence_event& ev) {
      batch.push_back(std::move(ev));
      answers.push_back(self->make_response_promise());
    };
    auto on_epoch = [&](epoch_atom, const std::string& address) -> caf::result<std::uint64_t> {
      write();
      account::write_status written;
      if (auto epoch = store->next_epoch(address, written))
        return *epoch;
      return write_error(written);
    };
    auto on_exit = [&](caf::exit_msg& msg) {
      running = false;
      self->fail_state(std::move(msg.reason));
    };
    auto stray = caf::others >> [](caf::message_view&) -> caf::result<caf::message> {
      return caf::message{}; // dropped
    };
    while (running) {
      self->receive(on_append, on_epoch, on_exit, stray);
      // Then everything else already waiting, up to a batch.
      bool waiting = true;
      while (running && waiting && batch.size() < max_write_batch)
        self->receive(on_append, on_epoch, on_exit, stray,
                      caf::after(std::chrono::seconds(0)) >> [&] { waiting = false; });
      write();
    }
    write();
  });
}

} // namespace irsp::lifecycle
