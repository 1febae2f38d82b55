"""Interoperability (RFC 6120/6121, RFC 5802, XEP-0440, XEP-0474): five XMPP stacks
log in to a real irsp-node with their default settings -- trusting the node's
self-signed certificate is the only change -- bind, and exchange a message with
a device bound to the user. The node runs with --log-logins, so each login
leaves one line naming its SASL mechanism and channel binding; a test checks
that the stack logged in at its first attempt with SCRAM (go-sendxmpp 0.5.6,
whose go-xmpp has no SCRAM, with PLAIN) and that the node logged no failed
attempt and no other complaint about any connection.

| stack | how it runs |
|---|---|
| slixmpp 1.8 (python3-slixmpp) | in this process (xmpp_support.Client) |
| aioxmpp 0.13 (python3-aioxmpp) | interop/aioxmpp_client.py under /usr/bin/python3 |
| libstrophe 0.12 (libstrophe-dev) | interop/strophe_client.c, built by CMake |
| go-sendxmpp 0.5 (Debian) | the go-sendxmpp program, sending and listening |
| @xmpp/client 0.13 (npm) | interop/xmpp_js_client.js under Debian's nodejs; npm ci
  installs it into the build tree on first use (interop/npm/package-lock.json) |
"""

import asyncio
import base64
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import unittest

from irsp_fixtures import Node, OneNodeTestCase, TempDir
import xmpp_support as xs
from xmpp_support import IRSP, SASL, q

PASSWORD = "password1"
DEVICE = ("TV-55", "Acme", "SN0001")
HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "interop")
STROPHE_CLIENT = os.environ.get("IRSP_STROPHE_CLIENT", "irsp-strophe-client")
NPM_PREFIX = os.environ.get("IRSP_NPM_PREFIX", os.path.join(HERE, "build-npm"))
LOGIN = re.compile(r"irsp-node: c2s [^ ]+: login: (\S+) (\S+)(?: (\S+))?$")


def install_xmpp_js():
    """@xmpp/client from the npm registry, as pinned by the lockfile, into the
    build tree (once). Returns its node_modules directory."""
    modules = os.path.join(NPM_PREFIX, "node_modules")
    if os.path.isfile(os.path.join(modules, "@xmpp", "client", "package.json")):
        return modules
    os.makedirs(NPM_PREFIX, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(INTEROP, "npm", name), os.path.join(NPM_PREFIX, name))
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                   cwd=NPM_PREFIX, check=True, timeout=900,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return modules


