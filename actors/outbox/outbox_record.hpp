// IRSP §8.8.2: the outbox's records (schema/outbound.capnp) as C++ values,
// and their codec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "irsp/schema/outbound.capnp.h"

namespace irsp::outbox {

using schema::ExternalState;
using schema::SendExternalStatus;

/// A registered external application server's endpoint.
struct external_endpoint {
  std::string name;
  std::string url;
  std::string ca_file;            ///< empty: the system's CAs
  std::uint32_t concurrency = 1;  ///< order per endpoint holds only at 1
  std::uint32_t max_attempts = 10;
};

/// One message of the outbox and what became of it.
struct outbox_message {
  std::string application;
  std::string endpoint;
  std::string key;                ///< the idempotency key
  std::string payload;
  std::uint64_t seq = 0;
  ExternalState state = ExternalState::QUEUED;
  std::uint32_t attempts = 0;
  std::string last_error;
  std::int64_t queued_ms = 0;
  std::int64_t finished_ms = 0;
};

std::string encode_endpoint(const external_endpoint& e);
bool decode_endpoint(std::string_view v, external_endpoint& out);

std::string encode_message(const outbox_message& m);
bool decode_message(std::string_view v, outbox_message& out);

/// The status names of docs/protocol.md (queued, no-such-endpoint, ...).
const char* status_name(SendExternalStatus s);
/// queued, delivering, delivered, dead-letter, unknown.
const char* state_name(ExternalState s);

} // namespace irsp::outbox
