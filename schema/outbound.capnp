# IRSP §8.8.2: internal application server -> external application server
# over HTTPS. The registered endpoints, the outbox's records and the status
# enums of the exchange. docs/protocol.md ("External delivery") has the
# tables; keep the two in step.
@0x92de744fa2e21f3c;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("irsp::schema");

# An external application server's endpoint, registered by the operator.
struct ExternalEndpoint {
  name @0 :Text;
  url @1 :Text;           # https:// only
  caFile @2 :Text;        # PEM of the CAs to trust; empty: the system's
  concurrency @3 :UInt32; # requests at once; order holds only at 1
  maxAttempts @4 :UInt32; # dead-letter after this many failed attempts
}

# What send_external answers.
enum SendExternalStatus {
  queued @0;              # stored (synced) in the outbox; delivery follows
  duplicate @1;           # this application already sent this key: nothing new stored
  noSuchEndpoint @2;
  badKey @3;              # empty, longer than 200 octets, or not printable ASCII
  payloadTooLarge @4;
  storageFailure @5;
  notAvailable @6;        # the node runs no outbox
}

# Where a message stands.
enum ExternalState {
  queued @0;              # stored, not attempted yet
  delivering @1;          # attempted at least once; in flight or waiting to retry
  delivered @2;           # the endpoint answered 2xx
  deadLetter @3;          # given up: kept, with its payload, for the operator
  unknown @4;             # no message with this key from this application
}

# One message of the outbox and what became of it.
struct OutboxMessage {
  application @0 :Text;
  endpoint @1 :Text;
  idempotencyKey @2 :Text;
  payload @3 :Data;       # dropped once delivered
  seq @4 :UInt64;         # order of acceptance, across the node
  state @5 :ExternalState;
  attempts @6 :UInt32;
  lastError @7 :Text;     # "HTTP 503", "connection refused", ...
  queuedMs @8 :Int64;     # wall clock, informative
  finishedMs @9 :Int64;
}
