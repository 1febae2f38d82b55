#!/usr/bin/python3
"""Row 1 table from round-trips.sh's JSON: each run's rate, latency and CPU, and the away/home
ratios of runs next to each other in the same round. Usage: summarize.py [DIR]"""
import glob
import json
import os
import sys

d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
runs = {}
for f in sorted(glob.glob(os.path.join(d, "rt-*-*-*.json"))):
    _, rnd, where, loop = os.path.basename(f)[:-5].split("-")
    runs[(rnd, loop, where)] = json.load(open(f))

def ms(j, k):
    return j["traffic"]["latency_us"][k] / 1000

print("| round | loop | connect-to | round trips/s | p50 ms | p90 ms | p99 ms | max ms | server CPU µs/rt (3 nodes) | client CPU s | errors+lost+timeouts |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for (rnd, loop, where), j in sorted(runs.items()):
    t = j["traffic"]
    print("| %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f | %d |" % (
        rnd, loop, where, t["round_trips_per_s"], ms(j, "p50"), ms(j, "p90"), ms(j, "p99"),
        ms(j, "max"), j["server"]["cpu_us_per_round_trip"], j["client_cpu_seconds"]["after_login"],
        t["errors"] + t["lost"] + t["timeouts"]))
print()
print("| round | loop | away/home: p50 | p90 | p99 | round trips/s | server CPU per rt |")
print("|---|---|---:|---:|---:|---:|---:|")
for (rnd, loop, where), h in sorted(runs.items()):
    if where != "home" or (rnd, loop, "away") not in runs:
        continue
    a = runs[(rnd, loop, "away")]
    r = lambda k: ms(a, k) / ms(h, k)
    print("| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
        rnd, loop, r("p50"), r("p90"), r("p99"),
        a["traffic"]["round_trips_per_s"] / h["traffic"]["round_trips_per_s"],
        a["server"]["cpu_us_per_round_trip"] / h["server"]["cpu_us_per_round_trip"]))
