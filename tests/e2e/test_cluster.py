"""One AS on three irsp-node processes (issue 14): slixmpp clients on
different nodes see each other's presence, message each other, bind and
reset codes across nodes; an upload on one node reaches an application on
another and its push comes back; the cluster port refuses garbage and peers
without the cluster's certificate; `cluster status` lists the members.
Every client uses slixmpp's defaults (only the certificate is trusted)."""

import asyncio
import os
import signal
import socket
import ssl
import sys
import unittest

from cluster_fixtures import Cluster, Etcd, home_of, name_homed_on, name_in_shard
from metrics_support import Scrape
import xmpp_support as xs
from xmpp_support import IRSP, q
from test_auth_limits import attempt_from
from test_c2s_stream_management import SmClient

PASSWORD = "password1"
DEVICE = ("Cam-1", "Acme", "SN42")


class ClusterTestCase(unittest.IsolatedAsyncioTestCase):
    """Scenarios sharing one cluster; each test uses its own accounts."""

    # Only node 0 hosts the built-in applications: uploads elsewhere must
    # cross nodes to reach them. Node 1 shows its metrics.
    extra = {1: ["--no-builtin-apps", "--metrics-listen", "127.0.0.1:0"],
             2: ["--no-builtin-apps"]}

    fenced = False  # ownership fenced by a real etcd

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd().__enter__() if cls.fenced else None
        try:
            cls.cluster = Cluster(3, extra=cls.extra,
                                  etcd=cls.etcd.url if cls.etcd else None).__enter__()
        except BaseException:
            if cls.etcd:
                cls.etcd.__exit__()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)
        if cls.etcd:
            cls.etcd.__exit__()

    def run(self, result=None):
        # A failure in a cluster is read in the nodes' logs: print what they
        # said during the failed test (CI keeps only this output).
        nodes = list(self.cluster.nodes)
        marks = [len(n.log) for n in nodes]
        failed = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > failed:
            for i, n in enumerate(self.cluster.nodes):
                since = marks[i] if i < len(nodes) and n is nodes[i] else 0
                sys.stderr.write("---- %s during %s:\n%s" % (self.cluster.names[i], self.id(),
                                                            "".join(n.log[since:][-400:])))
        return out

    async def asyncSetUp(self):
        self.clients = []

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()

    def node(self, i):
        return self.cluster.nodes[i]

    async def register(self, i, name, device=None):
        client, reply = await xs.register(self.node(i), name, PASSWORD, device)
        self.clients.append(client)
        self.assertEqual(xs.status_of(reply), "ok", reply)
        code = reply.xml.find(".//" + q(IRSP, "code"))
        return client, None if code is None else code.text

    async def login(self, i, name, resource=None):
        client, outcome = await xs.login(self.node(i), name, PASSWORD, resource=resource)
        self.clients.append(client)
        self.assertEqual(outcome, "session")
        return client

    async def log_after(self, node, start, needle, timeout=30):
        """Whether a line containing `needle` appears in `node`'s log after
        its first `start` lines, within `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if any(needle in line for line in node.log[start:]):
                return True
            await asyncio.sleep(0.1)
        return False

    def metric(self, node, name, **labels):
        """The value of a series on `node`, which must run with
        --metrics-listen; None if it shows none."""
        line = node.log_lines("metrics and health on http://")[-1]
        port = int(line.split("http://")[1].split("/metrics")[0].rsplit(":", 1)[1])
        return Scrape(port).get(name, **labels)

    async def bind(self, user, device, code):
        return await user.irsp_iq(
            "<bind-device xmlns='%s' device='%s@localhost' code='%s'/>" % (IRSP, device, code))


class ThreeNodes(ClusterTestCase):
    async def test_status_lists_every_member_alive(self):
        for i in range(3):
            code, out, err = self.cluster.status(i, via=(i + 1) % 3)
            self.assertEqual(code, 0, err)
            lines = out.splitlines()[1:]
            self.assertEqual(len(lines), 3, out)
            self.assertIn(self.cluster.names[i], lines[0])
            self.assertIn("self", lines[0])
            for other in lines[1:]:
                self.assertIn("alive", other)

    async def test_a_session_resumes_on_another_node(self):
        # XEP-0198 across nodes: a camera's link drops and its client comes
        # back through another node (as behind a load balancer). It resumes
        # its session there (slixmpp's own XEP-0198 plugin) and gets what was
        # sent meanwhile; its user never sees it go offline.
        user, _ = await self.register(0, "u-resume")
        reg, code = await self.register(1, "d-resume", device=DEVICE)
        await reg.close()
        self.assertEqual(xs.status_of(await self.bind(user, "d-resume", code)), "ok")
        cam = SmClient("d-resume@localhost/cam", PASSWORD)
        self.clients.append(cam)
        self.assertEqual(await cam.start(self.node(1)), "session")
        await asyncio.wait_for(cam.enabled, xs.WAIT)
        await user.presence_of("d-resume@localhost", "available")

        cam.drop()
        await cam.wait_disconnected()
        user.send_message(mto="d-resume@localhost", mbody="while away", mtype="chat")
        await cam.reconnect(self.node(2))  # fails unless resumed there
        got = await cam.next_message()
        self.assertEqual(got["body"], "while away")
        self.assertEqual(str(got["to"]), "d-resume@localhost/cam")
        # The resumed session works: a message, and an upload that crosses
        # to the application on node 0 and its push back.
        user.send_message(mto="d-resume@localhost", mbody="after", mtype="chat")
        self.assertEqual((await cam.next_message())["body"], "after")
        reply = await cam.irsp_iq("<upload xmlns='%s'>resumed</upload>" % IRSP,
                                  to="echo@apps.localhost")
        self.assertEqual(xs.status_of(reply), "accepted")
        self.assertEqual((await cam.next_push())[1], "resumed")
        # And again, from there to a third node.
        cam.resumed = asyncio.get_running_loop().create_future()
        cam.drop()
        await cam.wait_disconnected()
        user.send_message(mto="d-resume@localhost", mbody="second time", mtype="chat")
        await cam.reconnect(self.node(0))
        self.assertEqual((await cam.next_message())["body"], "second time")
        # Suspect while detached perhaps, but never offline.
        while not user.presences.empty():
            p = user.presences.get_nowait()
            if p["from"].bare == "d-resume@localhost":
                self.assertNotEqual(p["type"], "unavailable", p)

    async def test_the_guessing_limits_are_the_clusters(self):
        # Wrong passwords for one account from one address count on every
        # node: five on node 0 use up that address's allowance for the
        # account on node 1 too (each node alone allows five), while the
        # owner, from another address, still gets in there.
        client, _ = await self.register(0, "guessed")
        await client.close()
        heard = lambda: self.metric(self.node(1), "irsp_auth_news_heard_total", kind="failure")
        before = heard()
        for _ in range(5):
            self.assertEqual(await attempt_from("127.0.0.21", self.node(0).c2s_tls_port,
                                                "guessed", "not the password"), "not-authorized")
        deadline = asyncio.get_running_loop().time() + xs.WAIT
        while heard() < before + 5:
            self.assertLess(asyncio.get_running_loop().time(), deadline,
                            "node 1 never heard of node 0's failures")
            await asyncio.sleep(0.05)
        self.assertEqual(await attempt_from("127.0.0.21", self.node(1).c2s_tls_port,
                                            "guessed", PASSWORD), "temporary-auth-failure")
        self.assertEqual(await attempt_from("127.0.0.22", self.node(1).c2s_tls_port,
                                            "guessed", PASSWORD), "success")

    async def test_user_on_one_node_sees_and_messages_a_device_on_another(self):
        user, _ = await self.register(0, "u-across")
        dev, code = await self.register(1, "d-across", device=DEVICE)
        await dev.close()
        self.assertEqual(xs.status_of(await self.bind(user, "d-across", code)), "ok")
        dev = await self.login(1, "d-across", resource="cam")
        online = await user.presence_of("d-across@localhost", "available")
        self.assertIsNotNone(online.xml.find(q(IRSP, "transition")))
        user.send_message(mto="d-across@localhost", mbody="zoom in", mtype="chat")
        got = await dev.next_message()
        self.assertEqual((got["from"].bare, got["body"]), ("u-across@localhost", "zoom in"))
        dev.send_message(mto="u-across@localhost", mbody="zoomed", mtype="chat")
        got = await user.next_message()
        self.assertEqual((got["from"].bare, got["body"]), ("d-across@localhost", "zoomed"))
        await dev.close()
        await user.presence_of("d-across@localhost", "unavailable")

    async def test_every_pair_of_nodes_routes_messages(self):
        # Accounts homed on each node, clients on every other: each message
        # crosses from the sender's node to the home of the addressee's actor.
        names = self.cluster.names
        for home in range(3):
            for via in range(3):
                if via == home:
                    continue
                u = name_homed_on("pu%d%d" % (home, via), names[home], names)
                d = name_homed_on("pd%d%d" % (home, via), names[(home + 1) % 3], names)
                user, _ = await self.register(via, u)
                dev, code = await self.register(home, d, device=DEVICE)
                self.assertEqual(xs.status_of(await self.bind(user, d, code)), "ok")
                user.send_message(mto=d + "@localhost", mbody="hi %d%d" % (home, via),
                                  mtype="chat")
                got = await dev.next_message()
                self.assertEqual(got["body"], "hi %d%d" % (home, via))

    async def test_a_binding_across_shards_binds_unbinds_and_goes_with_an_account(self):
        # The user's account is in shard 0 (node 0's), the device's in
        # shard 1 (node 1's): each holds its half of the binding.
        c = self.cluster
        u = name_in_shard("xs-user", 0, c.shards)
        d = name_in_shard("xs-cam", 1, c.shards)
        user, _ = await self.register(2, u)
        dev, code = await self.register(2, d, device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind(user, d, "000000")), "wrong-code")
        self.assertEqual(xs.status_of(await self.bind(user, d, code)), "ok")
        self.assertEqual(xs.status_of(await self.bind(user, d, code)), "already-bound")
        user.send_message(mto=d + "@localhost", mbody="to the cam", mtype="chat")
        self.assertEqual((await dev.next_message())["body"], "to the cam")
        dev.send_message(mto=u + "@localhost", mbody="to the user", mtype="chat")
        self.assertEqual((await user.next_message())["body"], "to the user")
        reply = await user.irsp_iq("<unbind xmlns='%s' peer='%s@localhost'/>" % (IRSP, d))
        self.assertEqual(xs.status_of(reply), "ok")
        reply = await dev.irsp_iq("<unbind xmlns='%s' peer='%s@localhost'/>" % (IRSP, u))
        self.assertEqual(xs.status_of(reply), "not-bound")
        dev.send_message(mto=u + "@localhost", mbody="still yours?", mtype="chat")
        error = await dev.next_message()
        self.assertEqual(xs.error_condition(error), "forbidden")
        # Bound again, then the user's account goes: the device's half (in
        # the other shard) goes with it, so a namesake inherits nothing.
        self.assertEqual(xs.status_of(await self.bind(user, d, code)), "ok")
        reply = await user.irsp_iq("<query xmlns='jabber:iq:register'><remove/></query>")
        self.assertNotEqual(reply["type"], "error", reply)
        again, _ = await self.register(0, u)
        dev.send_message(mto=u + "@localhost", mbody="a stranger", mtype="chat")
        error = await dev.next_message()
        self.assertEqual(xs.error_condition(error), "forbidden")
        roster = await dev.irsp_iq("<query xmlns='jabber:iq:roster'/>", stype="get")
        self.assertNotIn(u + "@localhost", roster.xml.findtext(".//*") or "")

    async def test_upload_on_one_node_reaches_an_application_on_another(self):
        client, _ = await self.register(2, "uploader")
        reply = await client.irsp_iq("<upload xmlns='%s'>across 7</upload>" % IRSP,
                                     to="echo@apps.localhost")
        self.assertEqual(xs.status_of(reply), "accepted", reply)
        push, payload = await client.next_push()
        self.assertEqual(push["from"], "echo@apps.localhost")
        self.assertEqual(payload, "across 7")

    async def test_code_reset_and_binding_across_nodes(self):
        dev, old = await self.register(1, "d-reset", device=DEVICE)
        reply = await dev.irsp_iq("<reset-code xmlns='%s'/>" % IRSP)
        self.assertEqual(xs.status_of(reply), "ok")
        new = reply.xml.find(".//" + q(IRSP, "code")).text
        user, _ = await self.register(2, "u-reset")
        self.assertEqual(xs.status_of(await self.bind(user, "d-reset", old)), "wrong-code")
        self.assertEqual(xs.status_of(await self.bind(user, "d-reset", new)), "ok")
        # The device's actor hears of the binding wherever it lives: the
        # user's message is allowed through at once.
        user.send_message(mto="d-reset@localhost", mbody="bound?", mtype="chat")
        got = await dev.next_message()
        self.assertEqual(got["body"], "bound?")

    async def test_the_cluster_port_refuses_garbage_and_strangers_without_harm(self):
        host, port = self.cluster.names[1].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(os.urandom(4096))
            s.settimeout(10)
            try:
                while s.recv(4096):
                    pass
            except (ConnectionResetError, socket.timeout):
                pass
        # A TLS client without a certificate of the cluster CA.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError)):
            with socket.create_connection((host, int(port)), timeout=10) as raw:
                with ctx.wrap_socket(raw) as tls:
                    tls.sendall(b"\x00" * 64)
                    if not tls.recv(64):
                        raise ConnectionResetError("closed")
        # Nothing else noticed: still three members, and traffic still
        # crosses that node.
        code, out, _ = self.cluster.status(0)
        self.assertEqual(code, 0)
        self.assertEqual(out.count("alive"), 2, out)
        user, _ = await self.register(0, "u-after-garbage")
        dev, code = await self.register(1, "d-after-garbage", device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind(user, "d-after-garbage", code)), "ok")
        user.send_message(mto="d-after-garbage@localhost", mbody="still here", mtype="chat")
        self.assertEqual((await dev.next_message())["body"], "still here")
        for node in self.cluster.nodes:
            self.assertEqual(node.log_lines("is dead"), [])



class NodeLoss(ClusterTestCase):
    """kill -9 of the node that holds a device's actor (and its session)."""

    extra = {}

    async def test_a_dead_nodes_device_goes_offline_once_and_comes_back_elsewhere(self):
        c = self.cluster
        # A node serving no shard of the store (it may hold a backup: its
        # primary copies the shard to another member then).
        doomed = c.shards
        survivor = 1
        dev_name = name_homed_on("lost-cam", c.names[doomed], c.names)
        user_name = name_homed_on("watcher", c.names[survivor], c.names)
        user, _ = await self.register(0, user_name)
        dev, code = await self.register(doomed, dev_name, device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind(user, dev_name, code)), "ok")
        bare = dev_name + "@localhost"
        # The binding's news reaches the user's actor; the device's actor,
        # already online, answers its probe.
        await user.presence_of(bare, "available")
        user.send_message(mto=bare, mbody="before", mtype="chat")
        self.assertEqual((await dev.next_message())["body"], "before")

        # Lines logged from here on: "owners 2" was also said while the
        # cluster formed, and only the one after the kill counts.
        marks = [len(n.log) for n in c.nodes]
        c.nodes[doomed].kill()
        offline = await user.presence_of(bare, "unavailable")
        # Told by the node that took the account over, in the device's own
        # order: later than what it said before.
        self.assertIsNotNone(offline.xml.find(q(IRSP, "transition")))
        # Once every survivor has seen the node die (until then, traffic for
        # its accounts gets an error back: docs/cluster.md), the device's
        # messages are queued while it is away (the store lives on the
        # survivors), and nothing else about it arrives.
        for i, node in enumerate(c.nodes):
            if i != doomed:
                line = await asyncio.to_thread(node.wait_for_log,
                                               "member %s (" % c.names[doomed] + c.names[doomed]
                                               + ") is dead", 20)
                self.assertIsNotNone(line)
                if self.fenced:
                    # Fenced: its accounts move only once its lease has
                    # expired in etcd and the survivors agree on the owners.
                    self.assertTrue(await self.log_after(
                        node, marks[i], "%s: serving accounts, owners 2" % c.names[i], 20))
        user.send_message(mto=bare, mbody="while away", mtype="chat")
        back = await self.login(survivor, dev_name, resource="cam")
        got = await back.next_message()
        self.assertEqual(got["body"], "while away")
        online = await user.presence_of(bare, "available")
        self.assertGreater(int(online.xml.find(q(IRSP, "transition")).get("epoch")),
                           int(offline.xml.find(q(IRSP, "transition")).get("epoch")))
        # Exactly once: nothing more about the device came in between or
        # since (a late duplicate would be queued by now).
        user.send_message(mto=bare, mbody="after", mtype="chat")
        self.assertEqual((await back.next_message())["body"], "after")
        while not user.presences.empty():
            p = user.presences.get_nowait()
            self.assertNotEqual(p["from"].bare, bare, p)
        # Survivors saw the node die, and say so.
        code_, out, _ = c.status(0)
        self.assertIn("dead", [l.split()[2] for l in out.splitlines()[1:]
                               if l.startswith(c.names[doomed])])
        # It comes back (a new process on the same data dir and address):
        # every member sees it return and, fenced, agrees on three owners.
        old = {i: len(n.log) for i, n in enumerate(c.nodes)}
        c.start(doomed)
        for i, node in enumerate(c.nodes):
            if i == doomed:
                continue
            self.assertTrue(await self.log_after(node, old[i], "member %s (" % c.names[doomed]
                                                 + c.names[doomed] + ") joined"))
        if self.fenced:
            for i, node in enumerate(c.nodes):
                self.assertTrue(await self.log_after(
                    node, old[i] if i != doomed else 0,
                    "%s: serving accounts, owners 3" % c.names[i]))
        code_, out, _ = c.status(0)
        self.assertEqual(out.count("alive"), 2, out)


