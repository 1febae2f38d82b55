#!/usr/bin/python3
"""Row 2 table from idle-100k.sh's outputs: per node, the sessions' open files, RSS and CPU over
the idle window (every node's open files within 0.5 % of its peak, from 30 s after the last node
reached it until the last such sample), and the totals; plus the run's login figures.
Usage: idle_summary.py [DIR] [PHASE]   (PHASE: hold, the default, or register)"""
import json
import os
import sys

d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
phase = sys.argv[2] if len(sys.argv) > 2 else "hold"
hz = 100
rows = {}    # pid -> [(t, rss, ticks, fds)]
client = []  # (t, n, rss, ticks)
for line in open(os.path.join(d, "idle-%s-samples.txt" % phase)):
    if line.startswith("#"):
        hz = int(line.split("hz=")[1].split(")")[0])
        continue
    f = line.split()
    if f[1] == "node":
        rows.setdefault(f[2], []).append((float(f[0]), int(f[3]), int(f[4]), int(f[5])))
    else:
        client.append((float(f[0]), int(f[2]), int(f[3]), int(f[4])))
pids = list(rows)
peak = {p: max(s[3] for s in rows[p]) for p in pids}
n = min(len(rows[p]) for p in pids)
full = [i for i in range(n) if all(rows[p][i][3] >= 0.995 * peak[p] for p in pids)]
if not full:
    sys.exit("no sample with every node at its peak")
t_full = rows[pids[0]][full[0]][0]
window = [i for i in full if rows[pids[0]][i][0] >= t_full + 30] or full
a, b = window[0], window[-1]
secs = rows[pids[0]][b][0] - rows[pids[0]][a][0]
print("idle window: %.0f s (%d samples, from %.0f s after every node reached its peak open files)"
      % (secs, len(window), rows[pids[0]][a][0] - t_full))
print()
print("| node | open files (peak) | RSS MiB at window end | CPU % of a core over the window |")
print("|---|---:|---:|---:|")
tot_rss = tot_cpu = 0
for i, p in enumerate(pids):
    rss = rows[p][b][1] / 1024
    cpu = (rows[p][b][2] - rows[p][a][2]) / hz / secs * 100 if secs > 0 else 0
    tot_rss += rss
    tot_cpu += cpu
    print("| node%d (pid %s) | %d | %.1f | %.2f |" % (i, p, peak[p], rss, cpu))
print("| **all %d nodes** | %d | **%.1f** | **%.2f** |" % (len(pids), sum(peak.values()), tot_rss, tot_cpu))
ct = [c for c in client if rows[pids[0]][a][0] - 0.5 <= c[0] <= rows[pids[0]][b][0] + 0.5]
if len(ct) >= 2:
    print("| irsp-bench (%d processes) | | %.1f | %.2f |" % (
        ct[-1][1], ct[-1][2] / 1024, (ct[-1][3] - ct[0][3]) / hz / secs * 100 if secs > 0 else 0))
j = json.load(open(os.path.join(d, "idle-%s.json" % phase)))
L = j["login"]
print()
print("logins: %d attempted, %d ready, %d failed %s; %.1f/s offered→completed %.1f/s; "
      "login p50 %.1f ms, p99 %.1f ms; server CPU %.2f ms/login (all nodes), client %.2f ms/login"
      % (L["attempted"], L["ready"], L["failed"], L["failures"], L["rate_per_s"],
         L["completed_per_s"], L["latency_us"]["p50"] / 1e3, L["latency_us"]["p99"] / 1e3,
         j["server"].get("cpu_ms_per_login", 0), j["client_cpu_ms_per_login"]))
print("server RSS: %.1f MiB before, %.1f MiB logged in (%.1f KiB per session, all nodes)"
      % (j["server"]["before"]["rss_kib"] / 1024, j["server"]["connected"]["rss_kib"] / 1024,
         j["server"].get("kib_per_connection", 0)))
if "idle" in j:
    print("irsp-bench's own idle figures: %d sessions, %.1f s window, server %.2f %% of a core "
          "(6 nodes summed), client %.2f %%" % (j["idle"]["sessions"], j["idle"]["window_seconds"],
          j["idle"].get("server_cpu_percent", -1), j["idle"]["client_cpu_percent"]))
print("warnings:", j["warnings"])
