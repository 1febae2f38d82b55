// IRSP §7.1: account records as schema::Account (schema/accounts.capnp).
#include "actors/account/account_record.hpp"

#include "schema/flat_message.hpp"

#include <cstring>

namespace irsp::account {

namespace {

capnp::Data::Reader as_data(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

std::string from_data(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

void put_scram(schema::ScramCredential::Builder b, const scram_secret& s) {
  b.setSalt(as_data(s.salt));
  b.setIterations(s.iterations);
  b.setStoredKey(as_data(s.stored_key));
  b.setServerKey(as_data(s.server_key));
}

scram_secret get_scram(schema::ScramCredential::Reader r) {
  return {from_data(r.getSalt()), r.getIterations(), from_data(r.getStoredKey()),
          from_data(r.getServerKey())};
}

} // namespace

std::string encode_record(const account_record& record) {
  capnp::MallocMessageBuilder message;
  auto a = message.initRoot<schema::Account>();
  const auto& v = record.view;
  a.setAddress(v.address);
  a.setKind(v.kind);
  a.setDisplayName(v.display_name);
  if (v.kind == account_kind::DEVICE) {
    auto d = a.initDevice();
    d.setModel(v.device.model);
    d.setManufacturer(v.device.manufacturer);
    d.setSerial(v.device.serial);
    auto c = a.initVerificationCode();
    c.setSalt(as_data(record.code.salt));
    c.setHash(as_data(record.code.hash));
    c.setIssuedMs(record.code_issued_ms);
  }
  put_scram(a.initScramSha256(), record.scram_sha256);
  put_scram(a.initScramSha1(), record.scram_sha1);
  a.setCreatedMs(v.created_ms);
  a.setModifiedMs(v.modified_ms);
  a.setVersion(v.version);
  return schema::to_flat(message);
}

std::optional<account_record> decode_record(std::string_view bytes) {
  account_record out;
  bool read = schema::read_flat<schema::Account>(bytes, [&](auto a) {
    auto& v = out.view;
    v.address = a.getAddress().cStr();
    v.kind = a.getKind();
    v.display_name = a.getDisplayName().cStr();
    if (a.hasDevice()) {
      auto d = a.getDevice();
      v.device = {d.getModel().cStr(), d.getManufacturer().cStr(), d.getSerial().cStr()};
    }
    if (a.hasVerificationCode()) {
      auto c = a.getVerificationCode();
      out.code = {from_data(c.getSalt()), from_data(c.getHash())};
      out.code_issued_ms = c.getIssuedMs();
    }
    out.scram_sha256 = get_scram(a.getScramSha256());
    out.scram_sha1 = get_scram(a.getScramSha1());
    v.created_ms = a.getCreatedMs();
    v.modified_ms = a.getModifiedMs();
    v.version = a.getVersion();
  });
  if (!read)
    return std::nullopt;
  return out;
}

} // namespace irsp::account
