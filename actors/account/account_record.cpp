// IRSP §7.1: account records as schema::Account (schema/accounts.capnp).
#include "actors/account/account_record.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

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
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

std::optional<account_record> decode_record(std::string_view bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    return std::nullopt;
  // RocksDB hands out unaligned slices; Cap'n Proto reads aligned words.
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  account_record out;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    capnp::FlatArrayMessageReader message(words);
    auto a = message.getRoot<schema::Account>();
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
  if (failure != nullptr)
    return std::nullopt;
  return out;
}

} // namespace irsp::account
