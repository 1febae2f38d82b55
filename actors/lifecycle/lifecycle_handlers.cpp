// Issue 15: the lifecycle stream's requests.
#include "actors/lifecycle/lifecycle_handlers.hpp"

#include <caf/all.hpp>

#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"
#include "actors/storage_errors.hpp"

namespace irsp::lifecycle {

namespace {

caf::error write_error(account::write_status w) {
  if (w == account::write_status::unavailable)
    return storage_unavailable_error();
  return caf::make_error(caf::sec::runtime_error, "storage-failure");
}

caf::error read_error() {
  return caf::make_error(caf::sec::runtime_error, "storage-failure");
}

// Most transitions one read returns.
constexpr std::uint32_t max_read = 1024;

} // namespace

caf::message_handler lifecycle_handlers(std::shared_ptr<lifecycle_store> store) {
  using message::presence_event;
  return {
    [store](epoch_atom, const std::string& address) -> caf::result<std::uint64_t> {
      account::write_status written;
      if (auto epoch = store->next_epoch(address, written))
        return *epoch;
      return write_error(written);
    },
    [store](append_atom, const presence_event& ev) -> caf::result<std::uint64_t> {
      auto r = store->append(ev);
      if (r.written != account::write_status::ok)
        return write_error(r.written);
      return r.cursor;
    },
    [store](read_atom, std::uint64_t after,
            std::uint32_t max) -> caf::result<std::vector<presence_event>> {
      std::vector<presence_event> out;
      if (!store->read(after, std::min(max, max_read), out))
        return read_error();
      return out;
    },
    [store](state_atom, const std::string& address) -> caf::result<presence_event> {
      presence_event out;
      if (!store->latest(address, out))
        return read_error();
      return out;
    },
    [store](ack_atom, const std::string& subscriber, std::uint64_t cursor) -> caf::result<bool> {
      auto w = store->ack(subscriber, cursor);
      if (w != account::write_status::ok)
        return write_error(w);
      return true;
    },
    [store](cursor_atom, const std::string& subscriber) -> caf::result<std::uint64_t> {
      std::uint64_t out = 0;
      if (!store->acked(subscriber, out))
        return read_error();
      return out;
    },
  };
}

} // namespace irsp::lifecycle