class FencedThreeNodes(ThreeNodes):
    """The same, with ownership fenced by etcd leases."""
    fenced = True


class FencedNodeLoss(NodeLoss):
    """kill -9 with etcd: the dead node's accounts move once its lease has
    expired in etcd, not before."""
    fenced = True

    async def test_a_stopped_node_never_serves_an_account_moved_meanwhile(self):
        c = self.cluster
        frozen = c.shards  # serves no shard of the store
        elsewhere = 1
        dev_name = name_homed_on("frozen-cam", c.names[frozen], c.names)
        user_name = name_homed_on("frozen-watcher", c.names[elsewhere], c.names)
        bare = dev_name + "@localhost"
        user, _ = await self.register(0, user_name)
        # The device's client is on a node that stays up; its actor is not.
        dev, code = await self.register(elsewhere, dev_name, device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind(user, dev_name, code)), "ok")
        first = await user.presence_of(bare, "available")
        epochs = [int(first.xml.find(q(IRSP, "transition")).get("epoch"))]

        node = c.nodes[frozen]
        marks = [len(n.log) for n in c.nodes]  # only what is said after the stop counts
        os.kill(node.proc.pid, signal.SIGSTOP)
        try:
            for i, other in enumerate(c.nodes):
                if i != frozen:
                    self.assertTrue(await self.log_after(
                        other, marks[i], "%s: serving accounts, owners 2" % c.names[i], 30),
                        "".join(other.log))
            # The account moved: its session opened it again on a survivor,
            # a newer activation, and messages reach the device. (The session
            # may retry its open for up to 10 s while the owners change, so
            # the bound here only detects a hang.)
            again = await user.presence_of(bare, "available", 3 * xs.WAIT)
            epochs.append(int(again.xml.find(q(IRSP, "transition")).get("epoch")))
            user.send_message(mto=bare, mbody="moved", mtype="chat")
            self.assertEqual((await dev.next_message())["body"], "moved")
        finally:
            os.kill(node.proc.pid, signal.SIGCONT)
        # On waking it finds its lease lapsed and stops serving before it
        # takes anything on again.
        lapsed = await asyncio.to_thread(node.wait_for_log, "lease lapsed", 30)
        self.assertIsNotNone(lapsed, "".join(node.log))
        self.assertTrue(await self.log_after(node, node.log.index(lapsed) + 1,
                                             "%s: serving accounts, owners 3" % c.names[frozen]),
                        "".join(node.log))
        # Back as an owner, it takes the account again: a new activation (not
        # the actor it had before it stopped) that the user hears of. Every
        # message then arrives once, and the device's presence never goes
        # back to an older activation.
        again = await user.presence_of(bare, "available")
        epochs.append(int(again.xml.find(q(IRSP, "transition")).get("epoch")))
        for n in range(3):
            user.send_message(mto=bare, mbody="after %d" % n, mtype="chat")
        got = [(await dev.next_message())["body"] for _ in range(3)]
        self.assertEqual(got, ["after 0", "after 1", "after 2"])
        while not user.presences.empty():
            p = user.presences.get_nowait()
            if p["from"].bare == bare and p["type"] == "available":
                epochs.append(int(p.xml.find(q(IRSP, "transition")).get("epoch")))
        self.assertEqual(epochs, sorted(epochs))
        self.assertEqual(len(set(epochs)), len(epochs))
        self.assertTrue(dev.inbox.empty())


