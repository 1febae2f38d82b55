// The schema's enumerant names in kebab case (`noSuchAccount` -> `no-such-account`):
// how the CLI, XMPP replies, the embedding API and docs/protocol.md spell status codes.
#pragma once

#include <capnp/schema.h>

#include <string>
#include <utility>
#include <vector>

namespace irsp::schema {

/// `camelCase` -> `camel-case`.
inline std::string kebab(kj::StringPtr camel) {
  std::string out;
  for (char c : camel) {
    if (c >= 'A' && c <= 'Z') {
      out += '-';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

/// The kebab-case name of an enumerant of a schema enum.
template <class Enum>
std::string enum_name(Enum value) {
  auto enumerants = capnp::Schema::from<Enum>().getEnumerants();
  auto i = static_cast<unsigned>(value);
  if (i >= enumerants.size())
    return "unknown-" + std::to_string(i);
  return kebab(enumerants[i].getProto().getName());
}

/// Every enumerant of a schema enum with its kebab-case name, in schema order.
template <class Enum>
std::vector<std::pair<Enum, std::string>> all_enumerants() {
  std::vector<std::pair<Enum, std::string>> out;
  for (auto e : capnp::Schema::from<Enum>().getEnumerants())
    out.emplace_back(static_cast<Enum>(e.getOrdinal()), kebab(e.getProto().getName()));
  return out;
}

/// The enumerant named `name` (kebab case); false if there is none.
template <class Enum>
bool parse_enum(std::string_view name, Enum& out) {
  for (auto e : capnp::Schema::from<Enum>().getEnumerants()) {
    if (name == kebab(e.getProto().getName())) {
      out = static_cast<Enum>(e.getOrdinal());
      return true;
    }
  }
  return false;
}

} // namespace irsp::schema
