"""Issue 14: how long the account store is unavailable when the node serving
it is killed, fenced by etcd (three nodes and etcd on 127.0.0.1, as the e2e
fixtures start them). Run from the build tree:

    IRSP_NODE=build/node/irsp-node /usr/bin/python3 bench/store_takeover.py
"""
import asyncio
import os
import sys
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from cluster_fixtures import Cluster, Etcd
import xmpp_support as xs
async def main():
    with Etcd() as etcd:
        c = Cluster(3, etcd=etcd.url).__enter__()
        try:
            b = c.names.index(c.backup())
            t = next(i for i in range(3) if i not in (0, b))
            t0 = time.monotonic()
            c.nodes[0].kill()
            line = c.nodes[b].wait_for_log("account store: primary is %s" % c.names[b], 30)
            t1 = time.monotonic()
            c.nodes[b].wait_for_log("account store: backup is %s" % c.names[t], 30)
            t2 = time.monotonic()
            k = 0
            while True:
                k += 1
                try:
                    client, reply = await xs.register(c.nodes[t], "m%d" % k, "password1", None)
                    await client.close()
                    if xs.status_of(reply) == "ok":
                        break
                except AssertionError:
                    pass  # refused while the store was unavailable
            t3 = time.monotonic()
            print("primary after %.2f s, backup after %.2f s, first ok registration after %.2f s (%d tries)" % (t1-t0, t2-t0, t3-t0, k))
        finally:
            c.__exit__(None, None, None)
asyncio.run(main())
