#!/bin/sh
# Issue 16: the echo round trip (upload to echo@apps.D, push back) by the same
# clients of as1.example, to as1's own echo (same AS) and to as2's (over the
# AS link: upload and its answer, push and its answer cross it), alternating
# twice on the same two running irsp-node processes.
# Usage: round-trips.sh BUILD_DIR OUT_DIR
set -eu
build=$1
out=$2
mkdir -p "$out"
tmp=$(mktemp -d)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
node=$build/node/irsp-node
bench=$build/bench/irsp-bench
for as in as1 as2; do
  mkdir -p "$tmp/$as"
  "$node" cluster init --data-dir "$tmp/$as" --node-name "link.$as" >/dev/null
done
link=$(free_port); c1=$(free_port); t1=$(free_port); c2=$(free_port); t2=$(free_port)
"$node" --data-dir "$tmp/as2" --domain as2.example --c2s-port "$c2" --c2s-tls-port "$t2" \
  --as-peer "domain=as1.example,ca=$tmp/as1/cluster/ca.pem,listen=127.0.0.1:$link" \
  2>"$out/as2.log" &
pid2=$!
"$node" --data-dir "$tmp/as1" --domain as1.example --c2s-port "$c1" --c2s-tls-port "$t1" \
  --as-peer "domain=as2.example,ca=$tmp/as2/cluster/ca.pem,connect=127.0.0.1:$link" \
  2>"$out/as1.log" &
pid1=$!
trap 'kill $pid1 $pid2 2>/dev/null; wait; rm -rf "$tmp"' EXIT
i=0
until grep -q "as-link as2.example: up" "$out/as1.log"; do
  i=$((i + 1)); [ $i -lt 300 ] || { echo "link never up" >&2; exit 1; }; sleep 0.1
done
common="--port $c1 --domain as1.example --users 50 --json"
"$bench" $common --register --scenario connect --duration 1 --warmup 0 >/dev/null
uptime >"$out/load.txt"
for round in 1 2; do
  for loop in closed open; do
    rate=0; [ $loop = open ] && rate=4
    for where in as1.example as2.example; do
      "$bench" $common --scenario echo --warmup 3 --duration 15 --rate $rate \
        --echo-domain $where --server-pid "$pid1,$pid2" \
        >"$out/round$round-$loop-$where.json"
      uptime >>"$out/load.txt"
    done
  done
done
