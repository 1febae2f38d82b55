#!/usr/bin/python3
"""Issue 15: notifications/s old vs new per round (median of 3 repetitions,
cv across them) and the ratio new/old within each round, from round*-*.json."""
import glob, json, os, statistics, sys

here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

def rates(path):
    out = {}
    with open(path) as f:
        for b in json.load(f)["benchmarks"]:
            if b.get("run_type") != "iteration" or "items_per_second" not in b:
                continue
            out.setdefault(b["run_name"], []).append(b["items_per_second"])
    return out

rounds = sorted({os.path.basename(p).split("-")[0] for p in glob.glob(os.path.join(here, "round*-old.json"))})
names = None
print("| round | benchmark | old /s (cv) | new /s (cv) | new/old |")
print("|---|---|---:|---:|---:|")
ratios = {}
for r in rounds:
    old = rates(os.path.join(here, r + "-old.json"))
    new = rates(os.path.join(here, r + "-new.json"))
    for name in old:
        o, n = old[name], new.get(name, [])
        if not n:
            print(f"| {r} | {name} | {statistics.median(o):,.0f} | (none) | |")
            continue
        mo, mn = statistics.median(o), statistics.median(n)
        cv = lambda xs: statistics.pstdev(xs) / statistics.mean(xs) * 100
        ratios.setdefault(name, []).append(mn / mo)
        print(f"| {r[5:]} | {name} | {mo:,.0f} ({cv(o):.0f} %) | {mn:,.0f} ({cv(n):.0f} %) | {mn / mo:.3f} |")
print()
print("| benchmark | new/old per round | median |")
print("|---|---|---:|")
for name, rs in ratios.items():
    print(f"| {name} | {', '.join(f'{x:.3f}' for x in rs)} | {statistics.median(rs):.3f} |")
