# IRSP account record, as the account server stores it (ISO/IEC 14543-5-9 §7.1).
# Stored one record per RocksDB value; fields are only ever added, never renumbered,
# so records written by an older node still read.
@0xaf241b66cc1e3864;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("irsp::schema");

enum AccountKind {
  user @0;
  device @1;
}

# RFC 5802 / RFC 7677 server-side secrets: never the password itself.
struct ScramCredential {
  salt @0 :Data;
  iterations @1 :UInt32;
  storedKey @2 :Data;
  serverKey @3 :Data;
}

# A device verification code, kept only as a salted hash.
struct CodeHash {
  salt @0 :Data;
  hash @1 :Data;      # SHA-256(salt || code)
  issuedMs @2 :Int64;
}

struct DeviceInfo {
  model @0 :Text;
  manufacturer @1 :Text;
  serial @2 :Text;
}

struct Account {
  address @0 :Text;            # name@domain, name already nodeprep-normalised
  kind @1 :AccountKind;
  displayName @2 :Text;
  device @3 :DeviceInfo;       # set only when kind = device
  scramSha256 @4 :ScramCredential;
  scramSha1 @5 :ScramCredential;
  verificationCode @6 :CodeHash;   # set only when kind = device
  createdMs @7 :Int64;
  modifiedMs @8 :Int64;
  version @9 :UInt64;          # bumped on every change; optimistic concurrency
}
