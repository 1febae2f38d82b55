#!/usr/bin/python3
"""bench/compare_report.py: the table and plot of a bench/compare.sh run.

  compare_report.py report OUT_DIR   writes OUT_DIR/table.md and OUT_DIR/logins.png
  compare_report.py field FILE PATH  prints one value of an irsp-bench JSON report
                                     (PATH like login.rate_per_s); 0 if absent

Reads OUT_DIR/manifest.tsv (server, kind, offered rate, JSON file per line, as compare.sh wrote
it) and OUT_DIR/machine.txt. Runs under Debian's /usr/bin/python3 with python3-matplotlib.
"""
import json
import os
import sys

NAMES = {"irsp": "IRSP", "prosody": "Prosody", "ejabberd": "ejabberd"}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None  # irsp-bench failed before writing its report


def get(doc, path, default=None):
    for key in path.split("."):
        if not isinstance(doc, dict) or key not in doc or doc[key] is None:
            return default
        doc = doc[key]
    return doc


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, (int,)) or (isinstance(value, float) and value >= 1000):
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}f}"


def read_manifest(out):
    rows = []
    with open(os.path.join(out, "manifest.tsv")) as f:
        for line in f:
            server, kind, offered, path = line.rstrip("\n").split("\t")
            # Read from beside the manifest, so that a copied results directory still works.
            local = os.path.join(out, "json", os.path.basename(path))
            rows.append({"server": server, "kind": kind, "offered": float(offered),
                         "doc": load(local), "file": os.path.basename(path)})
    return rows


def label(rows, server):
    for r in rows:
        if r["server"] == server and get(r["doc"], "label"):
            return get(r["doc"], "label")
    return NAMES.get(server, server)


def failed(doc):
    return get(doc, "login.failed", 0)


def failures_text(doc):
    reasons = get(doc, "login.failures", {}) or {}
    return "; ".join(f"{k} ×{v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])[:2])


def login_row(r, note=""):
    d = r["doc"]
    lat = get(d, "login.latency_us", {}) or {}
    return "| {} | {}{} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
        label_rows[r["server"]], r["kind"], note, fmt(r["offered"], 0),
        fmt(get(d, "login.completed_per_s")), fmt(lat.get("p50", 0) / 1e3 if lat else None),
        fmt(lat.get("p99", 0) / 1e3 if lat else None), fmt(failed(d), 0),
        fmt(get(d, "server.cpu_ms_per_login"), 2), fmt(get(d, "client_cpu_ms_per_login"), 2),
        ", ".join(f"{k}" for k in (get(d, "login.mechanisms", {}) or {})))


label_rows = {}


