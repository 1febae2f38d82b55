"""Deleting an account takes everything of it along (IRSP §8.2.3): its
bindings, both ways, and its offline queue, in one write. A later account of
the same name, registered by the operator (CLI) or in-band (XEP-0077),
inherits nothing: no message, no bound peer. slixmpp is the client; a raw
transcript where a stanza must stay unacknowledged (XEP-0198)."""

import asyncio
import base64
import unittest

from irsp_fixtures import Node, TempDir, run_cli
import xmpp_support as xs
from xmpp_support import IRSP, SASL, q

PASSWORD = "password-for-deletion"
DEVICE = ("TV-55", "Acme", "SN0001")
SM = "urn:xmpp:sm:3"


async def next_of(stream, tag):
    """The next element `tag` on a raw stream (presence of bound peers and
    ack requests may come in between)."""
    while True:
        e = await stream.element()
        if e.tag == tag:
            return e


def roster_of(reply):
    return [item.get("jid") for item in reply.xml.iter(q("jabber:iq:roster", "item"))]


class DeletedNamesInheritNothing(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.clients = []
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()
        self.tmp.__exit__(None, None, None)

    def keep(self, client):
        self.clients.append(client)
        return client

    async def login(self, node, name):
        client, outcome = await xs.login(node, name, PASSWORD)
        self.keep(client)
        self.assertEqual(outcome, "session")
        return client

    async def first_thing_the_new_account_gets(self, node, name):
        """Logs `name` in, uploads a marker to echo and returns the payload of
        the first message it receives: what was stored for it offline would
        come before anything newer."""
        client = await self.login(node, name)
        reply = await client.irsp_iq("<upload xmlns='%s'>marker</upload>" % IRSP,
                                     to="echo@apps.localhost")
        self.assertEqual(xs.status_of(reply), "accepted")
        first = await client.next_message()
        push = first.xml.find(q(IRSP, "push"))
        return client, push.text if push is not None else first["body"]

    async def assert_not_bound(self, user, device, new_device):
        roster = await user.irsp_iq("<query xmlns='jabber:iq:roster'/>", stype="get")
        self.assertNotIn(device, roster_of(roster))
        roster = await new_device.irsp_iq("<query xmlns='jabber:iq:roster'/>", stype="get")
        self.assertEqual(roster_of(roster), [])
        user.send_message(mto=device, mbody="are you mine?", mtype="chat")
        error = await user.next_message()
        self.assertEqual(error["type"], "error")
        self.assertEqual(xs.error_condition(error), "forbidden")

    async def test_operator_deletes_and_registers_the_name_again(self):
        self.assertEqual(run_cli("account", "register", "--kind", "user", "--name", "alice",
                                 "--password", PASSWORD, data_dir=self.dir)[0], 0)
        code, out, err = run_cli("account", "register", "--kind", "device", "--name", "tv1",
                                 "--password", PASSWORD, "--model", DEVICE[0],
                                 "--manufacturer", DEVICE[1], "--serial", DEVICE[2],
                                 data_dir=self.dir)
        self.assertEqual(code, 0, err)
        vcode = out.split()[1]
        # A queue of one: the second message is refused with queue-full, and
        # that refusal comes after the first was stored.
        with Node(self.dir, "--offline-max", "1") as node:
            alice = await self.login(node, "alice")
            reply = await alice.irsp_iq("<bind-device xmlns='%s' device='tv1@localhost' "
                                        "code='%s'/>" % (IRSP, vcode))
            self.assertEqual(xs.status_of(reply), "ok")
            alice.send_message(mto="tv1@localhost", mbody="the old tv's secret", mtype="chat")
            alice.send_message(mto="tv1@localhost", mbody="one too many", mtype="chat")
            full = await alice.next_message()
            self.assertEqual(xs.status_of(full), "queue-full")
            await alice.close()
        self.assertEqual(run_cli("account", "delete", "tv1@localhost", data_dir=self.dir)[0], 0)
        code, out, err = run_cli("account", "register", "--kind", "device", "--name", "tv1",
                                 "--password", PASSWORD, "--model", "Other",
                                 "--manufacturer", "Someone else", "--serial", "2",
                                 data_dir=self.dir)
        self.assertEqual(code, 0, err)

        with Node(self.dir) as node:
            tv, first = await self.first_thing_the_new_account_gets(node, "tv1")
            self.assertEqual(first, "marker")
            alice = await self.login(node, "alice")
            await self.assert_not_bound(alice, "tv1@localhost", tv)

    async def test_account_deletes_itself_in_band_and_the_name_is_registered_again(self):
        with Node(self.dir) as node:
            alice, _ = await xs.register(node, "alice", PASSWORD)
            self.keep(alice)
            tv, reply = await xs.register(node, "tv1", PASSWORD, DEVICE)
            vcode = reply.xml.find(".//" + q(IRSP, "code")).text
            await tv.close()
            reply = await alice.irsp_iq("<bind-device xmlns='%s' device='tv1@localhost' "
                                        "code='%s'/>" % (IRSP, vcode))
            self.assertEqual(xs.status_of(reply), "ok")

            # The device, with stream management, gets a push it never
            # acknowledges, and deletes its account. Unacknowledged pushes of
            # a session that ends go to the offline queue (XEP-0198) — but
            # there is no account left to queue them for.
            s = await xs.RawStream().open(node.c2s_tls_port, direct_tls=True)
            try:
                s.send_header()
                await s.features()
                token = base64.b64encode(b"\0tv1\0" + PASSWORD.encode()).decode()
                s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL, token))
                self.assertEqual((await s.element()).tag, q(SASL, "success"))
                s.restart()
                s.send_header()
                await s.features()
                s.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                       "</iq>")
                await next_of(s, q("jabber:client", "iq"))
                s.send("<enable xmlns='%s'/>" % SM)
                await next_of(s, q(SM, "enabled"))
                s.send("<iq type='set' id='u1' to='echo@apps.localhost'>"
                       "<upload xmlns='%s'>the old tv's push</upload></iq>" % IRSP)
                push = await next_of(s, q("jabber:client", "message"))
                self.assertEqual(push.find(q(IRSP, "push")).text, "the old tv's push")
                s.send("<iq type='set' id='d1'><query xmlns='jabber:iq:register'><remove/>"
                       "</query></iq>")
                self.assertEqual(await s.stream_error(), "not-authorized")
            finally:
                s.close()

            tv, reply = await xs.register(node, "tv1", PASSWORD, ("Other", "Someone", "2"))
            self.keep(tv)
            self.assertEqual(xs.status_of(reply), "ok")
            reply = await tv.irsp_iq("<upload xmlns='%s'>marker</upload>" % IRSP,
                                     to="echo@apps.localhost")
            self.assertEqual(xs.status_of(reply), "accepted")
            _, first = await tv.next_push()
            self.assertEqual(first, "marker")
            await self.assert_not_bound(alice, "tv1@localhost", tv)


if __name__ == "__main__":
    unittest.main()
