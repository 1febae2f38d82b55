"""IRSP §8.8.3 end to end: an external application server (curl) sends signed
requests over HTTPS to a real irsp-node; they reach an internal application,
and through the built-in `notify` application a push reaches a device
connected with slixmpp. Every bad request gets its HTTP status and IRSP
status; a replay is refused. Keys are made with `irsp-node key`."""

import hashlib
import hmac
import json
import os
import secrets
import stat
import subprocess
import time
import unittest

import irsp_fixtures as fx
import xmpp_support as xs

PASSWORD = "password1"
DEVICE = ("TV-55", "Acme", "SN0001")


def curl(port, cert, path, body, headers, method="POST"):
    """Sends one request with curl (its defaults, trusting the node's
    self-signed certificate); returns (HTTP status, headers dict, JSON body)."""
    args = ["curl", "-sS", "-i", "--cacert", cert, "-X", method,
            "--resolve", "localhost:%d:127.0.0.1" % port,
            "https://localhost:%d%s" % (port, path),
            "-H", "Content-Type: application/json", "--data-binary", "@-"]
    for name, value in headers.items():
        args += ["-H", "%s: %s" % (name, value)]
    p = subprocess.run(args, input=body, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("curl failed (%d): %s" % (p.returncode, p.stderr.decode()))
    head, _, rest = p.stdout.partition(b"\r\n\r\n")
    while head.split(b" ")[1] == b"100":  # curl's Expect: 100-continue, for large bodies
        head, _, rest = rest.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return status, hdrs, json.loads(rest.decode())


def sign(secret, method, path, timestamp, nonce, body):
    """The canonical request of docs/protocol.md, signed."""
    canonical = "\n".join(["IRSP-HMAC-SHA256", method, path, timestamp, nonce,
                           hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


class HttpsInbound(unittest.IsolatedAsyncioTestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = fx.TempDir()
        d = cls.dir.__enter__()
        cls.data_dir = d

        def key(*args):
            rc, out, err = fx.run_cli("key", "create", *args, data_dir=d)
            assert rc == 0, err
            key_id, secret = out.split()
            return key_id, secret

        cls.key_id, cls.secret = key("--name", "acme cloud")
        cls.echo_key, cls.echo_secret = key("--name", "echo only", "--app", "echo")
        cls.revoked_key, cls.revoked_secret = key("--name", "old partner")
        rc, _, err = fx.run_cli("key", "revoke", cls.revoked_key, data_dir=d)
        assert rc == 0, err
        cls.port = fx.free_port()
        cls.node = fx.Node(d, "--https-listen", "127.0.0.1:%d" % cls.port).__enter__()
        cls.cert = os.path.join(d, "tls", "cert.pem")

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        cls.dir.__exit__(None, None, None)

    async def asyncSetUp(self):
        self.clients = []

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()

    def send(self, app, payload=None, key_id=None, secret=None, body=None, timestamp=None,
             nonce=None, path=None, tamper=None, omit=()):
        """Signs and sends a request to `app`; returns curl()'s answer."""
        key_id = key_id or self.key_id
        secret = secret or self.secret
        path = path or "/v1/apps/%s/messages" % app
        body = body if body is not None else json.dumps({"payload": payload}).encode()
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or secrets.token_hex(16)
        signature = sign(secret, "POST", path, timestamp, nonce, body)
        headers = {"X-IRSP-Key": key_id, "X-IRSP-Timestamp": timestamp,
                   "X-IRSP-Nonce": nonce, "X-IRSP-Signature": signature}
        for name in omit:
            del headers[name]
        if tamper:
            body = tamper(body)
        return curl(self.port, self.cert, path, body, headers)

    def assertRefused(self, answer, http_status, irsp_status):
        status, _, body = answer
        self.assertEqual((status, body["status"]), (http_status, irsp_status), body)
        self.assertTrue(body["reason"])

    # -- what an external server does -------------------------------------------

    async def test_a_signed_request_reaches_echo_and_its_reply_comes_back(self):
        status, _, body = self.send("echo", "ping from acme")
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"status": "delivered", "reply": "ping from acme"})

    async def test_an_external_server_pushes_to_a_device_through_notify(self):
        tv, reply = await xs.register(self.node, "https-tv", PASSWORD, DEVICE)
        self.clients.append(tv)
        self.assertEqual(xs.status_of(reply), "ok")
        status, _, body = self.send("notify", "https-tv@localhost\nthe door bell rang")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "delivered")
        push, payload = await tv.next_push()
        self.assertEqual(push["from"], "notify@apps.localhost")
        self.assertEqual(payload, "the door bell rang")

    async def test_the_documented_openssl_recipe_signs_a_request_the_node_accepts(self):
        # docs/protocol.md's shell recipe, run as written there.
        script = r'''
BODY='{"payload":"signed by openssl"}'
TS=$(date +%s); NONCE=$(openssl rand -hex 16); P=/v1/apps/echo/messages
BODY_HASH=$(printf '%s' "$BODY" | openssl dgst -sha256 -r | cut -d' ' -f1)
SIG=$(printf 'IRSP-HMAC-SHA256\nPOST\n%s\n%s\n%s\n%s' "$P" "$TS" "$NONCE" "$BODY_HASH" \
      | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
curl -sS --cacert "$CERT" --resolve "localhost:$PORT:127.0.0.1" \
     -H "X-IRSP-Key: $KEY" -H "X-IRSP-Timestamp: $TS" -H "X-IRSP-Nonce: $NONCE" \
     -H "X-IRSP-Signature: $SIG" -H 'Content-Type: application/json' \
     --data-binary "$BODY" "https://localhost:$PORT$P"
'''
        env = dict(os.environ, SECRET=self.secret, KEY=self.key_id, CERT=self.cert,
                   PORT=str(self.port))
        p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout),
                         {"status": "delivered", "reply": "signed by openssl"})

    # -- what is refused -------------------------------------------------------------

    async def test_a_replay_is_refused(self):
        nonce = secrets.token_hex(16)
        timestamp = str(int(time.time()))
        first = self.send("echo", "once", nonce=nonce, timestamp=timestamp)
        self.assertEqual(first[0], 200, first[2])
        self.assertRefused(self.send("echo", "once", nonce=nonce, timestamp=timestamp),
                           409, "replayed")
        # The same nonce signed anew with another timestamp is a replay too.
        self.assertRefused(self.send("echo", "once", nonce=nonce), 409, "replayed")

    async def test_a_request_outside_the_time_window_is_refused(self):
        old = str(int(time.time()) - 301)
        self.assertRefused(self.send("echo", "late", timestamp=old), 401, "stale-request")
        ahead = str(int(time.time()) + 400)
        self.assertRefused(self.send("echo", "early", timestamp=ahead), 401, "stale-request")

    async def test_a_bad_signature_is_refused(self):
        self.assertRefused(self.send("echo", "x", tamper=lambda b: b.replace(b"x", b"y")),
                           401, "bad-signature")
        self.assertRefused(self.send("echo", "x", secret="0" * 64), 401, "bad-signature")

    async def test_unknown_and_revoked_keys_are_refused(self):
        self.assertRefused(self.send("echo", "x", key_id="0123456789abcdef"),
                           401, "unknown-key")
        self.assertRefused(self.send("echo", "x", key_id=self.revoked_key,
                                     secret=self.revoked_secret), 401, "unknown-key")

    async def test_an_unsigned_request_is_refused(self):
        self.assertRefused(self.send("echo", "x", omit=("X-IRSP-Signature",)), 401, "unsigned")

    async def test_an_oversized_body_is_refused(self):
        # The node's limit: twice --max-payload (64 KiB) plus 1 KiB.
        self.assertRefused(self.send("echo", "x" * (2 * 65536 + 2048)), 413, "payload-too-large")
        # A body within it whose payload is over --max-payload: the router's refusal.
        self.assertRefused(self.send("echo", "x" * (65536 + 1)), 413, "payload-too-large")

    async def test_malformed_json_is_refused(self):
        self.assertRefused(self.send("echo", body=b'{"payload": '), 400, "malformed-request")
        self.assertRefused(self.send("echo", body=b'{"text": "no payload"}'),
                           400, "malformed-request")

    async def test_an_unknown_application_is_refused(self):
        self.assertRefused(self.send("no-such-app", "x"), 404, "no-such-application")

    async def test_a_key_for_one_application_reaches_no_other(self):
        status, _, body = self.send("echo", "mine", key_id=self.echo_key,
                                    secret=self.echo_secret)
        self.assertEqual(status, 200, body)
        self.assertRefused(self.send("notify", "https-tv@localhost\nx", key_id=self.echo_key,
                                     secret=self.echo_secret), 403, "forbidden-application")

    async def test_another_path_gets_a_json_404(self):
        self.assertRefused(self.send("echo", "x", path="/v1/elsewhere"), 404, "no-such-resource")

    # -- the operator's side ------------------------------------------------------------

    async def test_the_node_never_logs_a_secret_and_the_key_file_is_private(self):
        self.send("echo", "something to log about")
        self.send("echo", "x", key_id=self.revoked_key, secret=self.revoked_secret)
        log = "".join(self.node.log)
        for secret in (self.secret, self.echo_secret, self.revoked_secret):
            self.assertNotIn(secret, log)
        mode = stat.S_IMODE(os.stat(os.path.join(self.data_dir, "tls", "api-keys.key")).st_mode)
        self.assertEqual(mode, 0o600)