class Interop(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = TempDir()
        cls.node = Node(cls.dir.__enter__(), "--log-logins").__enter__()
        cls.cert = os.path.join(cls.dir.path, "tls", "cert.pem")

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        cls.dir.__exit__(None, None, None)

    async def asyncSetUp(self):
        self.clients = []

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()
        # Whatever the stack did, the node saw no failed login, no stream
        # error and no TLS failure: every c2s line is a login.
        complaints = [line for line in self.node.log_lines("irsp-node: c2s ")
                      if ": login: " not in line]
        self.assertEqual(complaints, [])

    def logins(self, account):
        """(mechanism, channel binding or None) of each login of `account` so far."""
        out = []
        for line in self.node.log_lines(": login: %s@localhost " % account):
            m = LOGIN.search(line.rstrip("\n"))
            self.assertIsNotNone(m, line)
            out.append((m.group(2), m.group(3)))
        return out

    async def user_with_bound_device(self, stem):
        """Registers `stem`-user and `stem`-tv (slixmpp), binds them, logs the
        user out; returns the device's live session, which answers each chat
        message from the user with "echo: " and its body."""
        user, reply = await xs.register(self.node, stem + "-user", PASSWORD)
        self.clients.append(user)
        self.assertEqual(xs.status_of(reply), "ok")
        tv, reply = await xs.register(self.node, stem + "-tv", PASSWORD, DEVICE)
        self.clients.append(tv)
        code = reply.xml.find(".//" + q(IRSP, "code")).text
        bound = await user.irsp_iq("<bind-device xmlns='%s' device='%s-tv@localhost' code='%s'/>"
                                   % (IRSP, stem, code))
        self.assertEqual(xs.status_of(bound), "ok")
        await user.close()
        # The device sees the user come (bound) and go, in that order; wait for
        # the going, so that the user's next presence it sees is a new session.
        while True:
            seen = await tv.next_presence()
            if (seen["from"].bare, seen["type"]) == (stem + "-user@localhost", "unavailable"):
                return tv

    async def answer(self, tv, user):
        """The device's side of the exchange: one message in, one answer out."""
        got = await tv.next_message()
        self.assertEqual(got["from"].bare, user)
        tv.send_message(mto=user, mbody="echo: " + got["body"], mtype="chat")
        return got["body"]

    async def run_stack(self, argv, password, env=None):
        """Runs a client program with the password on stdin; returns its stdout."""
        p = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env)
        out, err = await asyncio.wait_for(p.communicate((password + "\n").encode()), 60)
        self.assertEqual(p.returncode, 0, (out + err).decode(errors="replace"))
        return out.decode()

    async def exchange_with(self, stem, argv, env=None):
        """The stack in `argv` logs in as stem-user, messages stem-tv and gets
        its answer."""
        tv = await self.user_with_bound_device(stem)
        user = stem + "-user@localhost"
        before = len(self.logins(stem + "-user"))
        answered = asyncio.ensure_future(self.answer(tv, user))
        out = await self.run_stack(argv, PASSWORD, env)
        self.assertEqual(await asyncio.wait_for(answered, xs.WAIT), "hello from " + stem)
        self.assertIn("bound %s/" % user, out)
        self.assertIn("from %s-tv@localhost: echo: hello from %s" % (stem, stem), out)
        # One login, at the first attempt (a failed one would have logged).
        return self.logins(stem + "-user")[before:]

    # -- the five stacks ------------------------------------------------------

    async def test_slixmpp_registers_binds_and_messages_its_device(self):
        tv = await self.user_with_bound_device("slix")
        user, outcome = await xs.login(self.node, "slix-user", PASSWORD)
        self.clients.append(user)
        self.assertEqual(outcome, "session")
        user.send_message(mto="slix-tv@localhost", mbody="hello from slix", mtype="chat")
        self.assertEqual(await self.answer(tv, "slix-user@localhost"), "hello from slix")
        got = await user.next_message()
        self.assertEqual(got["body"], "echo: hello from slix")
        # Registration's login and this one: Python's ssl offers only
        # tls-unique, which the node verifies on TLS 1.3 too.
        self.assertEqual(self.logins("slix-user"),
                         [("SCRAM-SHA-256-PLUS", "tls-unique")] * 2)

    async def test_aioxmpp_logs_in_and_messages_its_device(self):
        logins = await self.exchange_with("aio", [
            "/usr/bin/python3", os.path.join(INTEROP, "aioxmpp_client.py"),
            str(self.node.c2s_port), self.cert, "aio-user@localhost", "aio-tv@localhost",
            "hello from aio"])
        self.assertEqual(logins, [("SCRAM-SHA-256", None)])

    async def test_libstrophe_logs_in_and_messages_its_device(self):
        logins = await self.exchange_with("strophe", [
            STROPHE_CLIENT, "127.0.0.1", str(self.node.c2s_port), self.cert,
            "strophe-user@localhost", "strophe-tv@localhost", "hello from strophe"])
        self.assertEqual(logins, [("SCRAM-SHA-256", None)])

    async def test_xmpp_js_logs_in_and_messages_its_device(self):
        modules = await asyncio.get_running_loop().run_in_executor(None, install_xmpp_js)
        env = dict(os.environ, NODE_PATH=modules, NODE_EXTRA_CA_CERTS=self.cert)
        logins = await self.exchange_with("js", [
            "node", os.path.join(INTEROP, "xmpp_js_client.js"), str(self.node.c2s_port),
            "js-user@localhost", "js-tv@localhost", "hello from js"], env)
        # xmpp.js 0.13 implements SCRAM-SHA-1 only.
        self.assertEqual(logins, [("SCRAM-SHA-1", None)])

    async def test_go_sendxmpp_messages_its_device_and_hears_back(self):
        tv = await self.user_with_bound_device("go")
        common = ["-u", "go-user@localhost", "-p", PASSWORD,
                  "-j", "127.0.0.1:%d" % self.node.c2s_port, "-n"]
        # Listening: a session that prints what arrives.
        listener = await asyncio.create_subprocess_exec(
            "go-sendxmpp", *common, "-l", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        try:
            # Its session is open once the bound device sees the user online.
            online = await tv.next_presence()
            self.assertEqual((online["from"].bare, online["type"]),
                             ("go-user@localhost", "available"))
            # Sending: a second session, which the device answers.
            answered = asyncio.ensure_future(self.answer(tv, "go-user@localhost"))
            sender = await asyncio.create_subprocess_exec(
                "go-sendxmpp", *common, "go-tv@localhost", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            out, _ = await asyncio.wait_for(sender.communicate(b"hello from go\n"), xs.WAIT)
            self.assertEqual(sender.returncode, 0, out)
            self.assertEqual((await asyncio.wait_for(answered, xs.WAIT)).strip(),
                             "hello from go")
            heard = b""
            while b"echo: hello from go" not in heard:
                line = await asyncio.wait_for(listener.stdout.readline(), xs.WAIT)
                self.assertTrue(line, heard)
                heard += line
        finally:
            if listener.returncode is None:
                listener.terminate()
            await listener.wait()
        # go-sendxmpp 0.5.6 (go-xmpp of 2022) knows PLAIN and DIGEST-MD5 only:
        # PLAIN over TLS, at the first attempt, is the best it can do.
        self.assertEqual(self.logins("go-user")[-2:], [("PLAIN", None)] * 2)


class ChannelBindingByHand(OneNodeTestCase):
    """SCRAM-SHA-256-PLUS written out here, independently of the node's code:
    tls-server-end-point from the certificate Python's ssl received, and the
    XEP-0474 hash from the features the client saw."""

    async def login(self, name, cb_type, cb_data_of):
        s = await xs.RawStream().open(self.node.c2s_tls_port, direct_tls=True)
        try:
            s.send_header()
            features = await s.features()
            mechanisms = [m.text for m in features.find(q(SASL, "mechanisms"))]
            types = [c.get("type") for c in features.find(
                q("urn:xmpp:sasl-cb:0", "sasl-channel-binding"))]
            gs2 = ("p=%s,," % cb_type).encode()
            first_bare = ("n=%s,r=%s" % (name, base64.b64encode(os.urandom(18)).decode())).encode()
            s.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256-PLUS'>%s</auth>"
                   % (SASL, base64.b64encode(gs2 + first_bare).decode()))
            challenge = await s.element()
            self.assertEqual(challenge.tag, q(SASL, "challenge"))
            server_first = base64.b64decode(challenge.text)
            attrs = dict(a.split(b"=", 1) for a in server_first.split(b","))
            # XEP-0474 0.5.0 §4.2: the client's own hash of what it was offered.
            offered = ("\x1e".join(sorted(mechanisms)) + "\x1f"
                       + "\x1e".join(sorted(types))).encode()
            self.assertEqual(attrs[b"h"], base64.b64encode(hashlib.sha256(offered).digest()))
            cb_data = cb_data_of(s.writer.get_extra_info("ssl_object"))
            salted = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), base64.b64decode(attrs[b"s"]),
                                         int(attrs[b"i"]))
            client_key = hmac.digest(salted, b"Client Key", "sha256")
            final = b"c=" + base64.b64encode(gs2 + cb_data) + b",r=" + attrs[b"r"]
            auth_message = first_bare + b"," + server_first + b"," + final
            signature = hmac.digest(hashlib.sha256(client_key).digest(), auth_message, "sha256")
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            s.send("<response xmlns='%s'>%s</response>" % (SASL, base64.b64encode(
                final + b",p=" + base64.b64encode(proof)).decode()))
            outcome = await s.element()
            return outcome.tag.split("}")[1], "".join(outcome.itertext())
        finally:
            s.close()

    async def test_tls_server_end_point_binds_to_the_node_certificate(self):
        client, _ = await xs.register(self.node, "tse", PASSWORD)
        await client.close()

        def certificate_hash(ssl_object):
            # RFC 5929 §4.1: the node's certificate is ECDSA-SHA-256.
            return hashlib.sha256(ssl_object.getpeercert(binary_form=True)).digest()

        self.assertEqual((await self.login("tse", "tls-server-end-point", certificate_hash))[0],
                         "success")
        # A man in the middle with another certificate: the client binds to it.
        outcome, text = await self.login("tse", "tls-server-end-point",
                                         lambda _: hashlib.sha256(b"another cert").digest())
        self.assertEqual(outcome, "failure")
        self.assertIn("channel binding mismatch", text)

    async def test_tls_unique_on_tls_1_3_is_what_python_computes(self):
        client, _ = await xs.register(self.node, "unique", PASSWORD)
        await client.close()

        def tls_unique(ssl_object):
            self.assertEqual(ssl_object.version(), "TLSv1.3")
            return ssl_object.get_channel_binding("tls-unique")

        self.assertEqual((await self.login("unique", "tls-unique", tls_unique))[0], "success")

    async def test_slixmpp_limited_to_scram_sha_256_is_told_to_bind(self):
        # Not a default setting, but a common one: slixmpp then sends gs2 "y"
        # (Python's ssl always has binding data), which RFC 5802 §6 refuses
        # while -PLUS is offered. The refusal names the fix.
        client, _ = await xs.register(self.node, "pinned", PASSWORD)
        await client.close()
        limited = xs.Client("pinned@localhost", PASSWORD)
        limited["feature_mechanisms"].use_mechs = {"SCRAM-SHA-256"}
        self.assertEqual(await limited.start(self.node), "failed_auth")
        await limited.close()
        line = await asyncio.get_running_loop().run_in_executor(
            None, self.node.wait_for_log, "channel binding downgrade", xs.WAIT)
        self.assertIn("chose SCRAM-SHA-256 while SCRAM-SHA-256-PLUS is offered; "
                      "choose SCRAM-SHA-256-PLUS", line)
        # Allowing the -PLUS variant too is enough.
        both = xs.Client("pinned@localhost", PASSWORD)
        both["feature_mechanisms"].use_mechs = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}
        self.assertEqual(await both.start(self.node), "session")
        await both.close()


if __name__ == "__main__":
    unittest.main()
