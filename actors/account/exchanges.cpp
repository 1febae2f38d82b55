// IRSP §8.2: status names come from the schema itself, so the CLI, XMPP
// replies and docs/protocol.md cannot drift from schema/exchanges.capnp.
#include "actors/account/exchanges.hpp"

#include "schema/enum_names.hpp"

namespace irsp::account {

std::string status_name(register_status s) { return schema::enum_name(s); }
std::string status_name(modify_status s) { return schema::enum_name(s); }
std::string status_name(delete_status s) { return schema::enum_name(s); }
std::string status_name(reset_code_status s) { return schema::enum_name(s); }
std::string kind_name(account_kind k) { return schema::enum_name(k); }

template <class Status>
std::vector<std::pair<Status, std::string>> all_statuses() {
  return schema::all_enumerants<Status>();
}

template std::vector<std::pair<register_status, std::string>> all_statuses();
template std::vector<std::pair<modify_status, std::string>> all_statuses();
template std::vector<std::pair<delete_status, std::string>> all_statuses();
template std::vector<std::pair<reset_code_status, std::string>> all_statuses();

bool parse_kind(std::string_view name, account_kind& out) {
  return schema::parse_enum(name, out);
}

} // namespace irsp::account
