"""irsp-node as operators and scripts use it: options, the account
subcommands (IRSP §8.2) and their status codes, start and stop."""

import asyncio
import json
import os
import signal
import subprocess
import unittest

from irsp_fixtures import NODE, Node, TempDir, run_cli
import xmpp_support as xs

PASSWORD = "Sup3r-Secret-Passw0rd-e2e"
NEW_PASSWORD = "An0ther-Secret-Passw0rd-e2e"


def register_user(data_dir, name, password=PASSWORD, *extra):
    return run_cli("account", "register", "--kind", "user", "--name", name,
                   "--password", password, *extra, data_dir=data_dir)


def register_device(data_dir, name):
    return run_cli("account", "register", "--kind", "device", "--name", name,
                   "--password", PASSWORD, "--model", "TV-55",
                   "--manufacturer", "Acme", "--serial", "SN-4242",
                   "--display-name", "Living room TV", data_dir=data_dir)


class AccountCommands(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def test_register_user_prints_its_address(self):
        code, out, err = register_user(self.dir, "Alice")
        self.assertEqual((code, out), (0, "alice@localhost\n"), err)

    def test_register_device_prints_address_and_code(self):
        code, out, err = register_device(self.dir, "tv1")
        self.assertEqual(code, 0, err)
        address, vcode = out.split()
        self.assertEqual(address, "tv1@localhost")
        self.assertRegex(vcode, r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")

    def test_failures_exit_nonzero_with_the_status_name(self):
        register_user(self.dir, "alice")
        cases = [
            (register_user(self.dir, "alice"), "exists"),
            (register_user(self.dir, "a/b"), "bad-name"),
            (register_user(self.dir, "bob", "short"), "weak-password"),
            (run_cli("account", "register", "--kind", "device", "--name", "cam",
                     "--password", PASSWORD, data_dir=self.dir), "missing-device-info"),
            (run_cli("account", "show", "nobody@localhost", data_dir=self.dir),
             "no-such-account"),
            (run_cli("account", "delete", "nobody@localhost", data_dir=self.dir),
             "no-such-account"),
            (run_cli("account", "reset-code", "alice@localhost", data_dir=self.dir),
             "not-a-device"),
            (run_cli("account", "modify", "alice@localhost", "--set", "colour=red",
                     data_dir=self.dir), "unknown-field"),
            (run_cli("account", "modify", "alice@localhost", "--set", "model=X",
                     data_dir=self.dir), "not-a-device"),
            (run_cli("account", "modify", "alice@localhost", "--set", "name=A",
                     "--expect-version", "7", data_dir=self.dir), "version-conflict"),
        ]
        for (code, out, err), status in cases:
            self.assertEqual(code, 1, (status, out, err))
            self.assertEqual(err.strip(), status)

    def test_show_is_json_without_secrets(self):
        register_device(self.dir, "tv1")
        code, out, err = run_cli("account", "show", "TV1@localhost", data_dir=self.dir)
        self.assertEqual(code, 0, err)
        shown = json.loads(out)
        self.assertEqual(shown["address"], "tv1@localhost")
        self.assertEqual(shown["kind"], "device")
        self.assertEqual(shown["device"]["serial"], "SN-4242")
        self.assertEqual(shown["version"], 1)
        self.assertNotIn(PASSWORD, out)
        for secret_field in ("password", "salt", "storedKey", "serverKey", "code"):
            self.assertNotIn(secret_field.lower(), out.lower())

    def test_list_modify_reset_delete(self):
        register_user(self.dir, "alice")
        _, out, _ = register_device(self.dir, "tv1")
        first_code = out.split()[1]
        self.assertEqual(run_cli("account", "list", data_dir=self.dir)[1],
                         "alice@localhost user\ntv1@localhost device\n")
        code, out, err = run_cli("account", "modify", "tv1@localhost", "--set", "name=Den TV",
                                 "--set", "serial=SN-1", data_dir=self.dir)
        self.assertEqual((code, out), (0, "version 2\n"), err)
        shown = json.loads(run_cli("account", "show", "tv1@localhost", data_dir=self.dir)[1])
        self.assertEqual((shown["name"], shown["device"]["serial"]), ("Den TV", "SN-1"))
        code, out, err = run_cli("account", "reset-code", "tv1@localhost", data_dir=self.dir)
        self.assertEqual(code, 0, err)
        self.assertNotEqual(out.strip(), first_code)
        self.assertEqual(run_cli("account", "delete", "tv1@localhost", data_dir=self.dir)[0], 0)
        self.assertEqual(run_cli("account", "list", data_dir=self.dir)[1], "alice@localhost user\n")

    def test_password_from_stdin(self):
        code, out, err = run_cli("account", "register", "--kind", "user", "--name", "carol",
                                 "--password-stdin", data_dir=self.dir, stdin=PASSWORD + "\n")
        self.assertEqual((code, out), (0, "carol@localhost\n"), err)

    def test_modify_reads_the_new_password_from_stdin(self):
        register_user(self.dir, "dave")
        code, out, err = run_cli("account", "modify", "dave@localhost", "--password-stdin",
                                 data_dir=self.dir, stdin=NEW_PASSWORD + "\n")
        self.assertEqual((code, out, err), (0, "version 2\n", ""))
        # The line without its newline is the password now, and only it.
        self.assertEqual(self.logins("dave", NEW_PASSWORD, PASSWORD),
                         ["session", "failed_auth"])

    def test_a_password_on_the_command_line_still_works_but_warns(self):
        register_user(self.dir, "erin")
        code, out, err = run_cli("account", "modify", "erin@localhost",
                                 "--set", "password=" + NEW_PASSWORD, data_dir=self.dir)
        self.assertEqual((code, out), (0, "version 2\n"), err)
        self.assertIn("warning", err)
        self.assertIn("--password-stdin", err)
        self.assertNotIn(NEW_PASSWORD, err)
        self.assertEqual(self.logins("erin", NEW_PASSWORD), ["session"])

    def test_modify_needs_exactly_one_source_of_changes(self):
        register_user(self.dir, "frank")
        both = run_cli("account", "modify", "frank@localhost", "--password-stdin",
                       "--set", "password=" + NEW_PASSWORD, data_dir=self.dir,
                       stdin=NEW_PASSWORD + "\n")
        neither = run_cli("account", "modify", "frank@localhost", data_dir=self.dir)
        for code, out, err in (both, neither):
            self.assertEqual((code, out), (2, ""), err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("--password-stdin", both[2])
        self.assertIn("--set", neither[2])
        shown = json.loads(run_cli("account", "show", "frank@localhost", data_dir=self.dir)[1])
        self.assertEqual(shown["version"], 1)

    def logins(self, name, *passwords):
        """Starts a node on the data dir and logs in with each password in
        turn (slixmpp); returns each outcome."""
        async def attempts(node):
            outcomes = []
            for password in passwords:
                client, outcome = await xs.login(node, name, password)
                outcomes.append(outcome)
                await client.close()
            return outcomes

        with Node(self.dir) as node:
            return asyncio.run(attempts(node))

    def test_no_secret_reaches_the_data_dir(self):
        register_user(self.dir, "alice", PASSWORD, "--display-name", "Findable Display Name")
        _, out, _ = register_device(self.dir, "tv1")
        codes = [out.split()[1]]
        codes.append(run_cli("account", "reset-code", "tv1@localhost", data_dir=self.dir)[1].strip())
        run_cli("account", "modify", "alice@localhost", "--set", "password=" + PASSWORD + "-2",
                data_dir=self.dir)
        needles = {PASSWORD.encode(), (PASSWORD + "-2").encode()}
        for c in codes:
            needles |= {c.encode(), c.replace("-", "").encode()}
        found_display_name = False
        for root, _, files in os.walk(self.dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for needle in needles:
                    self.assertNotIn(needle, data, os.path.join(root, name))
                found_display_name |= b"Findable Display Name" in data
        # The control: stored values are readable by this grep, so the
        # absence of the secrets above means something.
        self.assertTrue(found_display_name)


class NodeProgram(unittest.TestCase):
    def test_help_lists_every_option(self):
        p = subprocess.run([NODE, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for option in ("--config", "--data-dir", "--domain", "--cert", "--key", "--c2s-address",
                       "--c2s-port", "--c2s-tls-port", "--closed-registration", "--threads",
                       "--account-workers", "--scram-iterations", "--max-payload", "--offline-max",
                       "--offline-ttl", "--reset-unbinds", "--idle-seconds", "--no-builtin-apps",
                       "account"):
            self.assertIn(option, p.stdout)
        p = subprocess.run([NODE, "account", "modify", "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for option in ("--set", "--password-stdin", "--expect-version"):
            self.assertIn(option, p.stdout)

    def test_bad_option_is_one_line_naming_it(self):
        p = subprocess.run([NODE, "--no-such-option"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("--no-such-option", p.stderr)
        p = subprocess.run([NODE, "--c2s-port", "seventy"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--c2s-port", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_unusable_data_dir_is_one_line(self):
        with TempDir() as d:
            blocker = os.path.join(d, "file")
            open(blocker, "w").close()
            p = subprocess.run([NODE, "--data-dir", blocker], capture_output=True, text=True,
                               timeout=60)
            self.assertNotEqual(p.returncode, 0)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn(blocker, p.stderr)

    def test_node_starts_makes_a_certificate_and_stops_on_sigterm(self):
        with TempDir() as d:
            with Node(d) as node:
                self.assertTrue(os.path.exists(os.path.join(d, "tls", "cert.pem")))
                key = os.path.join(d, "tls", "key.pem")
                self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
                # The running node owns the data dir: a second node and the
                # account commands are refused with a clear reason.
                code, _, err = run_cli("account", "list", data_dir=d)
                self.assertEqual(code, 2)
                self.assertIn("already running", err)
                self.assertEqual(node.stop(signal.SIGTERM), 0)
            with open(os.path.join(d, "tls", "cert.pem"), "rb") as f:
                cert = f.read()
            with Node(d) as node:
                node.stop()
            with open(os.path.join(d, "tls", "cert.pem"), "rb") as f:
                self.assertEqual(f.read(), cert, "certificate reused, not regenerated")

    def test_domain_of_a_data_dir_is_kept(self):
        with TempDir() as d:
            self.assertEqual(register_user(d, "alice", PASSWORD, "--domain", "as1.example")[1],
                             "alice@as1.example\n")
            self.assertEqual(register_user(d, "bob")[1], "bob@as1.example\n")
            code, _, err = register_user(d, "carol", PASSWORD, "--domain", "as2.example")
            self.assertEqual(code, 2)
            self.assertIn("belongs to domain 'as1.example'", err)

    def test_config_file(self):
        with TempDir() as d:
            cfg = os.path.join(d, "irsp.toml")
            with open(cfg, "w") as f:
                f.write('domain = "conf.example"\n')
            code, out, err = run_cli("--config", cfg, "account", "register", "--kind", "user",
                                     "--name", "alice", "--password", PASSWORD, data_dir=d)
            self.assertEqual((code, out), (0, "alice@conf.example\n"), err)

    def test_embedded_example_runs(self):
        with TempDir() as d:
            p = subprocess.run([os.environ["IRSP_EMBEDDED_EXAMPLE"], d], capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("register livingroom-tv: ok as livingroom-tv@home.example", p.stdout)
            self.assertIn("push to livingroom-tv: queued", p.stdout)
            self.assertIn("node stopped", p.stdout)


if __name__ == "__main__":
    unittest.main()
