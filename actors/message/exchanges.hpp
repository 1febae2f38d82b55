// IRSP §8.3–8.4 and user<->device messages as in-process C++ values; the
// status enums are the schema's (schema/messaging.capnp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>

#include "actors/account/exchanges.hpp"
#include "irsp/schema/messaging.capnp.h"
#include "schema/wire_form.hpp"

namespace irsp::message {

using upload_status = schema::UploadStatus;
using push_status = schema::PushStatus;
using app_message_status = schema::AppMessageStatus;
using direct_status = schema::DirectStatus;
using absent_resource = schema::AbsentResource;
using bind_status = schema::BindStatus;
using unbind_status = schema::UnbindStatus;
using delivery_kind = schema::DeliveryKind;
using lifecycle_state = schema::LifecycleState;

/// §8.3.1 a user or device uploads to an application.
struct upload_request {
  std::string from;
  std::string application;
  std::string payload;
};

/// §8.3.1 the application's answer; `reply` is its optional reply payload.
struct upload_response {
  upload_status status = upload_status::APPLICATION_FAILURE;
  std::string reply;
};

/// §8.3.3 an application pushes to a user or device.
struct push_request {
  std::string application;
  std::string to;
  std::string payload;
};

/// §8.3.3 outcome; `sessions` counts the live sessions it was handed to.
struct push_response {
  push_status status = push_status::STORAGE_FAILURE;
  std::uint32_t sessions = 0;
};

/// §8.4 application to application.
struct app_message_request {
  std::string from;
  std::string to;
  std::string payload;
};

/// §8.4 outcome, with the receiving application's optional reply.
struct app_message_response {
  app_message_status status = app_message_status::APPLICATION_FAILURE;
  std::string reply;
};

/// A user<->device message between bound accounts, or to one's own sessions.
struct direct_request {
  std::string from;
  std::string to; ///< the addressee's account (bare address)
  std::string payload;
  /// RFC 6121 §8.5.3: the one session it is for (the resource of a full
  /// JID); empty: the account, every session or the offline queue (§8.5.2).
  std::string resource;
  /// What happens when no session has `resource` (§8.5.3.2.1).
  absent_resource if_absent = absent_resource::TO_ACCOUNT;
};

/// Outcome of a user<->device message; `sessions` counts the sessions it
/// was handed to.
struct direct_response {
  direct_status status = direct_status::STORAGE_FAILURE;
  std::uint32_t sessions = 0;
};

/// §8.3.2 a transition of a user or device (online, suspect, offline). For
/// one account, (epoch, sequence) increases strictly with every transition
/// published; each is in the lifecycle stream, at `cursor`, before it is sent.
struct presence_event {
  std::string address;
  account::account_kind kind = account::account_kind::DEVICE;
  lifecycle_state state = lifecycle_state::OFFLINE;
  std::uint64_t epoch = 0;
  std::uint64_t sequence = 0;
  std::int64_t at_ms = 0;
  std::vector<std::string> bound; ///< the account's bound peers, who get it too
  std::uint64_t cursor = 0;       ///< its place in the lifecycle stream; 0: none

  /// Online or suspect: the account has sessions.
  bool present() const noexcept { return state != lifecycle_state::OFFLINE; }
};

/// What a session receives for its client: a push or a user<->device message.
/// `stored_ms` is 0 for live traffic, else when the offline queue stored it.
struct delivery {
  delivery_kind kind = delivery_kind::PUSH;
  std::string from;
  std::string payload;
  std::int64_t stored_ms = 0;
};

/// Where a client session lives: the actor that hosts it (an I/O thread of
/// the XMPP front end, or a test actor) and the session's id there, unique
/// on its node. Whatever is meant for the session goes to `host` with the id
/// first: (id, delivery), (id, presence_event), (id, bound_atom, peer),
/// (id, unbound_atom, peer), (id, close_atom, reason), (id, gone_atom).
/// The session says it has ended with (close_atom, resource, ref) to its
/// user/device actor, which also watches `host`: a host that dies takes
/// its sessions with it.
struct session_ref {
  caf::actor host;
  std::uint64_t id = 0;

  explicit operator bool() const noexcept {
    return host != nullptr;
  }
  friend bool operator==(const session_ref& a, const session_ref& b) noexcept {
    return a.id == b.id && a.host == b.host;
  }
  friend bool operator!=(const session_ref& a, const session_ref& b) noexcept {
    return !(a == b);
  }
};

/// The reply to a session's open: its account's actor (null when the account
/// does not exist), the account's kind and its bound peers.
struct session_opened {
  caf::actor principal;
  account::account_kind kind = account::account_kind::USER;
  std::vector<std::string> peers;
};

/// Which device transitions an application wants (§8.3.2).
struct subscription {
  bool all_devices = false;
  std::vector<std::string> devices;
};

/// Largest payload of an upload, push, app or direct message (octets).
constexpr std::size_t default_max_payload = 64 * 1024;

/// Status names in kebab case, as docs/protocol.md spells them.
std::string status_name(upload_status s);
std::string status_name(push_status s);
std::string status_name(app_message_status s);
std::string status_name(direct_status s);
std::string status_name(bind_status s);
std::string status_name(unbind_status s);

/// Each as its schema struct (schema/wire_form.hpp); false: not one.
std::string to_wire(const upload_request& x);
bool from_wire(std::string_view bytes, upload_request& x);
std::string to_wire(const upload_response& x);
bool from_wire(std::string_view bytes, upload_response& x);
std::string to_wire(const push_request& x);
bool from_wire(std::string_view bytes, push_request& x);
std::string to_wire(const push_response& x);
bool from_wire(std::string_view bytes, push_response& x);
std::string to_wire(const app_message_request& x);
bool from_wire(std::string_view bytes, app_message_request& x);
std::string to_wire(const app_message_response& x);
bool from_wire(std::string_view bytes, app_message_response& x);
std::string to_wire(const direct_request& x);
bool from_wire(std::string_view bytes, direct_request& x);
std::string to_wire(const direct_response& x);
bool from_wire(std::string_view bytes, direct_response& x);
std::string to_wire(const presence_event& x);
bool from_wire(std::string_view bytes, presence_event& x);
std::string to_wire(const delivery& x);
bool from_wire(std::string_view bytes, delivery& x);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upload_request& x) {
  return schema::as_schema(f, x, x.from, x.application, x.payload);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upload_response& x) {
  return schema::as_schema(f, x, x.status, x.reply);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, push_request& x) {
  return schema::as_schema(f, x, x.application, x.to, x.payload);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, push_response& x) {
  return schema::as_schema(f, x, x.status, x.sessions);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_message_request& x) {
  return schema::as_schema(f, x, x.from, x.to, x.payload);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_message_response& x) {
  return schema::as_schema(f, x, x.status, x.reply);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, direct_request& x) {
  return schema::as_schema(f, x, x.from, x.to, x.payload, x.resource, x.if_absent);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, direct_response& x) {
  return schema::as_schema(f, x, x.status, x.sessions);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, presence_event& x) {
  return schema::as_schema(f, x, x.address, x.kind, x.state, x.epoch, x.sequence, x.at_ms,
                           x.bound, x.cursor);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery& x) {
  return schema::as_schema(f, x, x.kind, x.from, x.payload, x.stored_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_ref& x) {
  return f(x.host, x.id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_opened& x) {
  return f(x.principal, x.kind, x.peers);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscription& x) {
  return f(x.all_devices, x.devices);
}

} // namespace irsp::message
