// What crosses a node (issue 14): a value of a section-8 exchange travels as
// its Cap'n Proto struct, so nodes of two builds understand each other
// during a rolling upgrade (fields added to the schema are skipped by older
// readers and default for newer ones).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace irsp::schema {

/// The body of an `inspect` overload for a type T with `to_wire(const T&)`
/// and `from_wire(std::string_view, T&)` found by argument-dependent lookup:
/// CAF's serializers write the schema bytes and its deserializers read them
/// (bytes that are not such a struct are an error, never a half-filled
/// value); printing (CAF's to_string, logs) shows `fields...` instead.
template <class Inspector, class T, class... Fields>
typename Inspector::result_type as_schema(Inspector& f, T& x, Fields&... fields) {
  if constexpr (std::is_void_v<typename Inspector::result_type>) {
    return f(fields...);
  } else if constexpr (Inspector::reads_state) {
    auto bytes = to_wire(x);
    return f(bytes);
  } else {
    std::string bytes;
    if (auto err = f(bytes))
      return err;
    if (!from_wire(bytes, x))
      return caf::make_error(caf::sec::invalid_argument, "not a schema message");
    return caf::error{};
  }
}

} // namespace irsp::schema
