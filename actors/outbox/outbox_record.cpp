// IRSP §8.8.2: the ExternalEndpoint and OutboxMessage codec.
#include "actors/outbox/outbox_record.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>

namespace irsp::outbox {

namespace {

template <class Fill>
std::string encode(Fill fill) {
  capnp::MallocMessageBuilder b;
  fill(b);
  auto words = capnp::messageToFlatArray(b);
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

template <class Read>
bool decode(std::string_view v, Read read) {
  if (v.empty() || v.size() % sizeof(capnp::word) != 0)
    return false;
  auto words = kj::heapArray<capnp::word>(v.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), v.data(), v.size());
  return kj::runCatchingExceptions([&] {
           capnp::FlatArrayMessageReader r(words);
           read(r);
         })
         == nullptr;
}

} // namespace

std::string encode_endpoint(const external_endpoint& e) {
  return encode([&](capnp::MallocMessageBuilder& b) {
    auto r = b.initRoot<schema::ExternalEndpoint>();
    r.setName(e.name);
    r.setUrl(e.url);
    r.setCaFile(e.ca_file);
    r.setConcurrency(e.concurrency);
    r.setMaxAttempts(e.max_attempts);
  });
}

bool decode_endpoint(std::string_view v, external_endpoint& out) {
  return decode(v, [&](capnp::FlatArrayMessageReader& m) {
    auto r = m.getRoot<schema::ExternalEndpoint>();
    out.name = r.getName().cStr();
    out.url = r.getUrl().cStr();
    out.ca_file = r.getCaFile().cStr();
    out.concurrency = r.getConcurrency();
    out.max_attempts = r.getMaxAttempts();
  });
}

std::string encode_message(const outbox_message& m) {
  return encode([&](capnp::MallocMessageBuilder& b) {
    auto r = b.initRoot<schema::OutboxMessage>();
    r.setApplication(m.application);
    r.setEndpoint(m.endpoint);
    r.setIdempotencyKey(m.key);
    r.setPayload({reinterpret_cast<const kj::byte*>(m.payload.data()), m.payload.size()});
    r.setSeq(m.seq);
    r.setState(m.state);
    r.setAttempts(m.attempts);
    r.setLastError(m.last_error);
    r.setQueuedMs(m.queued_ms);
    r.setFinishedMs(m.finished_ms);
  });
}

bool decode_message(std::string_view v, outbox_message& out) {
  return decode(v, [&](capnp::FlatArrayMessageReader& m) {
    auto r = m.getRoot<schema::OutboxMessage>();
    out.application = r.getApplication().cStr();
    out.endpoint = r.getEndpoint().cStr();
    out.key = r.getIdempotencyKey().cStr();
    auto p = r.getPayload();
    out.payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
    out.seq = r.getSeq();
    out.state = r.getState();
    out.attempts = r.getAttempts();
    out.last_error = r.getLastError().cStr();
    out.queued_ms = r.getQueuedMs();
    out.finished_ms = r.getFinishedMs();
  });
}

const char* status_name(SendExternalStatus s) {
  switch (s) {
    case SendExternalStatus::QUEUED: return "queued";
    case SendExternalStatus::DUPLICATE: return "duplicate";
    case SendExternalStatus::NO_SUCH_ENDPOINT: return "no-such-endpoint";
    case SendExternalStatus::BAD_KEY: return "bad-key";
    case SendExternalStatus::PAYLOAD_TOO_LARGE: return "payload-too-large";
    case SendExternalStatus::STORAGE_FAILURE: return "storage-failure";
    case SendExternalStatus::NOT_AVAILABLE: return "not-available";
  }
  return "storage-failure";
}

const char* state_name(ExternalState s) {
  switch (s) {
    case ExternalState::QUEUED: return "queued";
    case ExternalState::DELIVERING: return "delivering";
    case ExternalState::DELIVERED: return "delivered";
    case ExternalState::DEAD_LETTER: return "dead-letter";
    case ExternalState::UNKNOWN: return "unknown";
  }
  return "unknown";
}

} // namespace irsp::outbox
