"""Suspect is a state (issue 15), against a real irsp-node with short liveness
settings: a device whose process is frozen with SIGSTOP (no FIN, no RST) is
suspect to its bound user within two ping intervals and offline after the
grace; thawed within the grace it is online again with no offline between;
a resumable session whose link drops is suspect until it resumes. Clients are
slixmpp with its defaults (stream management only where a test is about it)."""

import asyncio
import base64
import os
import signal
import sys
import time

from irsp_fixtures import OneNodeTestCase
from test_c2s_stream_management import SmClient
import xmpp_support as xs
from xmpp_support import IRSP, q

PASSWORD = "password1"
SM = "urn:xmpp:sm:3"
DEVICE = ("Cam-9", "Acme", "SN9")
PING_INTERVAL = 1.0  # seconds
SUSPECT_GRACE = 4.0
MARGIN = 10.0  # only so that a hang fails instead of waiting forever
HERE = os.path.dirname(os.path.abspath(__file__))


def state_of(presence):
    """(type attribute or 'available', <show/>, <state xmlns='urn:irsp:0'/>)."""
    x = presence.xml
    show = x.find(q("jabber:client", "show"))
    state = x.find(q(IRSP, "state"))
    return (x.get("type", "available"), None if show is None else show.text,
            None if state is None else state.text)


SUSPECT = ("available", "xa", "suspect")
ONLINE = ("available", None, "online")
OFFLINE = ("unavailable", None, "offline")


