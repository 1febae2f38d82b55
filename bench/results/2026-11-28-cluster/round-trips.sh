#!/bin/bash
# Issue 14, row 1: the same self-message round trip (RFC 6121 §8.5.2: a chat message to one's own
# bare JID, delivered back to the sender's one session) on one 3-node cluster, with (a) every
# client connected to the node its account's actor lives on ("home") and (b) every client connected
# to another node ("away"), alternating in one cluster run. Outputs: OUT/rt-*.json, rt-*.log,
# load.txt. Usage: round-trips.sh [OUT]   (BUILD=dir overrides build-rel)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
B=${BUILD:-$repo/build-rel}
if [ -z "${CLUSTER_PIDS:-}" ]; then
  out=${1:-$here}; mkdir -p "$out"; out=$(cd "$out" && pwd)
  exec "$repo/bench/cluster.sh" --nodes 3 --build "$B" -- "$0" "$out"
fi
out=$1
users=${USERS:-200}      # accounts (about a third homed on each node)
seconds=${SECONDS_PER_RUN:-20}
rate=${RATE:-2.5}        # open loop: messages/s per connection (users x rate in all)
rounds=${ROUNDS:-2}
bench=$B/bench/irsp-bench
keys=$CLUSTER_DIR/keys
common=(--port "$CLUSTER_C2S_PORTS" --cluster-nodes "$CLUSTER_NAMES" --server-pid "$CLUSTER_PIDS"
        --cache-scram-keys "$keys" --users "$users" --ramp 100 --threads 2 --json)
note() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$out/load.txt"; }
: > "$out/load.txt"
note "cluster $CLUSTER_NAMES c2s $CLUSTER_C2S_PORTS pids $CLUSTER_PIDS; $(git -C "$repo" describe --always --dirty)"
note "register $users"
"$bench" "${common[@]}" --register --duration 0 --label "3-node cluster: registration" \
  > "$out/rt-register.json" 2> "$out/rt-register.log"
for r in $(seq "$rounds"); do
  for c in home away; do
    note "round $r $c closed loop"
    "$bench" "${common[@]}" --connect-to $c --scenario message --duration "$seconds" --warmup 3 \
      --label "3-node cluster, connect-to $c, closed loop" \
      > "$out/rt-$r-$c-closed.json" 2> "$out/rt-$r-$c-closed.log"
    sleep 2
    note "round $r $c open loop ${rate}/s per connection"
    "$bench" "${common[@]}" --connect-to $c --scenario message --rate "$rate" \
      --duration "$seconds" --warmup 3 --label "3-node cluster, connect-to $c, open loop" \
      > "$out/rt-$r-$c-open.json" 2> "$out/rt-$r-$c-open.log"
    sleep 2
  done
done
note "done"
for i in 0 1 2; do cp "$CLUSTER_DIR/node$i/node.log" "$out/rt-node$i.log"; done
