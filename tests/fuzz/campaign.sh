#!/usr/bin/env bash
# The long fuzz campaign (README.md here): builds the fuzz targets with clang-14
# in build-fuzz/, runs every target at once, each until it has used CPU_SECONDS
# of CPU time (default 900: one CPU-hour for the four), and prints one
# summary line per target. Corpora grow in build-fuzz/campaign/TARGET/corpus
# and carry over to the next campaign; crash inputs land in
# build-fuzz/campaign/TARGET/. Exits non-zero if any target crashed.
#   bash tests/fuzz/campaign.sh [CPU_SECONDS] [TARGET...]
# The fuzzers run under nice (IRSP_FUZZ_NICE, default 10): on a shared machine
# they take the CPU nobody else wants, so the wall time can be much longer than
# CPU_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
budget=${1:-900}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(xml_stream sasl_server stanza_mapping tls_record_layer)
build=build-fuzz
out=$build/campaign
nice_level=${IRSP_FUZZ_NICE:-10}

cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DIRSP_FUZZ=ON > /dev/null
nice -n "$nice_level" cmake --build "$build" --target irsp_fuzzers

ticks=$(getconf CLK_TCK)
cpu_ticks() { # utime + stime of a live process, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0
}

declare -A pid used
mkdir -p "$out"
for t in "${targets[@]}"; do
  # A wall-clock bound too, far beyond the CPU budget, in case of a hang.
  nice -n "$nice_level" sh tests/fuzz/run_fuzzer.sh "$build/tests/fuzz/fuzz_$t" "$out/$t" \
    -max_total_time=$((budget * 50)) -print_final_stats=1 > "$out/$t.log" 2>&1 &
  pid[$t]=$!
  used[$t]=0
done
echo "fuzzing ${targets[*]} for $budget CPU seconds each; logs in $out/"

# libFuzzer's own limits are wall-clock time; stop each target on CPU time
# instead, so that a campaign means the same on a busy machine as on an idle one.
running=${#targets[@]}
while ((running > 0)); do
  sleep 5
  running=0
  for t in "${targets[@]}"; do
    p=${pid[$t]}
    kill -0 "$p" 2> /dev/null || continue
    used[$t]=$(cpu_ticks "$p")
    if ((used[$t] >= budget * ticks)); then
      kill -INT "$p"
    else
      running=$((running + 1))
    fi
  done
done

status=0
for t in "${targets[@]}"; do
  wait "${pid[$t]}" || true
  # libFuzzer's last status line: "#RUNS kind cov: C ft: F corp: N/SIZE ..."
  last=$(grep -aE '^#[0-9]+' "$out/$t.log" | tail -1)
  runs=$(sed -E 's/^#([0-9]+).*/\1/' <<< "$last")
  cov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<< "$last")
  ft=$(sed -E 's/.*ft: ([0-9]+).*/\1/' <<< "$last")
  corp=$(sed -E 's/.*corp: ([^ ]+).*/\1/' <<< "$last")
  cpu=$((used[$t] / ticks))
  crashes=$(find "$out/$t" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  echo "$t: ${cpu} CPU s, ${runs} runs, $((runs / (cpu > 0 ? cpu : 1))) runs per CPU s," \
       "cov ${cov}, ft ${ft}, corpus ${corp}, crash inputs ${crashes}"
  ((crashes == 0)) || status=1
done
exit $status
