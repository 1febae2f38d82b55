// XEP-0160-style offline storage: the OfflineMessage codec.
#include "actors/offline/offline_record.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>

namespace irsp::offline {

std::string encode_offline(const message::delivery& d, std::int64_t stored_ms,
                           std::int64_t expires_ms) {
  capnp::MallocMessageBuilder b;
  auto m = b.initRoot<schema::OfflineMessage>();
  m.setKind(d.kind);
  m.setFrom(d.from);
  m.setPayload({reinterpret_cast<const kj::byte*>(d.payload.data()), d.payload.size()});
  m.setStoredMs(stored_ms);
  m.setExpiresMs(expires_ms);
  auto words = capnp::messageToFlatArray(b); // owns the bytes below
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

bool decode_offline(std::string_view v, message::delivery& d, std::int64_t& expires_ms) {
  if (v.empty() || v.size() % sizeof(capnp::word) != 0)
    return false;
  auto words = kj::heapArray<capnp::word>(v.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), v.data(), v.size());
  return kj::runCatchingExceptions([&] {
           capnp::FlatArrayMessageReader r(words);
           auto m = r.getRoot<schema::OfflineMessage>();
           d.kind = m.getKind();
           d.from = m.getFrom().cStr();
           auto p = m.getPayload();
           d.payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
           d.stored_ms = m.getStoredMs();
           expires_ms = m.getExpiresMs();
         })
         == nullptr;
}

} // namespace irsp::offline
