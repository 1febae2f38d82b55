#!/bin/bash
# 21 000 sessions on three IRSP nodes: one irsp-bench run, 3 worker processes, 2 source addresses.
set -u
B=/work/wt/bench/build
D=/tmp/big; rm -rf $D; mkdir -p $D
pids=""
for p in 37222 37322 37422; do
  $B/node/irsp-node --data-dir $D/n$p --c2s-port $p --c2s-tls-port $((p+1)) > $D/n$p.log 2>&1 < /dev/null &
  pids="$pids $!"
done
trap 'for x in $pids; do kill -TERM $x 2>/dev/null; done; sleep 30; for x in $pids; do kill -KILL $x 2>/dev/null; done' EXIT
sleep 5
list=$(echo $pids | tr ' ' ',')
echo "nodes: $list $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
$B/bench/irsp-bench --port 37222,37322,37422 --users 21000 --register --ramp 80 --duration 20 --warmup 5 \
  --login-timeout 600 --cache-scram-keys $D/keys --server-pid $list --threads 2 \
  --label "3 IRSP nodes, registration + login" > $D/register.txt 2> $D/register.log
echo "register rc=$? $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
sleep 5
for cache in off on; do
  args=(); [ $cache = on ] && args=(--cache-scram-keys $D/keys)
  $B/bench/irsp-bench --port 37222,37322,37422 --users 1500 --ramp 100 --duration 0 \
    --server-pid $list --threads 2 "${args[@]}" --label "key cache $cache" > $D/ab-$cache.txt 2> $D/ab-$cache.log
  echo "ab $cache rc=$? $(date -u +%H:%M:%S)"
  sleep 5
done
$B/bench/irsp-bench --port 37222,37322,37422 --users 21000 --ramp 250 --duration 20 --warmup 5 \
  --login-timeout 600 --cache-scram-keys $D/keys --server-pid $list --threads 2 \
  --label "3 IRSP nodes, cached-key logins" > $D/login.txt 2> $D/login.log
echo "login rc=$? $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
