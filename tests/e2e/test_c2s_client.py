"""What users and devices do over XMPP, with slixmpp as the client against a
real irsp-node: register, log in, bind, see presence, upload and get pushes,
message each other, reset codes, delete accounts (RFC 6120/6121, XEP-0077,
IRSP urn:irsp:0). One node per class; each test uses its own accounts."""

import asyncio
import base64
import re
import shutil
import socket
import unittest

from irsp_fixtures import OneNodeTestCase, NODE, Node, TempDir
import xmpp_support as xs
from xmpp_support import IRSP, SASL, STREAMS, TLS, q

PASSWORD = "password1"
DEVICE = ("TV-55", "Acme", "SN0001")


class ClientScenarios(OneNodeTestCase):
    async def asyncSetUp(self):
        self.clients = []

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()

    def keep(self, client):
        self.clients.append(client)
        return client

    async def register(self, name, device=None, direct_tls=False):
        client, reply = await xs.register(self.node, name, PASSWORD, device, direct_tls)
        self.keep(client)
        self.assertEqual(reply["type"], "result", reply)
        self.assertEqual(xs.status_of(reply), "ok")
        code = reply.xml.find(".//" + q(IRSP, "code"))
        return client, None if code is None else code.text

    async def login(self, name, password=PASSWORD, direct_tls=False, resource=None):
        client, outcome = await xs.login(self.node, name, password, direct_tls, resource)
        self.keep(client)
        return client, outcome

    async def bind_device(self, user, device, code):
        return await user.irsp_iq(
            "<bind-device xmlns='%s' device='%s@localhost' code='%s'/>" % (IRSP, device, code))

    # -- registration and login ------------------------------------------------

    async def test_user_and_device_register_in_band(self):
        _, code = await self.register("reg-user")
        self.assertIsNone(code)
        _, code = await self.register("reg-tv", device=DEVICE)
        self.assertRegex(code, r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")

    async def test_registering_a_taken_name_is_a_conflict(self):
        await self.register("taken")
        client, reply = await xs.register(self.node, "Taken", PASSWORD)
        self.keep(client)
        self.assertEqual(reply["type"], "error")
        self.assertEqual(xs.error_condition(reply), "conflict")
        self.assertEqual(xs.status_of(reply), "exists")

    async def test_user_logs_in_over_starttls(self):
        first, _ = await self.register("starttls-user")
        await first.close()
        client, outcome = await self.login("starttls-user")
        self.assertEqual(outcome, "session")
        self.assertEqual(client.boundjid.bare, "starttls-user@localhost")

    async def test_device_logs_in_over_direct_tls(self):
        first, _ = await self.register("tls-tv", device=DEVICE, direct_tls=True)
        await first.close()
        client, outcome = await self.login("tls-tv", direct_tls=True, resource="living-room")
        self.assertEqual(outcome, "session")
        self.assertEqual(str(client.boundjid), "tls-tv@localhost/living-room")

    async def test_wrong_password_is_refused(self):
        first, _ = await self.register("careful")
        await first.close()
        _, outcome = await self.login("careful", password="not-the-password")
        self.assertEqual(outcome, "failed_auth")
        _, outcome = await self.login("nobody-at-all", password="not-the-password")
        self.assertEqual(outcome, "failed_auth")

    async def test_plain_is_refused_without_tls(self):
        s = await xs.RawStream().open(self.node.c2s_port)
        try:
            s.send_header()
            features = await s.features()
            self.assertIsNotNone(features.find(q(TLS, "starttls") + "/" + q(TLS, "required")))
            self.assertIsNone(features.find(q(SASL, "mechanisms")))
            token = base64.b64encode(b"\0careful\0" + PASSWORD.encode()).decode()
            s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL, token))
            failure = await s.element()
            self.assertEqual(failure.tag, q(SASL, "failure"))
            self.assertIsNotNone(failure.find(q(SASL, "encryption-required")))
        finally:
            s.close()

    async def test_plain_over_tls_logs_in(self):
        first, _ = await self.register("plain-user")
        await first.close()
        s = await xs.RawStream().open(self.node.c2s_tls_port, direct_tls=True)
        try:
            s.send_header()
            jid = await s.plain_login("plain-user", PASSWORD)
            self.assertTrue(jid.startswith("plain-user@localhost/"), jid)
        finally:
            s.close()

    async def test_a_second_login_on_the_same_resource_replaces_the_first(self):
        first, _ = await self.register("twice")
        await first.close()
        old, outcome = await self.login("twice", resource="phone")
        self.assertEqual(outcome, "session")
        new, outcome = await self.login("twice", resource="phone")
        self.assertEqual(outcome, "session")
        await old.wait_disconnected()

    # -- the server itself ----------------------------------------------------

    async def test_client_pings_and_discovers_the_server(self):
        client, _ = await self.register("curious")
        pong = await client.irsp_iq("<ping xmlns='urn:xmpp:ping'/>", stype="get")
        self.assertEqual(pong["type"], "result")
        info = await client.irsp_iq("<query xmlns='http://jabber.org/protocol/disco#info'/>",
                                    to="localhost", stype="get")
        features = [f.get("var") for f in info.xml.iter(
            q("http://jabber.org/protocol/disco#info", "feature"))]
        self.assertIn(IRSP, features)
        self.assertIn("jabber:iq:register", features)
        roster = await client.irsp_iq("<query xmlns='jabber:iq:roster'/>", stype="get")
        self.assertEqual(roster["type"], "result")
        vcard = await client.irsp_iq("<vCard xmlns='vcard-temp'/>", stype="get")
        self.assertEqual(xs.error_condition(vcard), "service-unavailable")

    # -- devices, bindings, presence ------------------------------------------

    async def test_user_binds_a_device_and_sees_it_come_online_and_go_offline(self):
        user, _ = await self.register("owner")
        tv, code = await self.register("owner-tv", device=DEVICE)
        await tv.close()
        reply = await self.bind_device(user, "owner-tv", code)
        self.assertEqual(reply["type"], "result", reply)
        self.assertEqual(xs.status_of(reply), "ok")
        tv, outcome = await self.login("owner-tv", resource="tv")
        self.assertEqual(outcome, "session")
        online = await user.next_presence()
        self.assertEqual(online["from"].bare, "owner-tv@localhost")
        self.assertEqual(online["type"], "available")
        transition = online.xml.find(q(IRSP, "transition"))
        self.assertIsNotNone(transition)
        await tv.close()
        offline = await user.next_presence()
        self.assertEqual(offline["type"], "unavailable")
        self.assertGreater(int(offline.xml.find(q(IRSP, "transition")).get("sequence")),
                           int(transition.get("sequence")))

    async def test_binding_with_a_wrong_code_is_refused(self):
        user, _ = await self.register("hopeful")
        await self.register("hopeful-tv", device=DEVICE)
        reply = await self.bind_device(user, "hopeful-tv", "AAAA-BBBB-CCCC")
        self.assertEqual(xs.error_condition(reply), "not-authorized")
        self.assertEqual(xs.status_of(reply), "wrong-code")

    async def test_reset_code_makes_the_old_code_useless(self):
        tv, old_code = await self.register("reset-tv", device=DEVICE)
        reply = await tv.irsp_iq("<reset-code xmlns='%s'/>" % IRSP)
        self.assertEqual(xs.status_of(reply), "ok")
        new_code = reply.xml.find(".//" + q(IRSP, "code")).text
        self.assertNotEqual(new_code, old_code)
        user, _ = await self.register("reset-user")
        reply = await self.bind_device(user, "reset-tv", old_code)
        self.assertEqual(xs.status_of(reply), "wrong-code")
        reply = await self.bind_device(user, "reset-tv", new_code)
        self.assertEqual(xs.status_of(reply), "ok")

    async def test_user_and_device_message_each_other(self):
        user, _ = await self.register("talker")
        tv, code = await self.register("talker-tv", device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind_device(user, "talker-tv", code)), "ok")
        user.send_message(mto="talker-tv@localhost", mbody="turn on", mtype="chat")
        got = await tv.next_message()
        self.assertEqual(got["from"].bare, "talker@localhost")
        self.assertEqual(got["body"], "turn on")
        tv.send_message(mto="talker@localhost", mbody="on", mtype="chat")
        got = await user.next_message()
        self.assertEqual(got["from"].bare, "talker-tv@localhost")
        self.assertEqual(got["body"], "on")

    async def test_a_user_messages_its_own_other_session(self):
        phone, _ = await self.register("notes")
        laptop, outcome = await self.login("notes", resource="laptop")
        self.assertEqual(outcome, "session")
        phone.send_message(mto="notes@localhost", mbody="remember the milk", mtype="chat")
        got = await laptop.next_message()
        self.assertEqual(got["from"].bare, "notes@localhost")
        self.assertEqual(got["body"], "remember the milk")

    async def test_a_message_to_a_full_jid_reaches_that_session_only(self):
        # RFC 6121 §8.5.3.1: the phone writes to the laptop; the tablet, and
        # the phone itself, get nothing of it.
        phone, _ = await self.register("trio")
        laptop, outcome = await self.login("trio", resource="laptop")
        self.assertEqual(outcome, "session")
        tablet, outcome = await self.login("trio", resource="tablet")
        self.assertEqual(outcome, "session")
        phone.send_message(mto="trio@localhost/laptop", mbody="for the laptop", mtype="chat")
        got = await laptop.next_message()
        self.assertEqual(got["body"], "for the laptop")
        self.assertEqual(str(got["to"]), "trio@localhost/laptop")
        # What the phone sent first would reach a session before what it sends next.
        phone.send_message(mto="trio@localhost/tablet", mbody="for the tablet", mtype="chat")
        self.assertEqual((await tablet.next_message())["body"], "for the tablet")
        phone.send_message(mto=phone.boundjid, mbody="for the phone", mtype="chat")
        self.assertEqual((await phone.next_message())["body"], "for the phone")

    async def test_a_message_to_a_session_that_is_not_there(self):
        # RFC 6121 §8.5.3.2.1: a chat goes to the account instead; a normal
        # message comes back service-unavailable, from the full JID.
        user, _ = await self.register("seeker")
        tv, code = await self.register("seeker-tv", device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind_device(user, "seeker-tv", code)), "ok")
        user.send_message(mto=tv.boundjid, mbody="you there", mtype="normal")
        self.assertEqual((await tv.next_message())["body"], "you there")
        user.send_message(mto="seeker-tv@localhost/garage", mbody="anyone?", mtype="chat")
        self.assertEqual((await tv.next_message())["body"], "anyone?")
        user.send_message(mto="seeker-tv@localhost/garage", mbody="door?", mtype="normal")
        error = await user.next_message()
        self.assertEqual(error["type"], "error")
        self.assertEqual(str(error["from"]), "seeker-tv@localhost/garage")
        self.assertEqual(xs.error_condition(error), "service-unavailable")
        self.assertEqual(xs.status_of(error), "no-such-resource")
        user.send_message(mto="seeker-tv@localhost", mbody="after", mtype="chat")
        self.assertEqual((await tv.next_message())["body"], "after")

    async def test_a_message_to_an_unbound_account_is_forbidden(self):
        user, _ = await self.register("stranger")
        await self.register("stranger-tv", device=DEVICE)
        user.send_message(mto="stranger-tv@localhost", mbody="hello?", mtype="chat")
        error = await user.next_message()
        self.assertEqual(error["type"], "error")
        self.assertEqual(xs.error_condition(error), "forbidden")

    @unittest.skipUnless(shutil.which("go-sendxmpp"), "go-sendxmpp (Debian) is not installed")
    async def test_a_second_client_stack_go_sendxmpp_messages_a_bound_device(self):
        # Interop: go-sendxmpp (Go, mattn/go-xmpp) as the user, over STARTTLS
        # and over direct TLS; slixmpp as the device.
        user, _ = await self.register("go-user")
        tv, code = await self.register("go-tv", device=DEVICE)
        self.assertEqual(xs.status_of(await self.bind_device(user, "go-tv", code)), "ok")
        await user.close()
        for port, direct in ((self.node.c2s_port, []), (self.node.c2s_tls_port, ["-t"])):
            p = await asyncio.create_subprocess_exec(
                "go-sendxmpp", "-u", "go-user@localhost", "-p", PASSWORD,
                "-j", "127.0.0.1:%d" % port, "-n", *direct, "go-tv@localhost",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT)
            out, _ = await asyncio.wait_for(p.communicate(b"hello from go\n"), xs.WAIT)
            self.assertEqual(p.returncode, 0, out)
            got = await tv.next_message()
            self.assertEqual(got["from"].bare, "go-user@localhost")
            self.assertEqual(got["body"].strip(), "hello from go")

    # -- applications ----------------------------------------------------------

    async def test_upload_to_echo_comes_back_as_a_push(self):
        client, _ = await self.register("echoer")
        reply = await client.irsp_iq("<upload xmlns='%s'>ping 42</upload>" % IRSP,
                                     to="echo@apps.localhost")
        self.assertEqual(reply["type"], "result")
        self.assertEqual(xs.status_of(reply), "accepted")
        push, payload = await client.next_push()
        self.assertEqual(push["from"], "echo@apps.localhost")
        self.assertEqual(payload, "ping 42")

    async def test_a_client_that_pipelines_uploads_gets_every_answer(self):
        # Past 16 requests in flight the server stops reading the stream until
        # answers come back; reading must then resume (a halt and a resume in
        # one turn of CAF 0.17's multiplexer once left the stream unread).
        # On the old code about one run in three stalled here.
        client, _ = await self.register("pipeliner")
        replies = await asyncio.gather(*(
            client.irsp_iq("<upload xmlns='%s'>%d</upload>" % (IRSP, i), to="echo@apps.localhost")
            for i in range(1000)))
        self.assertEqual([xs.status_of(r) for r in replies], ["accepted"] * 1000)

    async def test_upload_to_a_missing_application_is_item_not_found(self):
        client, _ = await self.register("lost")
        reply = await client.irsp_iq("<upload xmlns='%s'>x</upload>" % IRSP,
                                     to="nothing-here@apps.localhost")
        self.assertEqual(xs.error_condition(reply), "item-not-found")
        self.assertEqual(xs.status_of(reply), "no-such-application")

    # -- account lifecycle ----------------------------------------------------

    async def test_user_changes_password_in_band(self):
        client, _ = await self.register("changer")
        reply = await client.irsp_iq(
            "<query xmlns='jabber:iq:register'><username>changer</username>"
            "<password>a-new-password</password></query>")
        self.assertEqual(xs.status_of(reply), "ok")
        await client.close()
        _, outcome = await self.login("changer", password="a-new-password")
        self.assertEqual(outcome, "session")
        _, outcome = await self.login("changer")
        self.assertEqual(outcome, "failed_auth")

    async def test_deleted_account_cannot_log_in(self):
        client, _ = await self.register("leaver")
        reply = await client.irsp_iq("<query xmlns='jabber:iq:register'><remove/></query>")
        self.assertEqual(reply["type"], "result")
        self.assertEqual(xs.status_of(reply), "ok")
        await client.wait_disconnected()
        _, outcome = await self.login("leaver")
        self.assertEqual(outcome, "failed_auth")


