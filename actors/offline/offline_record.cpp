// XEP-0160-style offline storage: the OfflineMessage codec.
#include "actors/offline/offline_record.hpp"

#include "schema/flat_message.hpp"

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
  return schema::to_flat(b);
}

bool decode_offline(std::string_view v, message::delivery& d, std::int64_t& expires_ms) {
  return schema::read_flat<schema::OfflineMessage>(v, [&](auto m) {
    d.kind = m.getKind();
    d.from = m.getFrom().cStr();
    auto p = m.getPayload();
    d.payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
    d.stored_ms = m.getStoredMs();
    expires_ms = m.getExpiresMs();
  });
}

} // namespace irsp::offline
