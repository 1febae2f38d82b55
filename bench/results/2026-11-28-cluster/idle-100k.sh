#!/bin/bash
# Issue 14, row 2: six irsp-node processes (one cluster) hold USERS idle TLS sessions logged in by
# one irsp-bench run (several worker processes, source addresses and ports).
# Phase "register": a fresh 6-node cluster, in-band registration (XEP-0077) of every account at
# REG_RAMP/s (it logs each in too, which fills the SCRAM key cache); then the cluster is stopped.
# Phase "hold": the same data dirs restarted (fresh processes), every account logs in at RAMP/s
# with cached keys and holds HOLD s; sample.sh records each node's RSS, CPU and open files.
# Usage: idle-100k.sh register|hold [OUT]   (env: USERS, NODES, REG_RAMP, RAMP, HOLD, DATA, BUILD)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
B=${BUILD:-$repo/build-rel}
users=${USERS:-100000}; nodes=${NODES:-6}
data=${DATA:-/tmp/irsp-cluster-100k}
phase=$1
if [ -z "${CLUSTER_PIDS:-}" ]; then
  out=${2:-$here}; mkdir -p "$out" "$data"; out=$(cd "$out" && pwd)
  # Fixed ports: the node names (cluster listen addresses) stay the same across the two phases.
  exec "$repo/bench/cluster.sh" --nodes "$nodes" --build "$B" --dir "$data" \
    --cluster-base "${CLUSTER_BASE:-47100}" --c2s-base "${C2S_BASE:-47200}" -- "$0" "$phase" "$out"
fi
out=$2
bench=$B/bench/irsp-bench
note() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$out/idle-load.txt"; }
note "$phase: cluster $CLUSTER_NAMES c2s $CLUSTER_C2S_PORTS pids $CLUSTER_PIDS; $(git -C "$repo" describe --always --dirty)"
common=(--port "$CLUSTER_C2S_PORTS" --server-pid "$CLUSTER_PIDS" --cache-scram-keys "$data/keys"
        --users "$users" --login-timeout 600 --threads 1 --json)
"$here/sample.sh" "$CLUSTER_PIDS" 5 "$out/idle-$phase-samples.txt" &
sampler=$!
trap 'kill $sampler 2>/dev/null' EXIT
case "$phase" in
  register)
    # From 127.0.0.1 only: the nodes allow 10 registrations per hour per other address
    # (--registrations-per-hour; 127.0.0.1 and ::1 are exempt), and 127.0.0.2... are others.
    "$bench" "${common[@]}" --register --source-addresses 1 --ramp "${REG_RAMP:-60}" --duration 0 \
      --label "$nodes-node cluster: registration of $users" \
      > "$out/idle-register.json" 2> "$out/idle-register.log" ;;
  hold)
    hold=${HOLD:-120}
    "$bench" "${common[@]}" --ramp "${RAMP:-250}" --duration "$hold" --warmup 30 \
      --label "$nodes-node cluster: $users idle sessions" \
      > "$out/idle-hold.json" 2> "$out/idle-hold.log" ;;
esac
note "$phase: irsp-bench exit $?"
for i in $(seq 0 $((nodes - 1))); do cp "$CLUSTER_DIR/node$i/node.log" "$out/idle-$phase-node$i.log"; done
