#!/bin/bash
# Starts N irsp-node processes as one cluster (issue 14) on 127.0.0.1 for benchmarks: certificates
# from one cluster CA (`irsp-node cluster init` / `cluster issue`), the first two nodes as seeds
# (the first serves the account store, with a backup on another member), as
# tests/e2e/cluster_fixtures.py does. Waits until every node has seen every other join and the store
# has its backup, prints the nodes, then runs COMMAND (or waits for a signal) and stops every node it
# started, on exit or on a signal. See bench/README.md ("Clusters: cluster.sh").
set -u

usage() {
  cat <<'EOF'
usage: bench/cluster.sh [--nodes N] [--build DIR] [--dir DIR] [--c2s-base P] [--cluster-base P]
                        [--node-args "ARGS"] [--ready-timeout S] [-- COMMAND ARGS...]
  --nodes N          nodes to start (default 3)
  --build DIR        build tree with node/irsp-node (default: build-rel, else build)
  --dir DIR          data directories DIR/node0 ... (kept; reused with their accounts and
                     certificates if they exist); default: a temp dir, removed at the end
  --c2s-base P       node i's c2s (STARTTLS) port is P+i (default: free ports)
  --cluster-base P   node i's cluster port is P+i (default: free ports)
  --node-args ARGS   more irsp-node options for every node (word-split)
  --ready-timeout S  seconds to wait for the cluster to form (default 120)
With COMMAND, it runs with these in its environment (comma-separated, node order), and the nodes
are stopped when it ends; its status is the script's:
  CLUSTER_C2S_PORTS  c2s (STARTTLS) ports       CLUSTER_PIDS   irsp-node process ids
  CLUSTER_NAMES      cluster names (host:port)  CLUSTER_DIR    the data directories' parent
Without COMMAND it prints the same lines and waits until SIGINT/SIGTERM.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
nodes=3 build="" dir="" c2s_base="" cluster_base="" node_args="" ready_timeout=120
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --c2s-base) c2s_base=$2; shift 2 ;;
    --cluster-base) cluster_base=$2; shift 2 ;;
    --node-args) node_args=$2; shift 2 ;;
    --ready-timeout) ready_timeout=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cluster.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$nodes" in ''|*[!0-9]*) echo "cluster.sh: --nodes wants a number" >&2; exit 2 ;; esac
[ "$nodes" -ge 1 ] || { echo "cluster.sh: --nodes must be at least 1" >&2; exit 2; }
if [ -z "$build" ]; then
  build=$here/../build-rel; [ -x "$build/node/irsp-node" ] || build=$here/../build
fi
node_bin=$build/node/irsp-node
[ -x "$node_bin" ] || { echo "cluster.sh: $node_bin not found (cmake --build $build --target irsp-node)" >&2; exit 2; }
node_bin=$(cd "$(dirname "$node_bin")" && pwd)/irsp-node

log() { echo "cluster.sh: $(date -u +%H:%M:%S) $*" >&2; }

keep_dir=1
if [ -z "$dir" ]; then
  dir=$(mktemp -d /tmp/irsp-cluster.XXXXXX); keep_dir=0
fi
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