if __name__ == "__main__":
    unittest.main()


class FencedStoreFailover(ClusterTestCase):
    """kill -9 of the node serving the account store, fenced by etcd: its
    backup (named in etcd) takes the store over once the dead node's lease
    has expired, with every acknowledged account, binding and queued
    message; it then copies the store to a new backup."""

    fenced = True
    extra = {0: ["--metrics-listen", "127.0.0.1:0"]}

    async def test_the_backup_serves_the_store_when_its_primary_dies(self):
        c = self.cluster
        b = c.names.index(c.backup(0))
        t = next(i for i in range(3) if i not in (0, b))
        # Node 0 serves shard 0, which holds the device; the user is in
        # shard 1 (a binding across shards). Neither account's actor nor
        # client is on node 0: its death takes only shard 0's primary.
        user_name = name_in_shard("fo-user", 1, c.shards, c.names[b], c.names)
        dev_name = name_in_shard("fo-cam", 0, c.shards, c.names[t], c.names)
        bare = dev_name + "@localhost"
        user, _ = await self.register(t, user_name)
        dev, code = await self.register(b, dev_name, device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind(user, dev_name, code)), "ok")
        await user.presence_of(bare, "available")
        await dev.close()
        await user.presence_of(bare, "unavailable")
        user.send_message(mto=bare, mbody="kept", mtype="chat")
        deadline = asyncio.get_running_loop().time() + xs.WAIT
        while self.metric(c.nodes[0], "irsp_offline_queued") != 1.0:
            self.assertLess(asyncio.get_running_loop().time(), deadline, "never queued")
            await asyncio.sleep(0.1)

        shard1_backup_lost = c.backup(1) == c.names[0]
        old1 = len(c.nodes[1].log)
        c.nodes[0].kill()
        if shard1_backup_lost:  # shard 1 is copied to another member
            self.assertTrue(await self.log_after(c.nodes[1], old1,
                                                 "account store shard 1: backup is"))
        # Every survivor hears it from etcd (until then its logins answer
        # temporary-auth-failure, changes storage-unavailable).
        for i in (b, t):
            took = await asyncio.to_thread(c.nodes[i].wait_for_log,
                                           "account store shard 0: primary is %s (epoch" % c.names[b], 30)
            self.assertIsNotNone(took, "".join(c.nodes[i].log))
        line = await asyncio.to_thread(c.nodes[b].wait_for_log,
                                       "account store shard 0: backup is %s" % c.names[t], 30)
        self.assertIsNotNone(line, "".join(c.nodes[b].log))
        # Every acknowledged change is there: the account and its binding
        # (the device's login, the user's message through the binding) and
        # the message queued before the kill.
        back = await self.login(t, dev_name, resource="cam")
        self.assertEqual((await back.next_message())["body"], "kept")
        user.send_message(mto=bare, mbody="after", mtype="chat")
        self.assertEqual((await back.next_message())["body"], "after")
        # New changes are acknowledged again (on the two live copies).
        _, _ = await self.register(t, "fo-new")
        # The dead node comes back: it serves no store of its own (etcd
        # names the primary), and its sessions reach the new one.
        old = len(c.nodes[b].log)
        before = {i: len(c.nodes[i].log) for i in (b, t)}
        c.start(0)
        self.assertIsNotNone(await asyncio.to_thread(
            c.nodes[0].wait_for_log, "account store shard 0: primary is %s (epoch" % c.names[b], 30))
        self.assertTrue(await self.log_after(c.nodes[b], old, "member %s (" % c.names[0]))
        # Once all agree on three owners again (traffic sent while they
        # agree gets an error: docs/cluster.md).
        for i, node in enumerate(c.nodes):
            self.assertTrue(await self.log_after(node, before.get(i, 0),
                                                 "%s: serving accounts, owners 3" % c.names[i]))
        again = await self.login(0, user_name)
        again.send_message(mto=bare, mbody="via the returned node", mtype="chat")
        self.assertEqual((await back.next_message())["body"], "via the returned node")
        self.assertEqual(
            c.nodes[0].log_lines("account store shard 0: primary is %s (" % c.names[0]), [])
