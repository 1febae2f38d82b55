// IRSP §8.2.1–8.2.4: the account exchanges as in-process C++ values.
// The status enums are the schema's own (schema/exchanges.capnp); these structs
// are decoded views of its request/response structs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "irsp/schema/accounts.capnp.h"
#include "irsp/schema/exchanges.capnp.h"
#include "irsp/schema/messaging.capnp.h"
#include "schema/wire_form.hpp"

namespace irsp::account {

using account_kind = schema::AccountKind;
using register_status = schema::RegisterStatus;
using modify_status = schema::ModifyStatus;
using delete_status = schema::DeleteStatus;
using reset_code_status = schema::ResetCodeStatus;

/// Model, manufacturer and serial of a device account.
struct device_info {
  std::string model;
  std::string manufacturer;
  std::string serial;
};

/// §8.2.1 register. An empty requester is the operator.
struct register_request {
  std::string name;
  account_kind kind = account_kind::USER;
  std::string password;
  std::string display_name;
  device_info device;
  std::string requester;
};

/// §8.2.1 response; verification_code is set for devices only.
struct register_response {
  register_status status = register_status::STORAGE_FAILURE;
  std::string address;
  std::string verification_code;
};

/// §8.2.2 modify information: keys name, model, manufacturer, serial, password.
struct modify_request {
  std::string address;
  std::vector<std::pair<std::string, std::string>> changes;
  std::uint64_t expected_version = 0;
  std::string requester;
};

/// §8.2.2 response; version is the account's version after the change.
struct modify_response {
  modify_status status = modify_status::STORAGE_FAILURE;
  std::uint64_t version = 0;
};

/// §8.2.3 delete account.
struct delete_request {
  std::string address;
  std::string requester;
};

/// §8.2.3 response.
struct delete_response {
  delete_status status = delete_status::STORAGE_FAILURE;
  std::vector<std::string> unbound; ///< peers whose bindings went with the account
};

/// §8.2.4 reset device verification code.
struct reset_code_request {
  std::string address;
  std::string requester;
};

/// §8.2.4 response; the fresh code is returned once and stored only as a hash.
struct reset_code_response {
  reset_code_status status = reset_code_status::STORAGE_FAILURE;
  std::string verification_code;
  std::vector<std::string> unbound; ///< peers unbound, when resets revoke bindings
};

/// An account as others may see it: no secret, not even hashed.
struct account_view {
  std::string address;
  account_kind kind = account_kind::USER;
  std::string display_name;
  device_info device;
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
  std::uint64_t version = 0;
};

/// Core protocol: a user binds a device with the device's current code.
struct bind_request {
  std::string user;
  std::string device;
  std::string code;
};

/// Either side removes a binding.
struct unbind_request {
  std::string account;
  std::string peer;
};

/// What reading an account came to: it is there, it is not, or the store
/// could not tell (a read failed) — which must never pass for "not there".
enum class lookup_status : std::uint8_t { found, missing, failed };

/// What a user or device actor needs when it activates: whether the account
/// is there, and if so the account and its bound peers.
struct principal_record {
  lookup_status status = lookup_status::failed;
  account_view view;
  std::vector<std::string> peers;
};

/// The schema's name of a status, in kebab case: `no-such-account`.
std::string status_name(register_status s);
std::string status_name(modify_status s);
std::string status_name(delete_status s);
std::string status_name(reset_code_status s);
std::string kind_name(account_kind k);

/// Every enumerant of a status enum with its kebab-case name, in schema order;
/// docs and tests iterate over these so that a new code cannot go unnoticed.
template <class Status>
std::vector<std::pair<Status, std::string>> all_statuses();

/// Inverse of the above; false when `name` names no enumerant.
bool parse_kind(std::string_view name, account_kind& out);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, device_info& x) {
  return f(x.model, x.manufacturer, x.serial);
}
/// Each as its schema struct (schema/wire_form.hpp); false: not one.
std::string to_wire(const register_request& x);
bool from_wire(std::string_view bytes, register_request& x);
std::string to_wire(const register_response& x);
bool from_wire(std::string_view bytes, register_response& x);
std::string to_wire(const modify_request& x);
bool from_wire(std::string_view bytes, modify_request& x);
std::string to_wire(const modify_response& x);
bool from_wire(std::string_view bytes, modify_response& x);
std::string to_wire(const delete_request& x);
bool from_wire(std::string_view bytes, delete_request& x);
std::string to_wire(const delete_response& x);
bool from_wire(std::string_view bytes, delete_response& x);
std::string to_wire(const reset_code_request& x);
bool from_wire(std::string_view bytes, reset_code_request& x);
std::string to_wire(const reset_code_response& x);
bool from_wire(std::string_view bytes, reset_code_response& x);
std::string to_wire(const bind_request& x);
bool from_wire(std::string_view bytes, bind_request& x);
std::string to_wire(const unbind_request& x);
bool from_wire(std::string_view bytes, unbind_request& x);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_request& x) {
  return schema::as_schema(f, x, x.name, x.kind, x.password, x.display_name, x.device,
                           x.requester);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_response& x) {
  return schema::as_schema(f, x, x.status, x.address, x.verification_code);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, modify_request& x) {
  return schema::as_schema(f, x, x.address, x.changes, x.expected_version, x.requester);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, modify_response& x) {
  return schema::as_schema(f, x, x.status, x.version);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_request& x) {
  return schema::as_schema(f, x, x.address, x.requester);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_response& x) {
  return schema::as_schema(f, x, x.status, x.unbound);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reset_code_request& x) {
  return schema::as_schema(f, x, x.address, x.requester);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reset_code_response& x) {
  return schema::as_schema(f, x, x.status, x.verification_code, x.unbound);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_view& x) {
  return f(x.address, x.kind, x.display_name, x.device, x.created_ms,
           x.modified_ms, x.version);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bind_request& x) {
  return schema::as_schema(f, x, x.user, x.device, x.code);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unbind_request& x) {
  return schema::as_schema(f, x, x.account, x.peer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, principal_record& x) {
  return f(x.status, x.view, x.peers);
}

} // namespace irsp::account
