#!/usr/bin/python3
"""Inbound HTTPS (§8.8.3) load: signed requests to the built-in echo app of a
fresh irsp-node, from a thread pool of keep-alive HTTPS connections; prints
requests/s, latency percentiles and the statuses seen. A benchmark, not a test.

  /usr/bin/python3 bench/https_inbound_load.py --node build/node/irsp-node \\
      [--threads 8] [--seconds 10] [--payload 100]
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections import Counter


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(key_id, secret, path, body):
    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    canonical = "\n".join(["IRSP-HMAC-SHA256", "POST", path, ts, nonce,
                           hashlib.sha256(body).hexdigest()])
    sig = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    return {"X-IRSP-Key": key_id, "X-IRSP-Timestamp": ts, "X-IRSP-Nonce": nonce,
            "X-IRSP-Signature": sig, "Content-Type": "application/json"}


def worker(port, ctx, key_id, secret, body, deadline, latencies, statuses, counts):
    path = "/v1/apps/echo/messages"
    conn = None
    while time.monotonic() < deadline:
        if conn is None:
            conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
            counts["connections"] += 1
        start = time.perf_counter()
        try:
            conn.request("POST", path, body, signed(key_id, secret, path, body))
            r = conn.getresponse()
            r.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = None
            counts["reconnects"] += 1
            continue
        latencies.append(time.perf_counter() - start)
        statuses[r.status] += 1
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
    if conn is not None:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", default="build/node/irsp-node")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--payload", type=int, default=100)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="irsp-https-bench-")
    node = None
    try:
        out = subprocess.run([a.node, "key", "create", "--name", "bench", "--data-dir", d],
                             capture_output=True, text=True, check=True).stdout
        key_id, secret = out.split()
        port = free_port()
        node = subprocess.Popen([a.node, "--data-dir", d, "--c2s-port", str(free_port()),
                                 "--c2s-tls-port", str(free_port()),
                                 "--https-listen", "127.0.0.1:%d" % port],
                                stderr=subprocess.PIPE, text=True)
        for line in node.stderr:
            if "irsp-node: running" in line:
                break
        threading.Thread(target=lambda: node.stderr.read(), daemon=True).start()
        ctx = ssl.create_default_context(cafile=os.path.join(d, "tls", "cert.pem"))
        body = json.dumps({"payload": "x" * a.payload}).encode()
        latencies, statuses, counts = [], Counter(), Counter()
        deadline = time.monotonic() + a.seconds
        cpu0 = os.times()
        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(port, ctx, key_id, secret, body,
                                                         deadline, latencies, statuses, counts))
                   for _ in range(a.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        cpu1 = os.times()
        with open("/proc/%d/stat" % node.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        node_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        latencies.sort()
        pct = lambda p: 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]
        print("threads %d, %.1f s, payload %d octets" % (a.threads, wall, a.payload))
        print("requests %d, %.0f req/s; statuses %s; connections %d (reconnects %d)"
              % (len(latencies), len(latencies) / wall, dict(statuses), counts["connections"],
                 counts["reconnects"]))
        print("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f"
              % (pct(0.5), pct(0.9), pct(0.99), 1000 * latencies[-1]))
        print("CPU s: load generator %.1f, irsp-node %.1f"
              % (cpu1.user - cpu0.user + cpu1.system - cpu0.system, node_cpu))
    finally:
        if node is not None:
            node.terminate()
            node.wait(timeout=30)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
