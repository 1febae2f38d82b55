"""Issue 16, IRSP §8.5–8.7 between ASs: two irsp-node processes with different
domains, linked by mutual TLS each with the other's CA (docs/federation.md),
and stock slixmpp clients. An upload from a user of as1 reaches an application
of as2, whose push comes back; an unknown domain, a peer with a certificate of
another CA, and a peer that speaks for a third domain are refused and logged;
a killed peer is redialled once it is back."""

import asyncio
import json
import os
import secrets
import subprocess
import time
import unittest

import xmpp_support as xs
from cluster_fixtures import Cluster
from irsp_fixtures import Node, TempDir, free_port, run_cli
from test_https_inbound import sign
from xmpp_support import IRSP

PASSWORD = "correct horse battery"
RELAY = os.environ.get("IRSP_AS_RELAY")


class RelayNode(Node):
    """tests/support/as_relay.cpp: a node embedded with node_options::as_peers
    and an application `relay` that messages applications of other ASs."""

    def __init__(self, data_dir, domain, as_peer):
        super().__init__(data_dir)
        self.args = [RELAY, data_dir, str(self.c2s_port), str(self.c2s_tls_port), domain,
                     as_peer]


async def register(node, name, domain, password=PASSWORD, device=None):
    """Registers in-band on `node` (of `domain`) and logs in; returns the
    client (and a device's verification code, when `device` is given)."""
    client = xs.Client("%s@%s" % (name, domain), password,
                       register=xs.registration_query(name, password, device))
    outcome = await client.start(node)
    if outcome != "session":
        await client.close()
        raise AssertionError("registration of %s@%s ended in %s" % (name, domain, outcome))
    if device is None:
        return client
    return client, client.registration.xml.find(".//" + xs.q(IRSP, "code")).text


def bind(user, device, code):
    return user.irsp_iq("<bind-device xmlns='%s' device='%s' code='%s'/>" % (IRSP, device, code))


def upload(client, app, payload):
    return client.irsp_iq("<upload xmlns='%s'>%s</upload>" % (IRSP, payload), to=app)


