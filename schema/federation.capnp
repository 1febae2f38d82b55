# IRSP §8.5–8.7 between ASs: what one AS sends another over their link
# (cluster/as_link.hpp, docs/federation.md). Only these bytes cross the AS
# boundary; the receiving AS decodes them, checks that every source address
# belongs to the linked peer's domain, and applies its own authorization.
@0xe2007fdf4b5f6203;

using Cxx = import "/capnp/c++.capnp";
using Messaging = import "messaging.capnp";
$Cxx.namespace("irsp::schema");

# One request over an AS link. Addresses are full: name@domain for accounts,
# name@apps.domain for applications.
struct LinkRequest {
  union {
    upload @0 :Messaging.Upload;          # §8.7 to an application of the receiver
    push @1 :Messaging.Push;              # §8.7 the push back, to an account of the receiver
    appMessage @2 :Messaging.AppMessage;  # §8.6 application to application
    bind @3 :Messaging.Bind;              # §8.5 a user of the sender binds a device of the receiver
    direct @4 :Messaging.DirectMessage;   # §8.5 between a user and a device bound across
    presence @5 :LinkPresence;            # §8.5 a transition, for a bound peer of the receiver
    probe @6 :LinkProbe;                  # §8.5 a new session asks a bound peer's presence
    unbind @7 :Messaging.Unbind;          # §8.5 the sender's account unbound the receiver's
  }
}

# A transition of `event.address` for `target`, its bound peer in the receiver.
struct LinkPresence {
  event @0 :Messaging.LifecycleEvent;
  target @1 :Text;
}

# `requester` asks `target`, its bound peer in the receiver, whether it is online.
struct LinkProbe {
  requester @0 :Text;
  target @1 :Text;
}

# Its answer, of the same kind as the request.
struct LinkReply {
  union {
    upload :group {
      status @0 :Messaging.UploadStatus;
      reply @1 :Data;
    }
    push :group {
      status @2 :Messaging.PushStatus;
      sessions @3 :UInt32;
    }
    appMessage :group {
      status @4 :Messaging.AppMessageStatus;
      reply @5 :Data;
    }
    bind :group {
      status @6 :Messaging.BindStatus;
    }
    direct :group {
      status @7 :Messaging.DirectStatus;
      sessions @8 :UInt32;
    }
    ack @9 :Void;                         # presence and probes: taken in
    unbind :group {
      status @10 :Messaging.UnbindStatus;
    }
  }
}
