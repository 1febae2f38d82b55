"""Password guessing and account creation are limited per source address, and
neither limit lets anyone keep an owner out (RFC 6120 §6.4.5, §13.8; XEP-0077
§14). Clients connect from other loopback addresses (127.0.0.2, ...) to be a
second source; one node per class, each test with its own accounts."""

import asyncio
import base64
import socket
import unittest

from irsp_fixtures import OneNodeTestCase
import xmpp_support as xs
from xmpp_support import SASL, STANZAS, q

PASSWORD = "password1"


async def stream_from(source, port):
    """A direct-TLS raw stream from `source` (a loopback address), up to the
    SASL features."""
    sock = socket.socket()
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), xs.WAIT)
    except BaseException:
        sock.close()
        raise
    s = await xs.RawStream().open(port, direct_tls=True, sock=sock)
    s.send_header()
    await s.features()
    return s


async def plain(s, name, password):
    """One PLAIN attempt; "success" or the failure's condition."""
    token = base64.b64encode(b"\0" + name.encode() + b"\0" + password.encode()).decode()
    s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL, token))
    e = await s.element()
    if e.tag == q(SASL, "success"):
        return "success"
    return [c.tag.split("}")[1] for c in e if not c.tag.endswith("}text")][0]


async def attempt_from(source, port, name, password):
    s = await stream_from(source, port)
    try:
        return await plain(s, name, password)
    finally:
        s.close()


class GuessingLimits(OneNodeTestCase):
    async def registered(self, name):
        client, reply = await xs.register(self.node, name, PASSWORD)
        await client.close()
        self.assertEqual(xs.status_of(reply), "ok")

    async def test_wrong_passwords_from_one_address_do_not_lock_out_the_owner(self):
        await self.registered("owner")
        port = self.node.c2s_tls_port
        for i in range(5):
            self.assertEqual(await attempt_from("127.0.0.2", port, "owner", "wrong-%d" % i),
                             "not-authorized")
        # That address is held back for this account, the right password too...
        self.assertEqual(await attempt_from("127.0.0.2", port, "owner", PASSWORD),
                         "temporary-auth-failure")
        # ...but the owner, elsewhere, logs in at once with slixmpp's defaults.
        client, outcome = await xs.login(self.node, "owner", PASSWORD)
        await client.close()
        self.assertEqual(outcome, "session")

    async def test_a_guess_spread_over_addresses_never_refuses_a_fresh_address(self):
        await self.registered("target")
        port = self.node.c2s_tls_port
        # 20 addresses, one wrong password each: a spread attack on "target".
        for i in range(20):
            self.assertEqual(
                await attempt_from("127.0.1.%d" % (i + 1), port, "target", "wrong"),
                "not-authorized")
        # An address that guessed is now out for this account...
        self.assertEqual(await attempt_from("127.0.1.1", port, "target", PASSWORD),
                         "temporary-auth-failure")
        # ...one that did not is not, and neither is the owner.
        self.assertEqual(await attempt_from("127.0.2.1", port, "target", PASSWORD), "success")
        client, outcome = await xs.login(self.node, "target", PASSWORD)
        await client.close()
        self.assertEqual(outcome, "session")

    async def test_retries_on_one_stream_are_allowed(self):
        # RFC 6120 §6.4.5: a client may try again on the same stream.
        await self.registered("retrier")
        s = await stream_from("127.0.0.5", self.node.c2s_tls_port)
        try:
            self.assertEqual(await plain(s, "retrier", "typo-password"), "not-authorized")
            self.assertEqual(await plain(s, "retrier", PASSWORD), "success")
        finally:
            s.close()


class RegistrationLimits(OneNodeTestCase):
    async def register_on(self, s, name):
        s.send("<iq type='set' id='r-%s'><query xmlns='jabber:iq:register'>"
               "<username>%s</username><password>%s</password></query></iq>"
               % (name, name, PASSWORD))
        return await s.element()

    async def test_in_band_registrations_per_address_are_limited(self):
        port = self.node.c2s_tls_port
        s = await stream_from("127.0.0.3", port)
        try:
            # The default: ten accounts an hour from one address.
            for i in range(10):
                reply = await self.register_on(s, "many-%d" % i)
                self.assertEqual(reply.get("type"), "result", reply.get("id"))
            refused = await self.register_on(s, "many-10")
            self.assertEqual(refused.get("type"), "error")
            error = refused.find(q("jabber:client", "error"))
            self.assertEqual(error.get("type"), "wait")
            self.assertIsNotNone(error.find(q(STANZAS, "policy-violation")))
        finally:
            s.close()
        # The refused name was not created, and another address may register.
        s = await stream_from("127.0.0.4", port)
        try:
            reply = await self.register_on(s, "many-10")
            self.assertEqual(reply.get("type"), "result")
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