def external_message(node, port, domain, key_id, secret, app, payload):
    """§8.8.3: a signed message from an external server to `app` of the node,
    by curl with its defaults (trusting the node's certificate, made for
    `domain`); returns (HTTP status, JSON body)."""
    path = "/v1/apps/%s/messages" % app
    body = json.dumps({"payload": payload}).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    headers = {"X-IRSP-Key": key_id, "X-IRSP-Timestamp": timestamp, "X-IRSP-Nonce": nonce,
               "X-IRSP-Signature": sign(secret, "POST", path, timestamp, nonce, body)}
    args = ["curl", "-sS", "--cacert", os.path.join(node.data_dir, "tls", "cert.pem"),
            "--resolve", "%s:%d:127.0.0.1" % (domain, port), "-X", "POST",
            "https://%s:%d%s" % (domain, port, path), "-w", "\n%{http_code}",
            "-H", "Content-Type: application/json", "--data-binary", "@-"]
    for name, value in headers.items():
        args += ["-H", "%s: %s" % (name, value)]
    p = subprocess.run(args, input=body, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("curl failed (%d): %s" % (p.returncode, p.stderr.decode()))
    text, _, code = p.stdout.decode().rpartition("\n")
    return int(code), json.loads(text)


class TwoAses(unittest.IsolatedAsyncioTestCase):
    """as1 dials as2, which listens for it; each trusts only the other's CA."""

    def setUp(self):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.nodes = []
        for name in ("as1", "as2", "as3"):
            d = self.dir(name)
            os.makedirs(d)
            code, _, err = run_cli("cluster", "init", "--node-name", "link." + name, data_dir=d)
            self.assertEqual(code, 0, err)
        self.as2_port = free_port()

    def tearDown(self):
        for n in self.nodes:
            n.__exit__(None, None, None)
        self.tmp.__exit__(None, None, None)

    def dir(self, name):
        return os.path.join(self.root, name)

    def ca(self, name):
        return os.path.join(self.dir(name), "cluster", "ca.pem")

    def start(self, name, *args, domain=None):
        node = Node(self.dir(name), "--domain", domain or name + ".example", *args)
        node.__enter__()
        self.nodes.append(node)
        return node

    def start_as2(self):
        return self.start_as2_with()

    def start_as2_with(self, *more):
        return self.start("as2", "--as-peer", "domain=as1.example,ca=%s,listen=127.0.0.1:%d"
                          % (self.ca("as1"), self.as2_port), *more)

    def start_as1(self):
        return self.start("as1", "--as-peer", "domain=as2.example,ca=%s,connect=127.0.0.1:%d"
                          % (self.ca("as2"), self.as2_port))

    async def wait_log(self, node, needle, timeout=xs.WAIT):
        line = await asyncio.to_thread(node.wait_for_log, needle, timeout)
        self.assertIsNotNone(line, "no log line with %r in:\n%s" % (needle, "".join(node.log)))
        return line

    async def test_upload_to_an_application_of_another_as_and_its_push_back(self):
        as2 = self.start_as2()
        as1 = self.start_as1()
        await self.wait_log(as1, "as-link as2.example: up")
        user = await register(as1, "alice", "as1.example")
        try:
            reply = await upload(user, "echo@apps.as2.example", "across the border")
            self.assertEqual(reply["type"], "result", reply)
            self.assertEqual(xs.status_of(reply), "accepted", reply)
            push, payload = await user.next_push()
            self.assertEqual(push["from"], "echo@apps.as2.example")
            self.assertEqual(payload, "across the border")
            # A second exchange: the link is kept, not one per request.
            reply = await upload(user, "echo@apps.as2.example", "again")
            self.assertEqual(xs.status_of(reply), "accepted", reply)
            _, payload = await user.next_push()
            self.assertEqual(payload, "again")
            self.assertEqual(len(as1.log_lines("as-link as2.example: up")), 1)
        finally:
            await user.close()
        self.assertEqual(as2.log_lines("refused"), [])

    async def roster_of(self, client):
        """The bare JIDs of the client's roster (its bound peers)."""
        reply = await client.irsp_iq("<query xmlns='jabber:iq:roster'/>", stype="get")
        self.assertEqual(reply["type"], "result", reply)
        return {item.get("jid") for item in reply.xml.iter("{jabber:iq:roster}item")}

    async def test_a_user_binds_a_device_of_another_as_with_its_code_and_they_message(self):
        as2 = self.start_as2()
        as1 = self.start_as1()
        await self.wait_log(as1, "as-link as2.example: up")
        tv, code = await register(as2, "tv", "as2.example", device=("TV-55", "Acme", "SN1"))
        user = await register(as1, "gina", "as1.example")
        stranger = await register(as1, "hank", "as1.example")
        try:
            # Before any binding: as1 refuses for its own user.
            stranger.send_message(mto="tv@as2.example", mbody="let me", mtype="chat")
            err = await stranger.next_message()
            self.assertEqual(xs.error_condition(err), "forbidden", err)
            # as2 checks the code.
            wrong = ("y" if code[0] == "x" else "x") + code[1:]
            reply = await bind(user, "tv@as2.example", wrong)
            self.assertEqual(xs.status_of(reply), "wrong-code", reply)
            reply = await bind(user, "tv@as2.example", code)
            self.assertEqual(reply["type"], "result", reply)
            self.assertEqual(xs.status_of(reply), "ok", reply)
            user.send_message(mto="tv@as2.example", mbody="turn on", mtype="chat")
            got = await tv.next_message()
            self.assertEqual((got["from"].bare, got["body"]), ("gina@as1.example", "turn on"))
            tv.send_message(mto="gina@as1.example", mbody="on", mtype="chat")
            got = await user.next_message()
            self.assertEqual((got["from"].bare, got["body"]), ("tv@as2.example", "on"))
            # §8.5 presence across: tv is online (the probe after binding),
            # then goes offline, and gina sees both.
            await user.presence_of("tv@as2.example", "available")
            await tv.close()
            await user.presence_of("tv@as2.example", "unavailable")
            tv = xs.Client("tv@as2.example", PASSWORD)
            self.assertEqual(await tv.start(as2), "session")
            await user.presence_of("tv@as2.example", "available")
            # Still nobody else.
            stranger.send_message(mto="tv@as2.example", mbody="let me", mtype="chat")
            err = await stranger.next_message()
            self.assertEqual(xs.error_condition(err), "forbidden", err)
            with self.assertRaises(asyncio.TimeoutError):
                await tv.next_message(timeout=1)
            # gina unbinds: as1 at once, as2 when the link tells it (tv's roster).
            self.assertIn("gina@as1.example", await self.roster_of(tv))
            reply = await user.irsp_iq("<unbind xmlns='%s' peer='tv@as2.example'/>" % IRSP)
            self.assertEqual(xs.status_of(reply), "ok", reply)
            deadline = time.monotonic() + xs.WAIT
            while "gina@as1.example" in await self.roster_of(tv):
                self.assertLess(time.monotonic(), deadline, "as2 kept its side of the binding")
                await asyncio.sleep(0.1)
            tv.send_message(mto="gina@as1.example", mbody="still there?", mtype="chat")
            err = await tv.next_message()
            self.assertEqual(xs.error_condition(err), "forbidden", err)
        finally:
            for c in (tv, user, stranger):
                await c.close()
        self.assertEqual(as2.log_lines("refused"), [])

    async def test_a_deleted_user_is_unbound_in_the_other_as_too(self):
        self.start_as2()
        as1 = self.start_as1()
        await self.wait_log(as1, "as-link as2.example: up")
        tv, code = await register(self.nodes[0], "cam", "as2.example",
                                  device=("CAM-1", "Acme", "SN2"))
        user = await register(as1, "ivy", "as1.example")
        try:
            reply = await bind(user, "cam@as2.example", code)
            self.assertEqual(xs.status_of(reply), "ok", reply)
            self.assertIn("ivy@as1.example", await self.roster_of(tv))
            # XEP-0077 §3.2: ivy deletes her account.
            reply = await user.irsp_iq("<query xmlns='jabber:iq:register'><remove/></query>")
            self.assertEqual(reply["type"], "result", reply)
            deadline = time.monotonic() + xs.WAIT
            while "ivy@as1.example" in await self.roster_of(tv):
                self.assertLess(time.monotonic(), deadline, "as2 kept the deleted user bound")
                await asyncio.sleep(0.1)
        finally:
            for c in (tv, user):
                await c.close()

    async def test_an_application_of_an_unlinked_domain_is_remote_server_not_found(self):
        as1 = self.start_as1()
        user = await register(as1, "bob", "as1.example")
        try:
            reply = await upload(user, "echo@apps.as9.example", "x")
            self.assertEqual(reply["type"], "error", reply)
            self.assertEqual(xs.error_condition(reply), "remote-server-not-found", reply)
            self.assertEqual(xs.status_of(reply), "unknown-domain", reply)
        finally:
            await user.close()

    async def test_a_peer_with_a_certificate_of_another_ca_is_refused_and_logged_once(self):
        as2 = self.start_as2()
        # as3's own CA, but calling itself as1: as2 trusts only as1's CA.
        impostor = self.start("as3", "--as-peer", "domain=as2.example,ca=%s,connect=127.0.0.1:%d"
                              % (self.ca("as2"), self.as2_port), domain="as1.example")
        await self.wait_log(impostor, "as-link as2.example: cannot connect")
        user = await register(impostor, "mallory", "as1.example")
        try:
            reply = await upload(user, "echo@apps.as2.example", "let me in")
            self.assertEqual(xs.error_condition(reply), "remote-server-timeout", reply)
            self.assertEqual(xs.status_of(reply), "peer-unreachable", reply)
        finally:
            await user.close()
        # It keeps redialling (backoff 0.2 s doubling to 5 s): over 3 s it has
        # tried several times, and said so once.
        await asyncio.sleep(3)
        self.assertEqual(len(impostor.log_lines("as-link as2.example: cannot connect")), 1)
        self.assertEqual(impostor.log_lines("as-link as2.example: up"), [])
        # The AS that turned it away says so too, once, naming the address
        # and its link port (CAF does not tell: cluster/tls_refusals.cpp).
        turned = as2.log_lines("tls: turned away a peer from 127.0.0.1 on port %d"
                               % self.as2_port)
        self.assertEqual(len(turned), 1, "".join(as2.log))
        self.assertIn("certificate", turned[0])

    async def test_a_peer_speaking_for_a_third_domain_is_refused_and_logged(self):
        as2 = self.start_as2()
        # as1's link certificate (as1's operator), used by an AS of as3.example.
        spoof = self.start("as3", "--as-cert", os.path.join(self.dir("as1"), "cluster", "node.pem"),
                           "--as-key", os.path.join(self.dir("as1"), "cluster", "node-key.pem"),
                           "--as-peer", "domain=as2.example,ca=%s,connect=127.0.0.1:%d"
                           % (self.ca("as2"), self.as2_port))
        await self.wait_log(spoof, "as-link as2.example: up")
        user = await register(spoof, "eve", "as3.example")
        try:
            reply = await upload(user, "echo@apps.as2.example", "I am as1")
            self.assertEqual(reply["type"], "error", reply)
            self.assertEqual(xs.error_condition(reply), "forbidden", reply)
            self.assertEqual(xs.status_of(reply), "not-allowed", reply)
            with self.assertRaises(asyncio.TimeoutError):  # and echo never saw it
                await user.next_push(timeout=1)
        finally:
            await user.close()
        line = await self.wait_log(as2, "as-link as1.example: refused")
        self.assertIn("eve@as3.example", line)

    async def test_a_killed_peer_is_unreachable_then_redialled_when_back(self):
        as2 = self.start_as2()
        as1 = self.start_as1()
        await self.wait_log(as1, "as-link as2.example: up")
        user = await register(as1, "carol", "as1.example")
        try:
            reply = await upload(user, "echo@apps.as2.example", "before")
            self.assertEqual(xs.status_of(reply), "accepted", reply)
            await user.next_push()
            as2.kill()
            await self.wait_log(as1, "as-link as2.example: lost")
            reply = await upload(user, "echo@apps.as2.example", "while down")
            self.assertEqual(xs.status_of(reply), "peer-unreachable", reply)
            self.assertEqual(xs.error_condition(reply), "remote-server-timeout", reply)
            self.nodes.remove(as2)
            self.start_as2()
            deadline = time.monotonic() + xs.WAIT
            while len(as1.log_lines("as-link as2.example: up")) < 2:
                self.assertLess(time.monotonic(), deadline, "".join(as1.log))
                await asyncio.sleep(0.1)
            reply = await upload(user, "echo@apps.as2.example", "after")
            self.assertEqual(xs.status_of(reply), "accepted", reply)
            _, payload = await user.next_push()
            self.assertEqual(payload, "after")
        finally:
            await user.close()

    async def test_pushes_while_the_link_is_down_wait_and_arrive_once_in_order(self):
        code, out, err = run_cli("key", "create", "--name", "partner", "--domain", "as2.example",
                                 data_dir=self.dir("as2"))
        self.assertEqual(code, 0, err)
        key_id, secret = out.split()
        https = free_port()
        as2 = self.start_as2_with("--https-listen", "127.0.0.1:%d" % https)
        as1 = self.start_as1()
        await self.wait_log(as1, "as-link as2.example: up")
        user = await register(as1, "dave", "as1.example")

        def notify(text):
            # as2's built-in `notify` pushes the text to dave, an account of as1.
            status, body = external_message(as2, https, "as2.example", key_id, secret, "notify",
                                            "dave@as1.example\n" + text)
            self.assertEqual((status, body["status"]), (200, "delivered"), body)

        try:
            await asyncio.to_thread(notify, "live")
            push, payload = await user.next_push()
            self.assertEqual(push["from"], "notify@apps.as2.example")
            self.assertEqual(payload, "live")
        finally:
            await user.close()
        as1.kill()
        self.nodes.remove(as1)
        await self.wait_log(as2, "as-link as1.example: lost")
        for i in range(1, 4):
            await asyncio.to_thread(notify, "queued %d" % i)
        as1 = self.start_as1()
        deadline = time.monotonic() + xs.WAIT
        while len(as2.log_lines("as-link as1.example: up")) < 2:
            self.assertLess(time.monotonic(), deadline, "".join(as2.log))
            await asyncio.sleep(0.1)
        user = xs.Client("dave@as1.example", PASSWORD)
        self.assertEqual(await user.start(as1), "session")
        try:
            got = [(await user.next_push())[1] for _ in range(3)]
            self.assertEqual(got, ["queued 1", "queued 2", "queued 3"])
            with self.assertRaises(asyncio.TimeoutError):  # once: nothing more comes
                await user.next_push(timeout=2)
        finally:
            await user.close()
        self.assertEqual(as2.log_lines("a queued push ended"), [])

    @unittest.skipUnless(RELAY, "IRSP_AS_RELAY not set")
    async def test_an_application_messages_an_application_of_another_as(self):
        as2 = self.start_as2()
        as1 = RelayNode(self.dir("as1"), "as1.example",
                        "domain=as2.example,ca=%s,connect=127.0.0.1:%d"
                        % (self.ca("as2"), self.as2_port))
        as1.__enter__()
        self.nodes.append(as1)
        await self.wait_log(as1, "as-link as2.example: up")
        user = await register(as1, "erin", "as1.example")
        try:
            # relay@apps.as1 sends to echo@apps.as2, which answers with the payload.
            reply = await upload(user, "relay@apps.as1.example", "echo@apps.as2.example ping 8.6")
            self.assertEqual(xs.status_of(reply), "accepted", reply)
            _, payload = await user.next_push()
            self.assertEqual(payload, "relayed delivered ping 8.6")
            # An application as2 does not have: as2's own answer comes back.
            reply = await upload(user, "relay@apps.as1.example", "nobody@apps.as2.example x")
            self.assertEqual(xs.status_of(reply), "accepted", reply)
            _, payload = await user.next_push()
            self.assertEqual(payload.strip(), "relayed no-such-application")
            # A domain with no link.
            reply = await upload(user, "relay@apps.as1.example", "echo@apps.as9.example x")
            _, payload = await user.next_push()
            self.assertEqual(payload.strip(), "relayed unknown-domain")
        finally:
            await user.close()
        self.assertEqual(as2.log_lines("refused"), [])


class ClusteredAs(unittest.IsolatedAsyncioTestCase):
    """as2 is a cluster of two nodes, each of which dials as1 with its own node
    certificate (of as2's cluster CA); as1 listens and answers over whichever
    connection came last, and as2 routes what arrives to the account's home."""

    async def test_every_node_of_a_clustered_as_reaches_the_peer_and_hears_back(self):
        with TempDir() as as1_dir:
            code, _, err = run_cli("cluster", "init", "--node-name", "link.as1",
                                   data_dir=as1_dir)
            self.assertEqual(code, 0, err)
            port = free_port()
            peer = ["--domain", "as2.example", "--as-peer",
                    "domain=as1.example,ca=%s,connect=127.0.0.1:%d"
                    % (os.path.join(as1_dir, "cluster", "ca.pem"), port)]
            cluster = Cluster(n=2, extra={0: peer, 1: peer})
            as2_ca = os.path.join(cluster.dir.path, "node0", "cluster", "ca.pem")
            with cluster:
                with Node(as1_dir, "--domain", "as1.example", "--as-peer",
                          "domain=as2.example,ca=%s,listen=127.0.0.1:%d" % (as2_ca, port)) as as1:
                    for n in cluster.nodes:
                        line = await asyncio.to_thread(n.wait_for_log,
                                                       "as-link as1.example: up", xs.WAIT)
                        self.assertIsNotNone(line, "".join(n.log))
                    clients = []
                    try:
                        for i, n in enumerate(cluster.nodes):
                            clients.append(await register(n, "frank%d" % i, "as2.example"))
                        for i, user in enumerate(clients):
                            reply = await upload(user, "echo@apps.as1.example", "from node %d" % i)
                            self.assertEqual(xs.status_of(reply), "accepted", reply)
                            push, payload = await user.next_push()
                            self.assertEqual(push["from"], "echo@apps.as1.example")
                            self.assertEqual(payload, "from node %d" % i)
                    finally:
                        for c in clients:
                            await c.close()
                    self.assertEqual(len(as1.log_lines("as-link as2.example: up")), 2)


if __name__ == "__main__":
    unittest.main()
