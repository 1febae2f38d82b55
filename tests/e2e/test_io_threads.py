"""The XMPP front end's I/O threads against a real irsp-node: slow work runs
beside them, never on them. A PLAIN login makes the server derive a key from
the password (PBKDF2); while it does, the one I/O thread of the node goes on
answering other connections."""

import asyncio
import time
import unittest

import xmpp_support as xs
from irsp_fixtures import Node, TempDir, run_cli

PASSWORD = "correct horse battery"
# Enough PBKDF2 rounds that one PLAIN check takes a good part of a second on
# any machine this runs on, so that there is a window to look into.
SLOW_ITERATIONS = "4000000"


async def features_round_trip(port):
    """Opens a stream on `port` and waits for the server's features: work
    only an I/O thread can do. Returns (sent, answered) monotonic times."""
    s = await xs.RawStream().open(port)
    try:
        sent = time.monotonic()
        s.send_header()
        await s.features()
        return sent, time.monotonic()
    finally:
        s.close()


class SlowWorkOffTheIoThread(unittest.IsolatedAsyncioTestCase):

    async def test_a_plain_login_does_not_hold_up_other_connections(self):
        with TempDir() as d:
            code, _, err = run_cli("--scram-iterations", SLOW_ITERATIONS, "account", "register",
                                   "--kind", "user", "--name", "slow", "--password-stdin",
                                   data_dir=d, stdin=PASSWORD + "\n")
            self.assertEqual(code, 0, err)
            with Node(d, "--io-threads", "1", "--work-threads", "1") as node:
                login = await xs.RawStream().open(node.c2s_tls_port, direct_tls=True)
                login.send_header()
                await login.features()
                token = xs.base64.b64encode(b"\0slow\0" + PASSWORD.encode()).decode()
                asked = time.monotonic()
                login.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (xs.SASL, token))
                success = asyncio.ensure_future(login.element(timeout=120))
                trips = []
                while not success.done():
                    trips.append(await features_round_trip(node.c2s_port))
                    await asyncio.sleep(0.05)
                self.assertEqual((await success).tag, xs.q(xs.SASL, "success"))
                succeeded = time.monotonic()
                login.close()
                # The credential lookup is an in-process round trip of a few
                # milliseconds; from 0.2 s on, the key derivation is running.
                window = (asked + 0.2, succeeded)
                self.assertGreater(window[1] - window[0], 0.3,
                                   "PBKDF2 finished too fast to test; raise SLOW_ITERATIONS")
                inside = [t for t in trips if t[0] >= window[0] and t[1] <= window[1]]
                self.assertTrue(inside, "no other connection was served while the password "
                                        "was checked: %s, window %s" % (trips, window))


if __name__ == "__main__":
    unittest.main()
