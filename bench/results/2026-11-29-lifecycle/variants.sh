#!/bin/sh
# Issue 15, variants of the new build beside the old one, alternating in one
# session: WAL sync off (what the stream costs without its fsync) and more
# account-server workers (how far group commit goes with 16 devices; a node
# runs 4 by default). Needs bench_routing with the IRSP_BENCH_* knobs.
set -eu
OLD=${OLD:-/work/wt/bench-old/build/bench/bench_routing}
NEW=${NEW:-/work/wt/bench-new/build/bench/bench_routing}
OUT=${OUT:-$(dirname "$0")}
ROUNDS=${ROUNDS:-2}
ARGS="--benchmark_filter=notification --benchmark_min_time=1 --benchmark_repetitions=3"
: > "$OUT/variants-load.txt"
run() { # name binary env...
  name=$1 bin=$2; shift 2
  echo "$name start $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/variants-load.txt"
  env "$@" "$bin" $ARGS --benchmark_out="$OUT/$name.json" --benchmark_out_format=json \
    > "$OUT/$name.txt" 2>&1
  echo "$name end   $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/variants-load.txt"
}
i=1
while [ "$i" -le "$ROUNDS" ]; do
  run "v$i-old" "$OLD"
  run "v$i-new" "$NEW"
  run "v$i-new-nosync" "$NEW" IRSP_BENCH_SYNC_WRITES=0
  run "v$i-new-workers4" "$NEW" IRSP_BENCH_ACCOUNT_WORKERS=4
  run "v$i-new-workers16" "$NEW" IRSP_BENCH_ACCOUNT_WORKERS=16
  i=$((i + 1))
done
