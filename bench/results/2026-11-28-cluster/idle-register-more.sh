#!/bin/bash
# After idle-100k.sh register refused 1 032 registrations (resource-constraint, all after the
# 93 000th login): register again bench91000 ... bench99999 (prefix bench9, i = 1000 ... 9999;
# i < 1000 are older accounts again, which answer conflict and count as registered).
set -u
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../../.." && pwd)
B=${BUILD:-$repo/build-rel}; data=${DATA:-/tmp/irsp-cluster-100k}
exec "$repo/bench/cluster.sh" --nodes 6 --build "$B" --dir "$data" --cluster-base 47100 \
  --c2s-base 47200 -- bash -c "echo \"\$(date -u +%T) load \$(cut -d' ' -f1-3 /proc/loadavg) register-more\" >> '$here/idle-load.txt';
  '$B/bench/irsp-bench' --port \$CLUSTER_C2S_PORTS --server-pid \$CLUSTER_PIDS --cache-scram-keys '$data/keys' \
  --prefix bench9 --users 10000 --register --source-addresses 1 --ramp 100 --duration 0 --login-timeout 600 --json \
  > '$here/idle-register-more.json' 2> '$here/idle-register-more.log'"
