#!/bin/bash
# Every INTERVAL s until killed: one line per node (time, pid, VmRSS kB, utime+stime ticks, open
# files) and one for the irsp-bench processes together, plus the load average.
# Usage: sample.sh PID,PID,... INTERVAL OUTFILE
set -u
IFS=, read -ra pids <<< "$1"
interval=$2; out=$3
echo "# t_epoch what pid rss_kb cpu_ticks(hz=$(getconf CLK_TCK)) fds | load" > "$out"
while :; do
  t=$(date +%s.%N | cut -c1-14)
  for p in "${pids[@]}"; do
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null)
    cpu=$(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null)
    fds=$(ls /proc/$p/fd 2>/dev/null | wc -l)
    echo "$t node $p ${rss:-0} ${cpu:-0} $fds" >> "$out"
  done
  crss=0 ccpu=0 n=0
  for p in $(pgrep -x irsp-bench); do
    r=$(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null); c=$(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null)
    crss=$((crss + ${r:-0})); ccpu=$((ccpu + ${c:-0})); n=$((n + 1))
  done
  echo "$t client $n $crss $ccpu 0 | $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
  sleep "$interval"
done
