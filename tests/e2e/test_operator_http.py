"""The operator's HTTP surface (issue 17 part 3; docs/operations.md): an
irsp-node with --metrics-listen serves GET /metrics in the Prometheus text
format, parsed here with Debian's python3-prometheus-client, and GET /health.
A slixmpp client logs in and uploads; the counters move by exactly what it
did. One node per class."""

import asyncio
import base64
import subprocess
import time
import unittest

from irsp_fixtures import NODE, Node, OneNodeTestCase, TempDir, free_port
from metrics_support import Scrape, http
import xmpp_support as xs
from xmpp_support import IRSP, SASL, q

PASSWORD = "password1"


class OperatorSurface(OneNodeTestCase):
    @classmethod
    def setUpClass(cls):
        cls.metrics_port = free_port()
        # No liveness pings: only the stanzas the test sends are counted.
        cls.node_args = ("--metrics-listen", "127.0.0.1:%d" % cls.metrics_port,
                         "--ping-interval", "0")
        super().setUpClass()

    async def asyncSetUp(self):
        self.clients = []

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()

    def scrape(self):
        return Scrape(self.metrics_port)

    async def wait_for(self, predicate, what):
        """Scrapes until `predicate(scrape)` holds (a bound that only detects
        a hang: the change is on its way when this is called)."""
        deadline = time.monotonic() + xs.WAIT
        while True:
            s = self.scrape()
            if predicate(s):
                return s
            if time.monotonic() > deadline:
                self.fail("metrics never showed " + what)
            await asyncio.sleep(0.05)

    async def test_counters_move_by_what_a_client_did(self):
        before = self.scrape()
        self.assertEqual(before.families["irsp_sessions"].type, "gauge")
        self.assertEqual(before.families["irsp_logins"].type, "counter")
        self.assertEqual(before.families["irsp_routing_latency_seconds"].type, "histogram")
        client, reply = await xs.register(self.node, "metered", PASSWORD)
        self.clients.append(client)
        self.assertEqual(reply["type"], "result")
        logged_in = self.scrape()
        self.assertEqual(logged_in.value("irsp_logins_total") - before.value("irsp_logins_total"), 1)
        self.assertEqual(logged_in.value("irsp_sessions"), 1)
        self.assertEqual(logged_in.value("irsp_login_failures_total"),
                         before.value("irsp_login_failures_total"))

        # Three uploads: each is one stanza in (the IQ) and two out (its
        # result, and the echo application's push back).
        for i in range(3):
            result = await client.irsp_iq("<upload xmlns='%s'>n%d</upload>" % (IRSP, i),
                                          to="echo@apps.localhost")
            self.assertEqual(result["type"], "result")
            _, payload = await client.next_push()
            self.assertEqual(payload, "n%d" % i)
        after = self.scrape()
        self.assertEqual(after.value("irsp_stanzas_in_total")
                         - logged_in.value("irsp_stanzas_in_total"), 3)
        self.assertEqual(after.value("irsp_stanzas_out_total")
                         - logged_in.value("irsp_stanzas_out_total"), 6)
        upload = dict(exchange="upload")
        self.assertEqual(after.value("irsp_routing_latency_seconds_count", **upload)
                         - logged_in.value("irsp_routing_latency_seconds_count", **upload), 3)
        self.assertEqual(after.value("irsp_routing_latency_seconds_bucket", le="+Inf", **upload),
                         after.value("irsp_routing_latency_seconds_count", **upload))
        self.assertGreater(after.value("irsp_routing_latency_seconds_sum", **upload),
                           logged_in.value("irsp_routing_latency_seconds_sum", **upload))
        # Buckets are cumulative.
        buckets = sorted((float(s.labels["le"]), s.value)
                         for s in after.families["irsp_routing_latency_seconds"].samples
                         if s.name.endswith("_bucket") and s.labels["exchange"] == "upload")
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))

        # The login's session went online: one transition more in the stream
        # (written by the stream's writer, which the login does not wait
        # for), and the store holds keys.
        await self.wait_for(lambda s: s.value("irsp_lifecycle_events_kept") >= 1,
                            "the login's transition in the stream")
        self.assertGreater(after.value("irsp_rocksdb_estimated_keys"), 0)

        await client.close()
        await self.wait_for(lambda s: s.value("irsp_sessions") == 0, "the session end")

    async def test_offline_queues_are_counted(self):
        user, _ = await xs.register(self.node, "queue-watcher", PASSWORD)
        self.clients.append(user)
        device, reply = await xs.register(self.node, "queue-tv", PASSWORD,
                                          ("TV-55", "Acme", "SN1"))
        code = reply.xml.find(".//" + q(IRSP, "code")).text
        await device.close()
        bound = await user.irsp_iq("<bind-device xmlns='%s' device='queue-tv@localhost' "
                                   "code='%s'/>" % (IRSP, code))
        self.assertEqual(xs.status_of(bound), "ok")
        before = self.scrape().value("irsp_offline_queued")
        for i in range(2):
            user.send_message(mto="queue-tv@localhost", mbody="while away %d" % i, mtype="chat")
        await self.wait_for(lambda s: s.value("irsp_offline_queued") == before + 2,
                            "two messages queued")
        back, outcome = await xs.login(self.node, "queue-tv", PASSWORD)
        self.clients.append(back)
        self.assertEqual(outcome, "session")
        for i in range(2):
            self.assertEqual((await back.next_message())["body"], "while away %d" % i)
        await self.wait_for(lambda s: s.value("irsp_offline_queued") == before,
                            "the queue drained")

    async def test_a_failed_login_is_counted_once(self):
        before = self.scrape()
        s = await xs.RawStream().open(self.node.c2s_tls_port, direct_tls=True)
        try:
            s.send_header()
            await s.features()
            token = base64.b64encode(b"\0nobody\0wrong-password").decode()
            s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL, token))
            failure = await s.element()
            self.assertEqual(failure.tag, q(SASL, "failure"))
        finally:
            s.close()
        after = self.scrape()
        self.assertEqual(after.value("irsp_login_failures_total")
                         - before.value("irsp_login_failures_total"), 1)
        self.assertEqual(after.value("irsp_logins_total"), before.value("irsp_logins_total"))

    async def test_health_is_ok_while_the_node_serves(self):
        status, headers, body = http(self.metrics_port, "/health")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(body, '{"status":"ok","checks":{"c2s":"ok","store":"ok"}}')

    async def test_other_paths_are_404_and_other_methods_405(self):
        self.assertEqual(http(self.metrics_port, "/")[0], 404)
        self.assertEqual(http(self.metrics_port, "/metrics/x")[0], 404)
        status, headers, _ = http(self.metrics_port, "/metrics", method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD")
        self.assertEqual(http(self.metrics_port, "/health", method="PUT")[0], 405)


class MetricsListenOption(unittest.TestCase):
    def run_node(self, *args):
        with TempDir() as d:
            return subprocess.run([NODE, "--data-dir", d, "--c2s-port", "0", "--c2s-tls-port",
                                   "0", *args], capture_output=True, text=True, timeout=60)

    def test_a_bad_address_is_one_line_naming_the_option(self):
        for bad in ("nonsense", "127.0.0.1:", "127.0.0.1:99999", "[::1"):
            r = self.run_node("--metrics-listen", bad)
            self.assertNotEqual(r.returncode, 0, bad)
            lines = [l for l in r.stderr.splitlines() if l]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("--metrics-listen", lines[0])

    def test_a_port_taken_is_refused_at_start(self):
        with TempDir() as d:
            port = free_port()
            with Node(d, "--metrics-listen", str(port)):
                r = self.run_node("--metrics-listen", "127.0.0.1:%d" % port)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--metrics-listen: cannot listen on 127.0.0.1:%d" % port, r.stderr)

    def test_no_listener_without_the_option(self):
        with TempDir() as d, Node(d) as n:
            self.assertFalse(any("metrics" in line for line in n.log))


if __name__ == "__main__":
    unittest.main()