pids=()
stop_all() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null && log "node $pid did not stop in 30 s: killed"
    wait "$pid" 2>/dev/null
  done
  [ ${#pids[@]} -gt 0 ] && log "stopped ${#pids[@]} nodes"
  [ "$keep_dir" = 0 ] && rm -rf "$dir"
  exit $rc
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free TCP ports on 127.0.0.1 (the kernel's choice; closed again, so a race with another program
# is possible but unlikely).
free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
if [ -n "$cluster_base" ]; then
  cluster_ports=(); for i in $(seq 0 $((nodes - 1))); do cluster_ports+=($((cluster_base + i))); done
else
  read -ra cluster_ports <<< "$(free_ports "$nodes")"
fi
names=(); for p in "${cluster_ports[@]}"; do names+=("127.0.0.1:$p"); done
seeds=(--seed "${names[0]}"); [ "$nodes" -gt 1 ] && seeds+=(--seed "${names[1]}")

# Certificates: the CA on node0, one node certificate each (kept when the directory is reused).
for i in $(seq 0 $((nodes - 1))); do
  d=$dir/node$i
  [ -f "$d/cluster/node.pem" ] && continue
  if [ "$i" = 0 ]; then
    "$node_bin" cluster init --data-dir "$d" --node-name node0 > "$dir/certs.log" 2>&1
  else
    "$node_bin" cluster issue --ca-dir "$dir/node0/cluster/ca" --data-dir "$d" \
      --node-name "node$i" >> "$dir/certs.log" 2>&1
  fi || { log "certificates for node$i failed:"; cat "$dir/certs.log" >&2; exit 1; }
done

c2s_ports=()
for i in $(seq 0 $((nodes - 1))); do
  d=$dir/node$i
  c2s=0; [ -n "$c2s_base" ] && c2s=$((c2s_base + i))
  # shellcheck disable=SC2086 # --node-args is word-split on purpose
  "$node_bin" --data-dir "$d" --c2s-port $c2s --c2s-tls-port 0 --cluster-listen "${names[$i]}" \
    "${seeds[@]}" $node_args >> "$d/node.log" 2>&1 < /dev/null &
  pids+=($!)
  # The next node starts once this one listens (a seed must be up for the others to join).
  for _ in $(seq $((ready_timeout * 5))); do
    line=$(grep 'xmpp clients on' "$d/node.log" | tail -1)
    [ -n "$line" ] && break
    kill -0 "${pids[$i]}" 2>/dev/null || { log "node$i exited:"; tail -20 "$d/node.log" >&2; exit 1; }
    sleep 0.2
  done
  [ -n "$line" ] || { log "node$i never listened"; tail -20 "$d/node.log" >&2; exit 1; }
  port=$(sed -n 's/.*xmpp clients on [^ ]*:\([0-9]*\) (STARTTLS).*/\1/p' <<< "$line")
  c2s_ports+=("$port")
done

# Ready: every node saw every other join; each shard of the store has a backup (2+ nodes).
deadline=$((SECONDS + ready_timeout))
for i in $(seq 0 $((nodes - 1))); do
  for j in $(seq 0 $((nodes - 1))); do
    [ "$i" = "$j" ] && continue
    until grep -q "member ${names[$j]} (" "$dir/node$i/node.log"; do
      [ $SECONDS -lt $deadline ] || { log "node$i never saw ${names[$j]} join"; exit 1; }
      sleep 0.2
    done
  done
done
# One shard per seed (the first two nodes), each served by its seed.
if [ "$nodes" -gt 1 ]; then
  for k in 0 1; do
    until grep -q "account store shard $k: backup is" "$dir/node$k/node.log"; do
      [ $SECONDS -lt $deadline ] || { log "shard $k of the account store has no backup"; exit 1; }
      sleep 0.2
    done
  done
fi

join() { local IFS=,; echo "$*"; }
export CLUSTER_C2S_PORTS; CLUSTER_C2S_PORTS=$(join "${c2s_ports[@]}")
export CLUSTER_PIDS; CLUSTER_PIDS=$(join "${pids[@]}")
export CLUSTER_NAMES; CLUSTER_NAMES=$(join "${names[@]}")
export CLUSTER_DIR=$dir
log "$nodes nodes ready, logs in $dir/node*/node.log"
echo "CLUSTER_C2S_PORTS=$CLUSTER_C2S_PORTS"
echo "CLUSTER_PIDS=$CLUSTER_PIDS"
echo "CLUSTER_NAMES=$CLUSTER_NAMES"
echo "CLUSTER_DIR=$CLUSTER_DIR"

if [ $# -gt 0 ]; then
  "$@"
  exit $?
fi
log "waiting; SIGINT or SIGTERM stops the nodes"
while :; do sleep 1; done
