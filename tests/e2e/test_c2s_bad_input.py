"""Bad input on the XMPP ports, over raw sockets and raw TLS: each offender
gets its precise stream error (RFC 6120 §4.9.3) or is dropped, the node logs
one line for it, and a well-behaved client on the same node carries on."""

import asyncio
import socket
import unittest

from irsp_fixtures import OneNodeTestCase
import xmpp_support as xs
from xmpp_support import IRSP, STREAMS, q

PASSWORD = "password1"
# Seconds within which a server answers a ping however loaded the machine:
# longer means starved, not slow.
PING_BOUND = 10
# Bytes that are no XML in any encoding: UTF-8 continuation bytes with
# nothing to continue, the same on every run.
GARBAGE = bytes(range(0x80, 0xC0))


class BadInput(OneNodeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registered = set()

    async def account(self, name):
        """A session of `name`, registered on first use."""
        if name not in self.registered:
            client, reply = await xs.register(self.node, name, PASSWORD)
            self.assertEqual(xs.status_of(reply), "ok")
            self.registered.add(name)
            return client
        client, outcome = await xs.login(self.node, name, PASSWORD)
        self.assertEqual(outcome, "session")
        return client

    async def asyncSetUp(self):
        self.bystander = await self.account("bystander")
        self.streams = []
        self.clients = []

    async def asyncTearDown(self):
        # Whatever the offender did, this session still works.
        reply = await self.bystander.irsp_iq("<upload xmlns='%s'>still here</upload>" % IRSP,
                                             to="echo@apps.localhost")
        self.assertEqual(xs.status_of(reply), "accepted")
        _, payload = await self.bystander.next_push()
        self.assertEqual(payload, "still here")
        await self.bystander.close()
        for c in self.clients:
            await c.close()
        for s in self.streams:
            s.close()

    async def raw(self, direct_tls=False, header=True, **kw):
        # The node logs a connection by its client port, which an earlier
        # connection of this class may have had too: look only after this.
        mark = self.node.log_mark()
        s = await xs.RawStream().open(
            self.node.c2s_tls_port if direct_tls else self.node.c2s_port, direct_tls, **kw)
        s.log_mark = mark
        self.streams.append(s)
        if header:
            s.send_header()
            await s.features()
        return s

    async def logged(self, stream, condition):
        """The node's one line about this connection names `condition`."""
        prefix = "irsp-node: c2s 127.0.0.1:%d: " % stream.local_port
        line = await asyncio.to_thread(self.node.wait_for_log, prefix, since=stream.log_mark)
        self.assertIsNotNone(line, "no log line for port %d" % stream.local_port)
        self.assertTrue(line.startswith(prefix + condition + ": "), line)
        self.assertEqual(len(self.node.log_lines(prefix, since=stream.log_mark)), 1)

    async def assert_stream_error(self, stream, condition):
        self.assertEqual(await stream.stream_error(), condition)
        await self.logged(stream, condition)

    # -- before TLS --------------------------------------------------------------

    async def test_malformed_xml_is_not_well_formed(self):
        s = await self.raw()
        s.send("<message><body>unclosed</message>")
        await self.assert_stream_error(s, "not-well-formed")

    async def test_garbage_bytes_are_not_well_formed(self):
        # Fixed bytes: random ones starting with 0x00, 0xFE or 0xFF, or with
        # 0x00 second (1 run in 64), are UTF-16 or UCS-4 to the server,
        # rightly unsupported-encoding (the next test).
        s = await self.raw(header=False)
        s.send(GARBAGE)
        await self.assert_stream_error(s, "not-well-formed")

    async def test_a_utf16_stream_is_unsupported_encoding(self):
        s = await self.raw(header=False)
        s.send(("\ufeff<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                "xmlns:stream='%s' to='localhost' version='1.0'>" % STREAMS).encode("utf-16-le"))
        await self.assert_stream_error(s, "unsupported-encoding")

    async def test_an_unknown_namespace_is_unsupported_stanza_type(self):
        s = await self.raw()
        s.send("<hello xmlns='urn:example:not-xmpp'/>")
        await self.assert_stream_error(s, "unsupported-stanza-type")

    async def test_a_stream_in_the_wrong_namespace_is_invalid_namespace(self):
        s = await self.raw(header=False)
        s.send("<stream:stream xmlns='jabber:server' xmlns:stream='%s' to='localhost' "
               "version='1.0'>" % STREAMS)
        await self.assert_stream_error(s, "invalid-namespace")

    async def test_a_stream_to_another_domain_is_host_unknown(self):
        s = await self.raw(header=False)
        s.send_header(to="example.org")
        await self.assert_stream_error(s, "host-unknown")

    async def test_billion_laughs_is_restricted_xml(self):
        s = await self.raw(header=False)
        s.send("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
               "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
               "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>]>"
               "<stream:stream xmlns='jabber:client' xmlns:stream='%s' to='localhost' "
               "version='1.0'><message><body>&lol2;</body></message>" % STREAMS)
        await self.assert_stream_error(s, "restricted-xml")

    async def test_an_oversized_stanza_is_policy_violation(self):
        s = await self.raw()
        s.send("<message to='x@localhost'><body>" + "x" * (300 * 1024) + "</body></message>")
        await self.assert_stream_error(s, "policy-violation")

    async def test_a_stanza_before_starttls_is_not_authorized(self):
        s = await self.raw()
        s.send("<message to='bystander@localhost'><body>hi</body></message>")
        await self.assert_stream_error(s, "not-authorized")

    # -- over TLS ----------------------------------------------------------------

    async def test_a_stanza_before_authentication_is_not_authorized(self):
        s = await self.raw()
        await s.starttls()
        s.send_header()
        await s.features()
        s.send("<message to='bystander@localhost'><body>hi</body></message>")
        await self.assert_stream_error(s, "not-authorized")

    async def test_malformed_xml_inside_tls_is_not_well_formed(self):
        s = await self.raw(direct_tls=True)
        s.send("<iq type='get' id='1'><<<</iq>")
        await self.assert_stream_error(s, "not-well-formed")

    async def test_an_unknown_namespace_after_login_is_unsupported_stanza_type(self):
        await (await self.account("wanderer")).close()
        s = await self.raw(direct_tls=True, header=False)
        s.send_header()
        await s.plain_login("wanderer", PASSWORD)
        s.send("<enable xmlns='urn:example:sm:99'/>")
        await self.assert_stream_error(s, "unsupported-stanza-type")

    async def test_tls_garbage_is_dropped(self):
        mark = self.node.log_mark()
        raw = socket.create_connection(("127.0.0.1", self.node.c2s_tls_port))
        try:
            raw.sendall(b"\x16\x03\x01\x00\x05hello" + GARBAGE * 3)
            raw.settimeout(xs.WAIT)
            while raw.recv(4096):
                pass  # a TLS alert, then the close
            port = raw.getsockname()[1]
        finally:
            raw.close()
        line = await asyncio.to_thread(self.node.wait_for_log,
                                       "irsp-node: c2s 127.0.0.1:%d: tls-failure: " % port,
                                       since=mark)
        self.assertIsNotNone(line)

    async def test_plain_xmpp_on_the_tls_port_is_dropped(self):
        mark = self.node.log_mark()
        raw = socket.create_connection(("127.0.0.1", self.node.c2s_tls_port))
        try:
            raw.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                        b"xmlns:stream='http://etherx.jabber.org/streams' to='localhost' "
                        b"version='1.0'>")
            raw.settimeout(xs.WAIT)
            while raw.recv(4096):
                pass
            port = raw.getsockname()[1]
        finally:
            raw.close()
        line = await asyncio.to_thread(self.node.wait_for_log,
                                       "irsp-node: c2s 127.0.0.1:%d: tls-failure: " % port,
                                       since=mark)
        self.assertIsNotNone(line)

    async def test_a_client_that_stops_reading_is_dropped(self):
        await (await self.account("sleeper")).close()
        sock = socket.socket()
        # A small window: the node's output backs up sooner.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        mark = self.node.log_mark()
        sock.connect(("127.0.0.1", self.node.c2s_tls_port))
        s = await xs.RawStream().open(None, direct_tls=True, sock=sock)
        self.streams.append(s)
        s.send_header()
        await s.plain_login("sleeper", PASSWORD)
        # Every upload comes back as a push of the same size; never read them.
        upload = ("<iq type='set' id='u' to='echo@apps.localhost'>"
                  "<upload xmlns='%s'>%s</upload></iq>" % (IRSP, "z" * 60000))
        prefix = "irsp-node: c2s 127.0.0.1:%d: " % s.local_port

        async def flood():
            for _ in range(2000):
                s.send(upload)
                await s.writer.drain()

        try:
            await asyncio.wait_for(flood(), 60)
        except (ConnectionError, OSError):
            pass  # the node hung up on us: what this test waits for
        line = await asyncio.to_thread(self.node.wait_for_log, prefix, 60, mark)
        self.assertIsNotNone(line)
        self.assertIn("policy-violation: the client is not reading", line)

    async def test_a_session_flooding_its_own_full_jid_costs_its_sibling_nothing(self):
        # RFC 6121 §8.5.3.1: a message to a full JID is for that resource
        # alone. A session that sends itself all it can and never reads is
        # dropped by its own output bound; a sibling session of the same
        # account (slixmpp, default settings) gets none of it and its
        # XEP-0199 pings are answered all along.
        sibling = await self.account("flooder")
        self.clients.append(sibling)
        sibling.register_plugin("xep_0199")
        flooder = await self.raw(direct_tls=True, header=False)
        flooder.send_header()
        own_jid = await flooder.plain_login("flooder", PASSWORD)
        # Type normal (none given): once the flooder is gone, what it still
        # had in flight is refused. A chat would go to the account instead
        # (RFC 6121 §8.5.3.2.1), so the sibling would get those few.
        message = "<message to='%s'><body>%s</body></message>" % (own_jid, "z" * 60000)

        async def flood():
            try:
                while True:
                    flooder.send(message)
                    await flooder.writer.drain()
                    # drain() need not yield: without this the loss of the
                    # connection might never be seen, and nothing else run.
                    await asyncio.sleep(0)
            except (ConnectionError, OSError):
                pass  # the node hung up on the flooder: what this test waits for

        flooding = asyncio.create_task(flood())
        try:
            # Until the node drops the flooder (within a bound that only
            # detects a hang), the sibling pings the server; each answer
            # must come within a bound that only detects starvation.
            pings = 0
            deadline = asyncio.get_running_loop().time() + 120
            while not flooding.done():
                self.assertLess(asyncio.get_running_loop().time(), deadline,
                                "the flooder was never dropped")
                try:
                    await sibling["xep_0199"].ping(timeout=PING_BOUND)
                except xs.IqTimeout:
                    self.fail("a ping of the sibling went unanswered for %d s while its "
                              "account's other session flooded itself" % PING_BOUND)
                pings += 1
            self.assertGreater(pings, 0)
            await flooding  # ended by the hang-up, not by a surprise
        finally:
            flooding.cancel()
        line = await asyncio.to_thread(
            self.node.wait_for_log, "irsp-node: c2s 127.0.0.1:%d: " % flooder.local_port, 60,
            flooder.log_mark)
        self.assertIsNotNone(line)
        self.assertIn("policy-violation: the client is not reading", line)
        self.assertFalse(sibling.ended.done(), "the sibling session was disconnected")
        # Everything the flooder sent was routed before it was dropped, so
        # anything of it meant for the sibling would arrive before this note.
        sibling.send_message(mto=sibling.boundjid, mbody="after the flood", mtype="chat")
        got = await sibling.next_message()
        self.assertEqual(got["body"], "after the flood")


if __name__ == "__main__":
    unittest.main()
