#!/bin/sh
# Issue 15: device notifications before (6ffe062) and after (bebaf20: the lifecycle writer batches appends) the
# durable lifecycle stream, alternating old/new in one session so that the
# ratios come from neighbouring runs on this noisy shared machine.
# OLD and NEW are the two builds' bench_routing; OUT the folder for raw output.
set -eu
OLD=${OLD:-/work/wt/bench-old/build/bench/bench_routing}
NEW=${NEW:-/work/wt/bench-new/build/bench/bench_routing}
OUT=${OUT:-$(dirname "$0")}
ROUNDS=${ROUNDS:-2}
ARGS="--benchmark_filter=notification --benchmark_min_time=1 --benchmark_repetitions=3"
{
  date -u
  echo "nproc: $(nproc)"
  lscpu | grep -E 'Model name|Hypervisor|Thread|MHz'
  free -m | head -2
  df -hT /tmp | tail -1
} > "$OUT/machine.txt"
: > "$OUT/load.txt"
i=1
while [ "$i" -le "$ROUNDS" ]; do
  for which in old new; do
    bin=$OLD; [ "$which" = new ] && bin=$NEW
    echo "round $i $which start $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/load.txt"
    "$bin" $ARGS --benchmark_out="$OUT/round$i-$which.json" --benchmark_out_format=json \
      > "$OUT/round$i-$which.txt" 2>&1
    echo "round $i $which end   $(date -u +%T) $(cat /proc/loadavg)" >> "$OUT/load.txt"
  done
  i=$((i + 1))
done
