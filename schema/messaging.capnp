# IRSP §8.3–8.4 and the core protocol's user–device relationship: uploads,
# notifications, pushes, application-to-application messages, bindings and
# user <-> device messages, each with the status enum of its reply.
# docs/protocol.md has one table per enum; keep the two in step.
@0xb799d31642fe092c;

using Cxx = import "/capnp/c++.capnp";
using Accounts = import "accounts.capnp";
$Cxx.namespace("irsp::schema");

# §8.3.1 a user or device uploads a payload to an application (Table 5).
struct Upload {
  from @0 :Text;          # the uploading account
  application @1 :Text;   # the application's name (echo for echo@apps.<domain>)
  payload @2 :Data;
}
enum UploadStatus {
  accepted @0;
  noSuchApplication @1;
  applicationBusy @2;     # the application's queue is full; retry later
  rejected @3;            # the application refused this payload
  payloadTooLarge @4;
  notAllowed @5;          # the sender may not use this application
  applicationFailure @6;  # the application failed while handling it
  unknownDomain @7;       # an application of another domain this AS has no link to
  peerUnreachable @8;     # the application's AS is linked but cannot be reached now; retry later
}

# Issue 15: where an account stands. Suspect: it has sessions, but none has
# answered lately (silent past the ping interval, or detached awaiting
# XEP-0198 resumption); offline follows if none comes back in time.
# What an upload, push, application or direct message is answered with
# (between the nodes of an AS; a client sees the status as in docs/protocol.md).
struct UploadResponse {
  status @0 :UploadStatus;
  reply @1 :Data;
}
struct PushResponse {
  status @0 :PushStatus;
  sessions @1 :UInt32;
}
struct AppMessageResponse {
  status @0 :AppMessageStatus;
  reply @1 :Data;
}
struct DirectResponse {
  status @0 :DirectStatus;
  sessions @1 :UInt32;
}

enum LifecycleState {
  offline @0;
  online @1;
  suspect @2;
}

# §8.3.2 a device's state changed; to subscribed applications and to the
# device's bound users. (epoch, sequence) orders the transitions of one
# device: epoch is a persisted counter that grows with each activation of the
# device's actor (never a clock), sequence with each transition within an
# epoch. Every transition is stored before anyone hears of it; `cursor` is
# its place in the AS's lifecycle stream, from which a subscriber resumes.
struct DeviceStatus {
  device @0 :Text;
  online @1 :Bool;        # state != offline (kept for readers of version 0)
  epoch @2 :UInt64;
  sequence @3 :UInt64;
  atMs @4 :Int64;         # wall-clock time of the transition (informative only)
  state @5 :LifecycleState;
  cursor @6 :UInt64;
}

# §8.3.3 an application pushes a payload to a user or device (Table 6).
struct Push {
  application @0 :Text;
  to @1 :Text;
  payload @2 :Data;
}
enum PushStatus {
  delivered @0;           # handed to every live session of the recipient
  queued @1;              # recipient offline: stored durably, delivered when it next connects
  noSuchAccount @2;
  notAllowed @3;
  payloadTooLarge @4;
  queueFull @5;           # recipient offline and its queue at its cap: not stored
  storageFailure @6;      # recipient offline and the queue could not be written
  noSuchApplication @7;   # the sending application is not registered
  storageUnavailable @8;  # no live copy of the data (no backup): try again later
  unknownDomain @9;       # an account of another domain this AS has no link to
  peerUnreachable @10;    # the account's AS is linked but cannot be reached now; retry later
}

# §8.4 application to application in the same AS (Table 7).
struct AppMessage {
  from @0 :Text;
  to @1 :Text;
  payload @2 :Data;
}
enum AppMessageStatus {
  delivered @0;
  noSuchApplication @1;
  applicationBusy @2;
  rejected @3;
  payloadTooLarge @4;
  applicationFailure @5;
  unknownDomain @6;       # an application of another domain this AS has no link to
  peerUnreachable @7;     # its AS is linked but cannot be reached now; retry later
  notAllowed @8;          # across ASs: the sender is not of the linked peer's domain
}

# Core protocol (ISO/IEC 14543-5-8): a user binds a device by presenting the
# device's current verification code.
struct Bind {
  user @0 :Text;
  device @1 :Text;
  code @2 :Text;
}
enum BindStatus {
  ok @0;
  alreadyBound @1;
  noSuchDevice @2;        # no account with that address, or it is a user
  wrongCode @3;
  notAUser @4;            # only users bind devices
  tooManyAttempts @5;     # too many wrong codes lately for this user or device
  storageFailure @6;
  storageUnavailable @7;  # no live copy of the data (no backup): try again later
  unknownDomain @8;       # a device of another domain this AS has no link to
  peerUnreachable @9;     # the device's AS is linked but cannot be reached now; retry later
}
struct Unbind {
  account @0 :Text;       # either side may unbind
  peer @1 :Text;
}
enum UnbindStatus {
  ok @0;
  notBound @1;
  storageFailure @2;
  storageUnavailable @3;  # no live copy of the data (no backup): try again later
}

# User <-> device messages between bound accounts, and from an account to
# its own sessions. To an account (a bare JID) a message goes to every session
# or to the offline queue; to one session (a full JID) to that session only
# (RFC 6121 §8.5.2, §8.5.3).
struct DirectMessage {
  from @0 :Text;
  to @1 :Text;
  payload @2 :Data;
  resource @3 :Text;              # the one session it is for; empty: the account
  ifAbsent @4 :AbsentResource;    # when no session has that resource
}
# RFC 6121 §8.5.3.2.1: what a message for a resource without a session does.
enum AbsentResource {
  toAccount @0;           # goes to the account as if sent to it (chat)
  refuse @1;              # goes nowhere: noSuchResource (normal, groupchat, headline)
}
enum DirectStatus {
  delivered @0;           # handed to every live session, or to the one addressed
  queued @1;
  noSuchAccount @2;
  notAllowed @3;          # the two accounts are not bound
  payloadTooLarge @4;
  queueFull @5;
  storageFailure @6;
  noSuchResource @7;      # for one session that is not there, and not to go to the account
  storageUnavailable @8;  # no live copy of the data (no backup): try again later
  unknownDomain @9;       # an account of another domain this AS has no link to
  peerUnreachable @10;    # its AS is linked but cannot be reached now; retry later
}

# What the offline queue stores for an account (XEP-0160 style).
enum DeliveryKind {
  push @0;
  direct @1;
}
struct OfflineMessage {
  kind @0 :DeliveryKind;
  from @1 :Text;
  payload @2 :Data;
  storedMs @3 :Int64;
  expiresMs @4 :Int64;
}

# Issue 15: one transition as the lifecycle stream stores it ("l/<cursor>"),
# and an account's latest one ("s/<address>"), from which presence queries
# and last-seen answer.
struct LifecycleEvent {
  address @0 :Text;
  kind @1 :Accounts.AccountKind;
  state @2 :LifecycleState;
  epoch @3 :UInt64;
  sequence @4 :UInt64;
  atMs @5 :Int64;
  cursor @6 :UInt64;
  bound @7 :List(Text);   # between nodes: the peers bound when it happened (never stored)
}