class NodeLifecycle(unittest.IsolatedAsyncioTestCase):
    async def test_port_zero_listens_on_a_free_port_and_says_which(self):
        with TempDir() as d:
            node = Node(d)
            node.args[node.args.index("--c2s-port") + 1] = "0"
            node.args[node.args.index("--c2s-tls-port") + 1] = "0"
            node.__enter__()
            try:
                line = node.log_lines("irsp-node: xmpp clients on ")[0]
                match = re.search(r"127\.0\.0\.1:(\d+) \(STARTTLS\) and "
                                  r"127\.0\.0\.1:(\d+) \(direct TLS\)", line)
                self.assertIsNotNone(match, line)
                node.c2s_port, node.c2s_tls_port = int(match.group(1)), int(match.group(2))
                s = await xs.RawStream().open(node.c2s_tls_port, direct_tls=True)
                s.send_header()
                await s.features()
                s.close()
            finally:
                node.__exit__(None, None, None)

    async def test_a_taken_port_stops_the_node_with_a_clear_error(self):
        with TempDir() as d, socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            p = await asyncio.create_subprocess_exec(
                NODE, "--data-dir", d, "--c2s-port", str(port), "--c2s-tls-port", "0",
                stderr=asyncio.subprocess.PIPE)
            _, err = await asyncio.wait_for(p.communicate(), xs.WAIT)
            self.assertEqual(p.returncode, 1)
            self.assertIn("irsp-node: error: cannot listen on 127.0.0.1:%d: " % port,
                          err.decode())

    async def test_stopping_the_node_ends_every_stream_with_system_shutdown(self):
        with TempDir() as d:
            node = Node(d).__enter__()
            try:
                client, _ = await xs.register(node, "last", PASSWORD)
                await client.close()
                s = await xs.RawStream().open(node.c2s_tls_port, direct_tls=True)
                s.send_header()
                await s.plain_login("last", PASSWORD)
                stopped = asyncio.get_running_loop().run_in_executor(None, node.stop)
                self.assertEqual(await s.stream_error(), "system-shutdown")
                self.assertEqual(await stopped, 0)
                s.close()
            finally:
                node.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
