// Issue 15: the lifecycle stream's requests, served by the account server's
// workers (blocking: they run detached).
#pragma once

#include <memory>

#include <caf/message_handler.hpp>

namespace irsp::lifecycle {

class lifecycle_store;

/// The handlers of lifecycle_atoms.hpp over `store`. Storage faults answer
/// errors: storage-unavailable when no backup took a change, else
/// storage-failure.
caf::message_handler lifecycle_handlers(std::shared_ptr<lifecycle_store> store);

} // namespace irsp::lifecycle
