// A value through CAF's binary serializer and back, as it crosses a node.
#pragma once

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include <vector>

namespace irsp::test {

template <class T>
T round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(x));
  T out{};
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(out));
  return out;
}

} // namespace irsp::test
