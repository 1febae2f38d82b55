"""XEP-0198 stream management against a real irsp-node: acks, and a device on a
flaky link that loses its TCP connection, comes back, resumes its session and
gets what was sent to it meanwhile — with slixmpp's own XEP-0198 support, and
as a raw transcript."""

import asyncio
import base64
import unittest

from irsp_fixtures import OneNodeTestCase
import xmpp_support as xs
from xmpp_support import IRSP, SASL, q

PASSWORD = "password1"
SM = "urn:xmpp:sm:3"
DEVICE = ("Cam-1", "Acme", "SN42")


class SmClient(xs.Client):
    """A slixmpp client with its XEP-0198 plugin, resuming when reconnected."""

    def __init__(self, jid, password, **kw):
        super().__init__(jid, password, **kw)
        self.register_plugin("xep_0198")
        loop = asyncio.get_event_loop()
        self.enabled = loop.create_future()
        self.resumed = loop.create_future()
        self.add_event_handler("sm_enabled",
                               lambda s: self.enabled.done() or self.enabled.set_result(s))
        self.add_event_handler("session_resumed",
                               lambda s: self.resumed.done() or self.resumed.set_result(s))

    def drop(self):
        """The link dies: no closing tag, no TLS close_notify."""
        self.ended = asyncio.get_event_loop().create_future()
        self.transport.abort()

    async def reconnect(self, node):
        self.connect(("127.0.0.1", node.c2s_port))
        return await asyncio.wait_for(asyncio.shield(self.resumed), xs.WAIT)


