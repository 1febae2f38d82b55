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

} // namespace irsp::schema