class DeviceProcess:
    """tests/e2e/device_process.py: a slixmpp device in a process of its own."""

    def __init__(self, node, jid):
        self.node = node
        self.jid = jid
        self.proc = None

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, os.path.join(HERE, "device_process.py"), str(self.node.c2s_port),
            self.jid, PASSWORD, stdout=asyncio.subprocess.PIPE, cwd=HERE)
        line = await asyncio.wait_for(self.proc.stdout.readline(), xs.WAIT)
        assert line.strip() == b"session", line

    def freeze(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    async def stop(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()  # also ends a stopped process
            await self.proc.wait()


class SuspectPresence(OneNodeTestCase):
    node_args = ("--ping-interval", str(PING_INTERVAL), "--suspect-grace", str(SUSPECT_GRACE))

    async def asyncSetUp(self):
        self.clients = []
        self.devices = []
        self.streams = []

    async def asyncTearDown(self):
        for d in self.devices:
            await d.stop()
        for s in self.streams:
            s.close()
        for c in self.clients:
            await c.close()

    async def register(self, name, device=None):
        client, reply = await xs.register(self.node, name, PASSWORD, device)
        self.clients.append(client)
        self.assertEqual(xs.status_of(reply), "ok")
        code = reply.xml.find(".//" + q(IRSP, "code"))
        return client, None if code is None else code.text

    async def user_with_device(self, user_name, device_name):
        """A logged-in user bound to a device that is not connected."""
        user, _ = await self.register(user_name)
        device, code = await self.register(device_name, device=DEVICE)
        await device.close()
        reply = await user.irsp_iq("<bind-device xmlns='%s' device='%s@localhost' code='%s'/>"
                                   % (IRSP, device_name, code))
        self.assertEqual(xs.status_of(reply), "ok")
        return user

    async def device_process(self, name):
        d = DeviceProcess(self.node, "%s@localhost/dev" % name)
        self.devices.append(d)
        await d.start()
        return d

    async def presence_of(self, user, jid, timeout):
        """The next presence from `jid` (others are skipped), as state_of()."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            p = await user.next_presence(timeout=max(0.01, deadline - loop.time()))
            if p["from"].bare == jid:
                return state_of(p)

    async def test_a_frozen_device_is_suspect_then_offline(self):
        user = await self.user_with_device("watcher", "frozen-cam")
        cam = await self.device_process("frozen-cam")
        self.assertEqual(await self.presence_of(user, "frozen-cam@localhost", xs.WAIT), ONLINE)

        cam.freeze()
        frozen_at = time.monotonic()
        # Checked after an interval of silence, suspect after one more.
        got = await self.presence_of(user, "frozen-cam@localhost", 2 * PING_INTERVAL + MARGIN)
        suspect_after = time.monotonic() - frozen_at
        self.assertEqual(got, SUSPECT)
        got = await self.presence_of(user, "frozen-cam@localhost", SUSPECT_GRACE + MARGIN)
        offline_after = time.monotonic() - frozen_at
        self.assertEqual(got, OFFLINE)
        self.assertIsNotNone(self.node.wait_for_log("connection-timeout", timeout=xs.WAIT))
        print("\n  suspect %.2f s and offline %.2f s after SIGSTOP (interval %.1f s, grace "
              "%.1f s)" % (suspect_after, offline_after, PING_INTERVAL, SUSPECT_GRACE),
              file=sys.stderr)

    async def test_a_device_thawed_within_the_grace_is_online_again_with_no_offline(self):
        user = await self.user_with_device("patient", "sleepy-cam")
        cam = await self.device_process("sleepy-cam")
        self.assertEqual(await self.presence_of(user, "sleepy-cam@localhost", xs.WAIT), ONLINE)

        cam.freeze()
        got = await self.presence_of(user, "sleepy-cam@localhost", 2 * PING_INTERVAL + MARGIN)
        self.assertEqual(got, SUSPECT)
        cam.thaw()
        # The ping waiting in its socket is answered (slixmpp without XEP-0199
        # answers feature-not-implemented: an answer all the same).
        got = await self.presence_of(user, "sleepy-cam@localhost", SUSPECT_GRACE + MARGIN)
        self.assertEqual(got, ONLINE)
        # Live and idle, the device (and the user) answer every later check:
        # nothing changes for longer than a check, a suspicion and a grace.
        with self.assertRaises(asyncio.TimeoutError):
            await user.next_presence(timeout=2 * PING_INTERVAL + SUSPECT_GRACE + 1)

    async def test_a_dropped_resumable_session_is_suspect_until_it_resumes(self):
        user = await self.user_with_device("keeper", "roaming-cam")
        cam = SmClient("roaming-cam@localhost/cam", PASSWORD)
        self.clients.append(cam)
        self.assertEqual(await cam.start(self.node), "session")
        await asyncio.wait_for(cam.enabled, xs.WAIT)
        self.assertEqual(await self.presence_of(user, "roaming-cam@localhost", xs.WAIT), ONLINE)

        cam.drop()
        await cam.wait_disconnected()
        got = await self.presence_of(user, "roaming-cam@localhost", xs.WAIT)
        self.assertEqual(got, SUSPECT)
        await cam.reconnect(self.node)
        # The resumed connection carries on the session: online, no offline.
        got = await self.presence_of(user, "roaming-cam@localhost", xs.WAIT)
        self.assertEqual(got, ONLINE)
        reply = await cam.irsp_iq("<upload xmlns='%s'>back</upload>" % IRSP,
                                  to="echo@apps.localhost")
        self.assertEqual(xs.status_of(reply), "accepted")
        # And it answers the checks (<r/> now) like any live session.
        with self.assertRaises(asyncio.TimeoutError):
            await user.next_presence(timeout=2 * PING_INTERVAL + SUSPECT_GRACE + 1)

    async def raw_login(self, name):
        """A hand-written stream of `name` (direct TLS, PLAIN), authenticated."""
        s = await xs.RawStream().open(self.node.c2s_tls_port, direct_tls=True)
        self.streams.append(s)
        s.send_header()
        await s.features()
        token = base64.b64encode(b"\0" + name.encode() + b"\0" + PASSWORD.encode()).decode()
        s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (xs.SASL, token))
        self.assertEqual((await s.element()).tag, q(xs.SASL, "success"))
        s.restart()
        s.send_header()
        await s.features()
        return s

    async def test_a_silent_resumable_session_is_cut_after_the_grace_and_can_still_resume(self):
        user = await self.user_with_device("holder", "quiet-cam")
        s = await self.raw_login("quiet-cam")
        s.send("<iq type='set' id='b'><bind xmlns='%s'><resource>cam</resource></bind></iq>"
               % xs.BIND)
        await s.element()
        s.send("<enable xmlns='%s' resume='true'/>" % SM)
        enabled = await s.element()
        while enabled.tag != q(SM, "enabled"):  # the user's presence may come first
            enabled = await s.element()
        previd = enabled.get("id")
        self.assertEqual(await self.presence_of(user, "quiet-cam@localhost", xs.WAIT), ONLINE)
        # It reads, but answers nothing: checked with <r/>, suspect, then cut.
        got = await self.presence_of(user, "quiet-cam@localhost", 2 * PING_INTERVAL + MARGIN)
        self.assertEqual(got, SUSPECT)
        seen = []
        while True:
            e = await s.element(SUSPECT_GRACE + MARGIN)
            seen.append(e.tag)
            if e.tag == q(xs.STREAMS, "error"):
                break
        self.assertIn(q(SM, "r"), seen)
        self.assertIsNotNone(e.find(q(xs.STREAM_ERRORS, "connection-timeout")))
        await s.wait_closed()
        # The session was kept (suspect): the client resumes it, and it is
        # online again with no offline between.
        t = await self.raw_login("quiet-cam")
        t.send("<resume xmlns='%s' previd='%s' h='0'/>" % (SM, previd))
        self.assertEqual((await t.element()).tag, q(SM, "resumed"))
        got = await self.presence_of(user, "quiet-cam@localhost", xs.WAIT)
        self.assertEqual(got, ONLINE)


if __name__ == "__main__":
    import unittest
    unittest.main()
