// Cap'n Proto messages as the flat byte strings RocksDB stores.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>
#include <string>
#include <string_view>

namespace irsp::schema {

/// The message's bytes (its segment table and words).
inline std::string to_flat(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message); // owns the bytes below
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

/// Reads `bytes` as a message whose root is a `Root` and hands the reader to
/// `read`; false when they are not one (a wrong length, a bad pointer: any
/// exception Cap'n Proto raises while `read` runs).
template <class Root, class F>
bool read_flat(std::string_view bytes, F&& read) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    return false;
  // RocksDB hands out unaligned slices; Cap'n Proto reads aligned words.
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  return kj::runCatchingExceptions([&] {
           capnp::FlatArrayMessageReader message(words);
           read(message.getRoot<Root>());
         })
         == nullptr;
}

/// The bytes of a message whose root is a `Root`, filled by `fill(builder)`.
template <class Root, class Fill>
std::string build_flat(Fill&& fill) {
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<Root>());
  return to_flat(message);
}

/// A Text field as a std::string.
inline std::string text_of(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

/// A Data field as a std::string, and a std::string as a Data field.
inline std::string bytes_of(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}
inline capnp::Data::Reader data_of(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

} // namespace irsp::schema