class StreamManagement(OneNodeTestCase):
    async def asyncSetUp(self):
        self.clients = []
        self.streams = []

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()
        for s in self.streams:
            s.close()

    async def register(self, name, device=None):
        client, reply = await xs.register(self.node, name, PASSWORD, device)
        self.clients.append(client)
        self.assertEqual(xs.status_of(reply), "ok")
        code = reply.xml.find(".//" + q(IRSP, "code"))
        return client, None if code is None else code.text

    async def sm_login(self, name, resource="link"):
        client = SmClient("%s@localhost/%s" % (name, resource), PASSWORD)
        self.clients.append(client)
        self.assertEqual(await client.start(self.node), "session")
        enabled = await asyncio.wait_for(client.enabled, xs.WAIT)
        self.assertTrue(enabled["id"])
        return client

    async def raw_login(self, name):
        s = await xs.RawStream().open(self.node.c2s_tls_port, direct_tls=True)
        self.streams.append(s)
        s.send_header()
        await s.features()
        token = base64.b64encode(b"\0" + name.encode() + b"\0" + PASSWORD.encode()).decode()
        s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL, token))
        self.assertEqual((await s.element()).tag, q(SASL, "success"))
        s.restart()
        s.send_header()
        features = await s.features()
        self.assertIsNotNone(features.find(q(SM, "sm")))
        return s

    async def stanza(self, s):
        """The next element that is not an ack request."""
        while True:
            e = await s.element()
            if e.tag != q(SM, "r"):
                return e

    async def test_a_real_client_enables_stream_management_and_its_stanzas_are_acked(self):
        await (await self.register("acked"))[0].close()
        client = await self.sm_login("acked")
        for i in range(7):
            reply = await client.irsp_iq("<upload xmlns='%s'>n%d</upload>" % (IRSP, i),
                                         to="echo@apps.localhost")
            self.assertEqual(xs.status_of(reply), "accepted")
            _, payload = await client.next_push()
            self.assertEqual(payload, "n%d" % i)
        # The client asks for acks too; all it sent was handled.
        client["xep_0198"].request_ack()
        for _ in range(100):
            if not client["xep_0198"].unacked_queue:
                break
            await asyncio.sleep(0.05)
        self.assertEqual(len(client["xep_0198"].unacked_queue), 0)

    async def test_device_on_a_flaky_link_resumes_and_gets_the_message_it_missed(self):
        user, _ = await self.register("owner")
        _, code = await self.register("flaky-cam", device=DEVICE)
        reply = await user.irsp_iq("<bind-device xmlns='%s' device='flaky-cam@localhost' "
                                   "code='%s'/>" % (IRSP, code))
        self.assertEqual(xs.status_of(reply), "ok")
        cam = await self.sm_login("flaky-cam", resource="cam")
        online = await user.next_presence()
        self.assertEqual(online["from"].bare, "flaky-cam@localhost")

        cam.drop()
        await cam.wait_disconnected()
        # The session waits for the camera: the message is not refused or queued offline.
        user.send_message(mto="flaky-cam@localhost", mbody="record now", mtype="chat")
        await cam.reconnect(self.node)
        got = await cam.next_message()
        self.assertEqual(got["body"], "record now")
        self.assertEqual(str(got["to"]), "flaky-cam@localhost/cam")
        # No offline/online flap reached the user while the link was down (nor
        # suspect: the camera's registration session kept answering;
        # test_suspect_presence.py has a camera with the one session).
        with self.assertRaises(asyncio.TimeoutError):
            await user.next_presence(timeout=0.5)
        # And the resumed session works as before.
        reply = await cam.irsp_iq("<upload xmlns='%s'>after</upload>" % IRSP,
                                  to="echo@apps.localhost")
        self.assertEqual(xs.status_of(reply), "accepted")
        _, payload = await cam.next_push()
        self.assertEqual(payload, "after")

    async def test_resumption_transcript_with_answers_that_were_in_flight(self):
        await (await self.register("transcript"))[0].close()
        s = await self.raw_login("transcript")
        s.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
               "<resource>r1</resource></bind></iq>")
        await s.element()
        s.send("<enable xmlns='%s' resume='true'/>" % SM)
        enabled = await s.element()
        self.assertEqual(enabled.tag, q(SM, "enabled"))
        self.assertEqual(enabled.get("resume"), "true")
        previd = enabled.get("id")
        # An upload, and the link goes before any answer is read.
        s.send("<iq type='set' id='u1' to='echo@apps.localhost'>"
               "<upload xmlns='%s'>while away</upload></iq>" % IRSP)
        await s.writer.drain()
        s.writer.transport.abort()

        t = await self.raw_login("transcript")
        t.send("<resume xmlns='%s' previd='%s' h='0'/>" % (SM, previd))
        resumed = await t.element()
        self.assertEqual(resumed.tag, q(SM, "resumed"), resumed)
        self.assertEqual(resumed.get("previd"), previd)
        self.assertEqual(resumed.get("h"), "1")  # the server handled the upload
        got = [await self.stanza(t), await self.stanza(t)]
        result = [e for e in got if e.tag == q("jabber:client", "iq")]
        push = [e for e in got if e.tag == q("jabber:client", "message")]
        self.assertEqual(len(result), 1, got)
        self.assertEqual(result[0].get("id"), "u1")
        self.assertEqual(push[0].find(q(IRSP, "push")).text, "while away")
        self.assertEqual(push[0].get("to"), "transcript@localhost/r1")
        t.send("<a xmlns='%s' h='2'/><r xmlns='%s'/>" % (SM, SM))
        ack = await self.stanza(t)  # (the server's own <r/> may come first)
        self.assertEqual(ack.tag, q(SM, "a"))
        self.assertEqual(ack.get("h"), "1")

    async def test_a_push_never_acknowledged_comes_again_at_the_next_login(self):
        await (await self.register("forgetful"))[0].close()
        s = await self.raw_login("forgetful")
        s.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        await s.element()
        s.send("<enable xmlns='%s'/>" % SM)
        self.assertEqual((await s.element()).tag, q(SM, "enabled"))
        s.send("<iq type='set' id='u1' to='echo@apps.localhost'>"
               "<upload xmlns='%s'>do not lose me</upload></iq>" % IRSP)
        got = [await self.stanza(s), await self.stanza(s)]
        self.assertIn(q("jabber:client", "message"), [e.tag for e in got])
        # Gone without acknowledging (XEP-0198: not handled, so not delivered).
        s.send("</stream:stream>")
        await s.wait_closed()
        client, outcome = await xs.login(self.node, "forgetful", PASSWORD)
        self.clients.append(client)
        self.assertEqual(outcome, "session")
        push, payload = await client.next_push()
        self.assertEqual(payload, "do not lose me")
        self.assertIsNotNone(push.xml.find("{urn:xmpp:delay}delay"))

    async def test_resuming_an_unknown_session_fails_and_the_client_binds_instead(self):
        await (await self.register("unknown-sm"))[0].close()
        s = await self.raw_login("unknown-sm")
        s.send("<resume xmlns='%s' previd='no-such-session' h='0'/>" % SM)
        failed = await s.element()
        self.assertEqual(failed.tag, q(SM, "failed"))
        self.assertIsNotNone(failed.find(q(xs.STANZAS, "item-not-found")))
        s.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        bound = await s.element()
        self.assertEqual(bound.get("type"), "result")

    async def test_another_account_cannot_resume_a_session(self):
        await (await self.register("victim"))[0].close()
        await (await self.register("thief"))[0].close()
        s = await self.raw_login("victim")
        s.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        await s.element()
        s.send("<enable xmlns='%s' resume='true'/>" % SM)
        previd = (await s.element()).get("id")
        t = await self.raw_login("thief")
        t.send("<resume xmlns='%s' previd='%s' h='0'/>" % (SM, previd))
        failed = await t.element()
        self.assertEqual(failed.tag, q(SM, "failed"))
        # The victim's session is untouched.
        s.send("<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>")
        self.assertEqual((await self.stanza(s)).get("id"), "p")


if __name__ == "__main__":
    unittest.main()