class ReplayAcrossRestart(unittest.TestCase):
    """A request answered before a crash stays refused as a replay after it."""

    def test_a_nonce_used_before_kill_9_is_still_a_replay_after_restart(self):
        with fx.TempDir() as d:
            rc, out, err = fx.run_cli("key", "create", "--name", "acme", data_dir=d)
            self.assertEqual(rc, 0, err)
            key_id, secret = out.split()
            cert = os.path.join(d, "tls", "cert.pem")
            path = "/v1/apps/echo/messages"
            body = json.dumps({"payload": "once"}).encode()
            timestamp = str(int(time.time()))
            nonce = secrets.token_hex(16)
            headers = {"X-IRSP-Key": key_id, "X-IRSP-Timestamp": timestamp,
                       "X-IRSP-Nonce": nonce,
                       "X-IRSP-Signature": sign(secret, "POST", path, timestamp, nonce, body)}
            port = fx.free_port()
            with fx.Node(d, "--https-listen", "127.0.0.1:%d" % port) as node:
                status, _, answer = curl(port, cert, path, body, headers)
                self.assertEqual((status, answer["status"]), (200, "delivered"), answer)
                node.kill()
            port = fx.free_port()
            with fx.Node(d, "--https-listen", "127.0.0.1:%d" % port):
                status, _, answer = curl(port, cert, path, body, headers)
                self.assertEqual((status, answer["status"]), (409, "replayed"), answer)
                # A fresh nonce still goes through.
                nonce = secrets.token_hex(16)
                headers["X-IRSP-Nonce"] = nonce
                headers["X-IRSP-Signature"] = sign(secret, "POST", path, timestamp, nonce, body)
                status, _, answer = curl(port, cert, path, body, headers)
                self.assertEqual(status, 200, answer)


