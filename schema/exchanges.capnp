# IRSP §8.2: the exchanges between message server and account server, one
# request/response pair each, with a status enum that names every outcome.
# docs/protocol.md has one table per enum; keep the two in step.
@0x99a78eb5bc6b50ea;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("irsp::schema");

using Accounts = import "accounts.capnp";

# An empty requester is the operator (CLI, embedding host): trusted.
# Otherwise it is the authenticated address asking, and it may act only on itself.

# §8.2.1 register on account server (Table 1)
struct RegisterRequest {
  name @0 :Text;
  kind @1 :Accounts.AccountKind;
  password @2 :Text;
  displayName @3 :Text;
  device @4 :Accounts.DeviceInfo;
  requester @5 :Text;
}
enum RegisterStatus {
  ok @0;
  exists @1;              # an account with this address is registered already
  badName @2;             # empty, too long, or forbidden characters (RFC 7622 localpart)
  missingPassword @3;
  weakPassword @4;        # shorter than the minimum length
  badValue @5;            # display or device information too long or not UTF-8
  missingDeviceInfo @6;   # a device needs model, manufacturer and serial
  notAllowed @7;          # in-band registration is closed on this node
  storageFailure @8;      # the store could not make the change durable
  storageUnavailable @9;  # no live copy of the data (no backup): try again later
}
struct RegisterResponse {
  status @0 :RegisterStatus;
  address @1 :Text;
  verificationCode @2 :Text;   # devices only; shown once, stored only as a hash
}

# §8.2.2 modify user or device information (Table 2)
struct Field {
  key @0 :Text;     # name | model | manufacturer | serial | password
  value @1 :Text;
}
struct ModifyRequest {
  address @0 :Text;
  changes @1 :List(Field);
  expectedVersion @2 :UInt64;  # 0: any version
  requester @3 :Text;
}
enum ModifyStatus {
  ok @0;
  noSuchAccount @1;
  unknownField @2;       # a key that is not one of the documented ones
  badValue @3;           # too long or not UTF-8
  notADevice @4;         # a device-only field on a user account
  missingPassword @5;
  weakPassword @6;
  versionConflict @7;    # expectedVersion is not the stored version
  notAllowed @8;         # requester is another account
  storageFailure @9;
  noChanges @10;         # the request names no field
  storageUnavailable @11;  # no live copy of the data (no backup): try again later
}
struct ModifyResponse {
  status @0 :ModifyStatus;
  version @1 :UInt64;
}

# §8.2.3 delete account (Table 3)
struct DeleteRequest {
  address @0 :Text;
  requester @1 :Text;
}
enum DeleteStatus {
  ok @0;
  noSuchAccount @1;
  notAllowed @2;
  storageFailure @3;
  storageUnavailable @4;  # no live copy of the data (no backup): try again later
}
struct DeleteResponse {
  status @0 :DeleteStatus;
  unbound @1 :List(Text);      # the peers whose bindings went with the account
}

# §8.2.4 reset device verification code (Table 4)
struct ResetCodeRequest {
  address @0 :Text;
  requester @1 :Text;
}
enum ResetCodeStatus {
  ok @0;
  noSuchAccount @1;
  notADevice @2;
  notAllowed @3;
  storageFailure @4;
  storageUnavailable @5;  # no live copy of the data (no backup): try again later
}
struct ResetCodeResponse {
  status @0 :ResetCodeStatus;
  verificationCode @1 :Text;
  unbound @2 :List(Text);      # peers unbound by the reset (when the node revokes bindings on reset)
}
