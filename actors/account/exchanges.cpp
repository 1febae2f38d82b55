// IRSP §8.2: status names come from the schema itself, so the CLI, XMPP
// replies and docs/protocol.md cannot drift from schema/exchanges.capnp.
#include "actors/account/exchanges.hpp"

#include <capnp/schema.h>
#include <cctype>

namespace irsp::account {

namespace {

std::string kebab(kj::StringPtr camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '-';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

template <class Enum>
std::string enum_name(Enum value) {
  auto enumerants = capnp::Schema::from<Enum>().getEnumerants();
  auto i = static_cast<unsigned>(value);
  if (i >= enumerants.size())
    return "unknown-" + std::to_string(i);
  return kebab(enumerants[i].getProto().getName());
}

} // namespace

std::string status_name(register_status s) { return enum_name(s); }
std::string status_name(modify_status s) { return enum_name(s); }
std::string status_name(delete_status s) { return enum_name(s); }
std::string status_name(reset_code_status s) { return enum_name(s); }
std::string kind_name(account_kind k) { return enum_name(k); }

template <class Status>
std::vector<std::pair<Status, std::string>> all_statuses() {
  std::vector<std::pair<Status, std::string>> out;
  auto enumerants = capnp::Schema::from<Status>().getEnumerants();
  for (auto e : enumerants)
    out.emplace_back(static_cast<Status>(e.getOrdinal()), kebab(e.getProto().getName()));
  return out;
}

template std::vector<std::pair<register_status, std::string>> all_statuses();
template std::vector<std::pair<modify_status, std::string>> all_statuses();
template std::vector<std::pair<delete_status, std::string>> all_statuses();
template std::vector<std::pair<reset_code_status, std::string>> all_statuses();

bool parse_kind(std::string_view name, account_kind& out) {
  for (auto e : capnp::Schema::from<account_kind>().getEnumerants()) {
    if (name == kebab(e.getProto().getName())) {
      out = static_cast<account_kind>(e.getOrdinal());
      return true;
    }
  }
  return false;
}

} // namespace irsp::account