class KeyCommands(unittest.TestCase):

    def test_create_list_revoke(self):
        with fx.TempDir() as d:
            rc, out, err = fx.run_cli("key", "create", "--name", "acme", "--app", "echo",
                                      data_dir=d)
            self.assertEqual(rc, 0, err)
            key_id, secret = out.split()
            self.assertRegex(key_id, r"^[0-9a-f]{16}$")
            self.assertRegex(secret, r"^[0-9a-f]{64}$")
            rc, out, err = fx.run_cli("key", "list", data_dir=d)
            self.assertEqual(rc, 0, err)
            self.assertNotIn(secret, out)
            listed = [json.loads(line) for line in out.splitlines()]
            self.assertEqual([(k["id"], k["name"], k["application"], k["revoked"])
                              for k in listed], [(key_id, "acme", "echo", False)])
            self.assertEqual(fx.run_cli("key", "revoke", key_id, data_dir=d)[0], 0)
            rc, out, _ = fx.run_cli("key", "list", data_dir=d)
            self.assertTrue(json.loads(out)["revoked"])
            rc, _, err = fx.run_cli("key", "revoke", key_id, data_dir=d)
            self.assertEqual((rc, err.strip()), (1, "already-revoked"))
            rc, _, err = fx.run_cli("key", "revoke", "ffffffffffffffff", data_dir=d)
            self.assertEqual((rc, err.strip()), (1, "no-such-key"))
            # Nothing under the data dir holds the secret in the clear.
            for root, _, files in os.walk(d):
                for f in files:
                    with open(os.path.join(root, f), "rb") as fh:
                        self.assertNotIn(secret.encode(), fh.read(), f)


if __name__ == "__main__":
    unittest.main()
