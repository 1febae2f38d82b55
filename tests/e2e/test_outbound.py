"""IRSP §8.8.2 end to end: an internal application sends to an external
application server over HTTPS. The application is embedded in a small program
(tests/support/outbound_sender.cpp) that relays what a stock slixmpp user
uploads with send_external and answers status queries with pushes; the
external server is Python's http.server behind ssl with a self-signed
certificate made here, which the endpoint trusts through --ca-file. The
server records (idempotency key, body) per request."""

import asyncio
import http.server
import os
import ssl
import subprocess
import threading
import time
import unittest

import xmpp_support as xs
from irsp_fixtures import Node, TempDir, free_port, run_cli
from xmpp_support import IRSP

SENDER = os.environ.get("IRSP_OUTBOUND_SENDER")
PASSWORD = "correct horse battery"
RELAY = "relay@apps.localhost"
WAIT = 30  # seconds a delivery the test waits for may take (a hang detector)


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1; returns (cert, key) paths."""
    cert, key = os.path.join(directory, "ext-cert.pem"), os.path.join(directory, "ext-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class ExternalServer:
    """An external application server: HTTPS POSTs recorded as (path, key,
    application, body). By path: /ok answers 200, /unavailable 503,
    /reject 400. While `hold` is set, a request is recorded and then held
    unanswered until release()."""

    def __init__(self, port, cert, key):
        self.port, self.cert, self.key = port, cert, key
        self.requests = []
        self.lock = threading.Lock()
        self.hold = False
        self.released = threading.Event()
        self.httpd = None

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.requests.append((self.path, self.headers.get("Idempotency-Key"),
                                           self.headers.get("X-IRSP-Application"),
                                           body.decode()))
                if outer.hold:
                    outer.released.wait(WAIT)
                status = {"/ok": 200, "/unavailable": 503, "/reject": 400}.get(self.path, 404)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the node went away meanwhile (killed)

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert, self.key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        if self.httpd is not None:
            self.released.set()
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def recorded(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r[0] == path]

    def wait_for(self, predicate, what):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if predicate(self.recorded()):
                return
            time.sleep(0.02)
        raise AssertionError("the external server never saw %s: %s" % (what, self.recorded()))


class SenderNode(Node):
    """The sender program, started and stopped like irsp-node."""

    def __init__(self, data_dir, backoff_base_ms=50, backoff_max_ms=400):
        super().__init__(data_dir)
        self.args = [SENDER, data_dir, str(self.c2s_port), str(self.c2s_tls_port),
                     str(backoff_base_ms), str(backoff_max_ms)]


@unittest.skipUnless(SENDER, "IRSP_OUTBOUND_SENDER not set")
class ExternalDelivery(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()
        self.cert, self.key = make_certificate(self.dir)
        self.server = ExternalServer(free_port(), self.cert, self.key)
        code, _, err = run_cli("account", "register", "--kind", "user", "--name", "alice",
                               "--password", PASSWORD, data_dir=self.dir)
        self.assertEqual(code, 0, err)
        self.client = None
        self.node = None

    async def asyncTearDown(self):
        if self.client is not None:
            await self.client.close()
        if self.node is not None:
            self.node.__exit__(None, None, None)
        self.server.stop()
        self.tmp.__exit__(None, None, None)

    def add_endpoint(self, name, path, *extra, trust=True):
        args = ["endpoint", "add", "--name", name,
                "--url", "https://127.0.0.1:%d%s" % (self.server.port, path), *extra]
        if trust:
            args += ["--ca-file", self.cert]
        code, out, err = run_cli(*args, data_dir=self.dir)
        self.assertEqual(code, 0, err)

    async def start_node(self):
        self.node = SenderNode(self.dir).__enter__()
        self.client, outcome = await xs.login(self.node, "alice", PASSWORD)
        self.assertEqual(outcome, "session")

    async def ask(self, text):
        """Uploads `text` to the relay; returns the push it answers with."""
        reply = await self.client.irsp_iq("<upload xmlns='%s'>%s</upload>" % (IRSP, text),
                                          to=RELAY)
        self.assertEqual(xs.status_of(reply), "accepted", reply)
        _, push = await self.client.next_push()
        return push

    async def send(self, endpoint, key, body):
        return (await self.ask("send %s %s %s" % (endpoint, key, body))).split()[2]

    async def status(self, key):
        """(state, attempts, endpoint, last error)."""
        parts = (await self.ask("status " + key)).split(" ", 5)
        return parts[2], int(parts[3]), parts[4], parts[5] if len(parts) > 5 else ""

    async def wait_state(self, key, state, at_least_attempts=0):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            st = await self.status(key)
            if st[0] == state and st[1] >= at_least_attempts:
                return st
            await asyncio.sleep(0.05)
        self.fail("%s never became %s: %s" % (key, state, st))

    async def test_delivery_in_order_with_key_and_status(self):
        self.add_endpoint("hook", "/ok")
        self.server.start()
        await self.start_node()
        keys = ["order-%d" % i for i in range(5)]
        for k in keys:
            self.assertEqual(await self.send("hook", k, "body of " + k), "queued")
        for k in keys:
            state, attempts, endpoint, error = await self.wait_state(k, "delivered")
            self.assertEqual((attempts, endpoint, error), (1, "hook", ""))
        seen = self.server.recorded()
        self.assertEqual([(r[1], r[3]) for r in seen], [(k, "body of " + k) for k in keys])
        self.assertTrue(all(r[2] == "relay" for r in seen))
        # Bad requests get their status; a key used before stores nothing.
        self.assertEqual(await self.send("nowhere", "k-x", "x"), "no-such-endpoint")
        self.assertEqual(await self.send("hook", keys[0], "again"), "duplicate")
        self.assertEqual((await self.status("never-sent"))[0], "unknown")
        self.assertEqual(len(self.server.recorded()), len(keys))

    async def test_server_down_then_up_every_message_once_in_order(self):
        self.add_endpoint("hook", "/ok", "--max-attempts", "1000")
        await self.start_node()  # the server is not listening yet
        keys = ["down-%d" % i for i in range(6)]
        for k in keys:
            self.assertEqual(await self.send("hook", k, "payload " + k), "queued")
        # The first message is being retried: refused connections, counted.
        state, attempts, _, error = await self.wait_state(keys[0], "delivering", 3)
        self.assertEqual(error, "connection refused")
        self.assertEqual((await self.status(keys[1]))[0], "queued")  # waits behind it
        self.server.start()
        for k in keys:
            await self.wait_state(k, "delivered")
        seen = self.server.recorded()
        # Nothing reached the server before it was up, so no duplicates at all.
        self.assertEqual([r[1] for r in seen], keys)
        self.assertEqual([r[3] for r in seen], ["payload " + k for k in keys])

    async def test_kill_mid_delivery_resends_after_restart(self):
        self.add_endpoint("hook", "/ok")
        self.server.hold = True
        self.server.start()
        await self.start_node()
        keys = ["crash-%d" % i for i in range(3)]
        for k in keys:
            self.assertEqual(await self.send("hook", k, "payload " + k), "queued")
        self.server.wait_for(lambda rs: len(rs) == 1, "the first request")
        await self.client.close()
        self.client = None
        self.node.kill()  # mid-delivery: the request is out, unanswered
        self.server.hold = False
        self.server.released.set()
        await self.start_node()
        for k in keys:
            await self.wait_state(k, "delivered")
        seen = [r[1] for r in self.server.recorded()]
        # The cut-off attempt is sent again (same key); the others once; in order.
        self.assertEqual(seen, [keys[0], keys[0], keys[1], keys[2]])
        self.assertEqual(len(set(r[3] for r in self.server.recorded() if r[1] == keys[0])), 1)

    async def test_dead_letter_after_max_attempts_and_at_once_on_4xx(self):
        self.add_endpoint("flaky", "/unavailable", "--max-attempts", "3")
        self.add_endpoint("strict", "/reject", "--max-attempts", "5")
        self.add_endpoint("untrusted", "/ok", "--max-attempts", "2", trust=False)
        self.server.start()
        await self.start_node()
        self.assertEqual(await self.send("flaky", "f1", "x"), "queued")
        self.assertEqual(await self.send("strict", "s1", "y"), "queued")
        self.assertEqual(await self.send("untrusted", "u1", "z"), "queued")
        state, attempts, endpoint, error = await self.wait_state("f1", "dead-letter")
        self.assertEqual((attempts, endpoint, error), (3, "flaky", "HTTP 503"))
        self.assertEqual(len(self.server.recorded("/unavailable")), 3)
        state, attempts, endpoint, error = await self.wait_state("s1", "dead-letter")
        self.assertEqual((attempts, error), (1, "HTTP 400"))
        self.assertEqual(len(self.server.recorded("/reject")), 1)
        # A certificate the endpoint does not trust: never delivered.
        state, attempts, endpoint, error = await self.wait_state("u1", "dead-letter")
        self.assertEqual(attempts, 2)
        self.assertIn("certificate", error.lower() + " ")
        self.assertEqual(self.server.recorded("/ok"), [])


class EndpointCommands(unittest.TestCase):
    def test_add_list_remove_and_bad_input(self):
        with TempDir() as d:
            cert, _ = make_certificate(d)
            code, out, err = run_cli("endpoint", "add", "--name", "hook", "--url",
                                     "https://127.0.0.1:9/in", "--ca-file", cert, data_dir=d)
            self.assertEqual(code, 0, err)
            code, _, err = run_cli("endpoint", "add", "--name", "hook", "--url",
                                   "https://127.0.0.1:9/in", data_dir=d)
            self.assertEqual((code, err.strip()), (1, "exists"))
            code, _, err = run_cli("endpoint", "add", "--name", "plain", "--url",
                                   "http://127.0.0.1:9/in", data_dir=d)
            self.assertEqual(code, 2)
            self.assertIn("https", err)
            code, _, err = run_cli("endpoint", "add", "--name", "badca", "--url",
                                   "https://127.0.0.1:9/in", "--ca-file",
                                   os.path.join(d, "missing.pem"), data_dir=d)
            self.assertEqual(code, 2)
            self.assertIn("--ca-file", err)
            code, _, err = run_cli("endpoint", "add", "--name", "zero", "--url",
                                   "https://127.0.0.1:9/in", "--concurrency", "0", data_dir=d)
            self.assertEqual(code, 2)
            code, out, err = run_cli("endpoint", "list", data_dir=d)
            self.assertEqual(code, 0, err)
            self.assertEqual(out, "hook https://127.0.0.1:9/in 1 10 %s\n" % cert)
            self.assertEqual(run_cli("endpoint", "remove", "hook", data_dir=d)[0], 0)
            code, _, err = run_cli("endpoint", "remove", "hook", data_dir=d)
            self.assertEqual((code, err.strip()), (1, "no-such-endpoint"))
            self.assertEqual(run_cli("endpoint", "list", data_dir=d)[1], "")


if __name__ == "__main__":
    unittest.main()
