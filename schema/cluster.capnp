# What the nodes of one AS tell each other about themselves
# (cluster/member_info.hpp). The actor handles travel beside the struct, in
# a list CAF serialises; the struct says which handle plays which role, so a
# newer build can add a role (a field and a handle) that an older one skips
# during a rolling upgrade.
@0xd2118601269a985c;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("irsp::schema");

struct ClusterMember {
  name @0 :Text;              # unique in the cluster; what placement hashes
  host @1 :Text;              # its cluster listener
  port @2 :UInt16;
  incarnation @3 :UInt64;     # tells a restarted process from the one that died
  # Indices into the handles beside it; -1: none.
  member @4 :Int32 = -1;      # its membership actor
  router @5 :Int32 = -1;      # its message server
  lifecycle @6 :Int32 = -1;   # its lifecycle stream writer
  auth @7 :Int32 = -1;        # its password-check news
  accounts @8 :List(Int32);   # per shard of the account store: account server,
  offline @9 :List(Int32);    # offline queue,
  replicas @10 :List(Int32);  # and the applier for a backup copy
}

# A member's state as `irsp-node cluster status` shows it.
struct ClusterMemberStatus {
  name @0 :Text;
  address @1 :Text;
  state @2 :Text;             # "self", "alive" or "dead"
  incarnation @3 :UInt64;
  sinceMs @4 :Int64;          # how long it has been in this state
}