def report(out):
    rows = read_manifest(out)
    servers = []
    for r in rows:
        if r["server"] not in servers:
            servers.append(r["server"])
        label_rows[r["server"]] = label(rows, r["server"])
    machine = {}
    try:
        with open(os.path.join(out, "machine.txt")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                machine[k] = v
    except OSError:
        pass

    md = []
    md.append(f"# irsp-bench comparison, {machine.get('date_utc_start', '?')} – "
              f"{machine.get('date_utc_end', '?')}\n")
    md.append(f"`{machine.get('command', 'bench/compare.sh')}`, profile {machine.get('profile')}; "
              f"{machine.get('nproc')} cores ({machine.get('cpu')}), kernel {machine.get('kernel')}; "
              f"load average {machine.get('load_start')} at the start, {machine.get('load_end')} "
              f"at the end. SCRAM key cache {'on' if machine.get('key_cache') == '1' else 'off'}; "
              f"{machine.get('client_threads')} client threads per process. The servers ran one "
              f"at a time, each after the other, on the same machine as the client.\n")

    md.append("## Logins (SCRAM unless the row says PLAIN)\n")
    md.append("Offered: connections opened per second. Completed: sessions bound per second "
              "between the first and the last bound session. Latency: TCP connect to bound session, of the logins "
              "that completed. CPU per login: over the whole login phase, divided by completed "
              "logins.\n")
    md.append("| server | run | offered /s | completed /s | p50 ms | p99 ms | failed | "
              "server CPU ms / login | client CPU ms / login | mechanism |")
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in servers:
        for r in rows:
            if r["server"] == s and r["kind"] in ("ladder", "overload", "plain"):
                md.append(login_row(r))
    md.append("")

    md.append("## Summary\n")
    md.append("| | " + " | ".join(label_rows[s] for s in servers) + " |")
    md.append("|---|" + "---:|" * len(servers))

    def by(server, kind):
        return [r for r in rows if r["server"] == server and r["kind"] == kind]

    def line(title, fn):
        cells = []
        for s in servers:
            try:
                cells.append(fn(s))
            except (KeyError, IndexError, TypeError, ZeroDivisionError):
                cells.append("–")
        md.append(f"| {title} | " + " | ".join(cells) + " |")

    def peak(s):
        # As compare.sh: a step counts for at most what was offered.
        return max(min(get(r["doc"], "login.completed_per_s", 0) or 0, r["offered"])
                   for r in by(s, "ladder"))

    def registered(s):
        runs = by(s, "register") + by(s, "register-again")
        d = runs[-1]["doc"]
        return (f"{fmt(get(d, 'login.ready'), 0)} of {fmt(get(d, 'login.attempted'), 0)}"
                f" ({len(runs)} pass{'es' if len(runs) > 1 else ''}, "
                f"{fmt(get(runs[0]['doc'], 'login.completed_per_s'))}/s at first)")
    line("accounts registered in-band", registered)
    line("peak SCRAM logins/s (ladder)", lambda s: fmt(peak(s)))
    line("server CPU ms per SCRAM login at the peak", lambda s: fmt(get(max(
        by(s, "ladder"), key=lambda r: min(get(r["doc"], "login.completed_per_s", 0) or 0,
                                           r["offered"]))["doc"],
        "server.cpu_ms_per_login"), 2))

    def overload(s):
        r = by(s, "overload")[0]
        d = r["doc"]
        lat = get(d, "login.latency_us")
        return (f"{fmt(r['offered'], 0)} offered: {fmt(get(d, 'login.completed_per_s'))}/s "
                f"({100 * get(d, 'login.completed_per_s') / peak(s):.0f} % of peak), "
                f"p50 {fmt(lat['p50'] / 1e3)} / p99 {fmt(lat['p99'] / 1e3)} ms, "
                f"{fmt(failed(d), 0)} failed")
    line("2× overload", overload)

    def plain(s):
        r = by(s, "plain")[0]
        return (f"{fmt(get(r['doc'], 'login.completed_per_s'))}/s of {fmt(r['offered'], 0)} offered, "
                f"{fmt(get(r['doc'], 'server.cpu_ms_per_login'), 2)} ms CPU each")
    line("PLAIN logins", plain)

    def idle_cpu(kind):
        def cell(s):
            d = by(s, kind)[0]["doc"]
            return (f"{fmt(get(d, 'idle.server_cpu_percent'), 2)} % of a core "
                    f"({fmt(get(d, 'idle.sessions', 0), 0)} sessions, "
                    f"{fmt(get(d, 'idle.window_seconds'), 0)} s)")
        return cell
    line("idle server CPU, no session", idle_cpu("idle-0"))
    line("idle server CPU, N sessions", idle_cpu("idle-n"))
    line("KiB per session (fresh server)",
         lambda s: fmt(get(by(s, "idle-n")[0]["doc"], "server.kib_per_connection")))
    line("idle server CPU, N sessions logged in tsung-like (PLAIN, session IQ, 10 % replaced)",
         idle_cpu("idle-tsung"))

    def msg(kind):
        def cell(s):
            d = by(s, kind)[0]["doc"]
            lat = get(d, "traffic.latency_us")
            errors = get(d, "traffic.errors", 0) + get(d, "traffic.lost", 0)
            return (f"{fmt(get(d, 'traffic.round_trips_per_s'))}/s, p50 {fmt(lat['p50'] / 1e3, 2)}"
                    f" / p99 {fmt(lat['p99'] / 1e3, 2)} ms, "
                    f"{fmt(get(d, 'server.cpu_us_per_round_trip'), 0)} µs server CPU each"
                    + (f", {errors} errors or lost" if errors else ""))
        return cell
    line("self-message round trips, closed loop", msg("message"))
    line("self-message round trips, open loop", msg("message-open"))
    md.append("")
    md.append("Raw reports: `json/SERVER-RUN.json` beside this file (irsp-bench `--json`; "
              "latencies in µs).\n")
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    plot(out, rows, servers)


def plot(out, rows, servers):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    colours = {"irsp": "tab:blue", "prosody": "tab:orange", "ejabberd": "tab:green"}
    for s in servers:
        pts = sorted(((r["offered"], r["doc"]) for r in rows
                      if r["server"] == s and r["kind"] == "ladder" and r["doc"]),
                     key=lambda p: p[0])
        if not pts:
            continue
        x = [p[0] for p in pts]
        p50 = [max(get(d, "login.latency_us.p50", 0) / 1e3, 0.1) for _, d in pts]
        p99 = [max(get(d, "login.latency_us.p99", 0) / 1e3, 0.1) for _, d in pts]
        done = [get(d, "login.completed_per_s", 0) for _, d in pts]
        c = colours.get(s)
        name = label_rows.get(s, s)
        ax.plot(x, p50, "o-", color=c, label=f"{name} p50")
        ax.plot(x, p99, "s--", color=c, label=f"{name} p99")
        ax2.plot(x, done, "o-", color=c, label=name)
        over = [(r["offered"], r["doc"]) for r in rows
                if r["server"] == s and r["kind"] == "overload" and r["doc"]]
        for ox, d in over:
            ax.plot([ox], [max(get(d, "login.latency_us.p99", 0) / 1e3, 0.1)], "X", color=c,
                    markersize=12)
            ax2.plot([ox], [get(d, "login.completed_per_s", 0)], "X", color=c, markersize=12)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offered logins/s (log)")
    ax.set_ylabel("login latency, ms (log): connect to bound session")
    ax.set_title("SCRAM login latency vs offered rate (X: the 2× overload point)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    lim = max([r["offered"] for r in rows if r["kind"] in ("ladder", "overload")] or [1])
    low = min([r["offered"] for r in rows if r["kind"] in ("ladder", "overload")] or [1])
    ax2.plot([low, lim], [low, lim], ":", color="grey", label="completed = offered")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("offered logins/s (log)")
    ax2.set_ylabel("completed logins/s (log)")
    ax2.set_title("Completed vs offered SCRAM logins")
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "logins.png"), dpi=110)


def main(argv):
    if len(argv) == 4 and argv[1] == "field":
        doc = load(argv[2])
        print(get(doc, argv[3], 0) if doc else 0)
        return 0
    if len(argv) == 3 and argv[1] == "report":
        report(argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
