"""The table of bench/RESULTS.md (issue 16) from round-trips.sh's JSON files."""
import json
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "raw"
print("| round | loop | echo of | round trips/s | p50 ms | p90 ms | p99 ms | max ms "
      "| errors/lost/timeouts | server CPU µs/rt (2 nodes) |")
print("|---|---|---|---:|---:|---:|---:|---:|---|---:|")
for r in (1, 2):
    for loop in ("closed", "open"):
        for d in ("as1.example", "as2.example"):
            j = json.load(open("%s/round%d-%s-%s.json" % (out, r, loop, d)))
            t, lat = j["traffic"], j["traffic"]["latency_us"]
            print("| %d | %s | %s | %s | %.2f | %.2f | %.2f | %.1f | %d/%d/%d | %.0f |" % (
                r, loop, "as1 (same AS)" if d == "as1.example" else "as2 (over the link)",
                "{:,.0f}".format(t["round_trips_per_s"]).replace(",", " "),
                lat["p50"] / 1000, lat["p90"] / 1000, lat["p99"] / 1000, lat["max"] / 1000,
                t["errors"], t["lost"], t["timeouts"], j["server"]["cpu_us_per_round_trip"]))
