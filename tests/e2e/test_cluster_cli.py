"""irsp-node cluster init|issue: the cluster CA and node certificates as an
operator makes them (cluster/README.md, "Certificates")."""

import os
import socket
import stat
import subprocess
import unittest

from irsp_fixtures import Node, TempDir, free_port, run_cli

NODE_FILES = ("ca.pem", "node.pem", "node-key.pem")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def openssl(*args):
    p = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


class ClusterCommands(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.first = os.path.join(self.root, "first")
        self.second = os.path.join(self.root, "second")

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def init(self, *extra):
        return run_cli("cluster", "init", *extra, data_dir=self.first)

    def test_a_store_keeps_its_number_of_shards(self):
        # Made with one shard (a member alone: itself the storage node)...
        self.assertEqual(self.init("--node-name", "solo")[0], 0)
        listen = "127.0.0.1:%d" % free_port()
        with Node(self.first, "--cluster-listen", listen):
            pass
        # ...it refuses to start split in two (accounts would be looked for
        # in the wrong shard), naming both numbers, and starts as it was.
        code, out, err = run_cli("--cluster-listen", listen, "--storage-node", listen,
                                 "--storage-node", "127.0.0.1:1", data_dir=self.first)
        self.assertEqual(code, 1, err)
        self.assertIn("has 1 shard(s), but 2 storage node(s)", err)
        with Node(self.first, "--cluster-listen", listen, "--storage-node", listen) as node:
            self.assertTrue(node.log_lines("account store in 1 shard(s)"))

    def test_init_makes_the_ca_and_this_nodes_certificate(self):
        code, out, err = self.init("--node-name", "n1.cluster.test")
        self.assertEqual(code, 0, err)
        ca_dir = os.path.join(self.first, "cluster", "ca")
        node_dir = os.path.join(self.first, "cluster")
        for name in ("ca.pem", "ca-key.pem"):
            self.assertIn(os.path.join(ca_dir, name), out)
        for name in NODE_FILES:
            self.assertIn(os.path.join(node_dir, name), out)
        # The next step, ready to copy.
        self.assertIn("irsp-node cluster issue --ca-dir " + ca_dir, out)
        self.assertEqual(mode(os.path.join(ca_dir, "ca-key.pem")), 0o600)
        self.assertEqual(mode(os.path.join(node_dir, "node-key.pem")), 0o600)
        self.assertEqual(mode(ca_dir), 0o700)
        self.assertFalse(os.path.exists(os.path.join(node_dir, "ca-key.pem")))
        # A third-party verifier agrees: the node's certificate chains to the
        # CA for both TLS roles, and names the node.
        for purpose in ("sslclient", "sslserver"):
            code, text = openssl("verify", "-purpose", purpose, "-CAfile",
                                 os.path.join(node_dir, "ca.pem"),
                                 os.path.join(node_dir, "node.pem"))
            self.assertEqual(code, 0, text)
        code, text = openssl("x509", "-noout", "-ext", "subjectAltName", "-in",
                             os.path.join(node_dir, "node.pem"))
        self.assertIn("DNS:n1.cluster.test", text)

    def test_init_defaults_the_node_name_to_the_host_name(self):
        code, out, err = self.init()
        self.assertEqual(code, 0, err)
        code, text = openssl("x509", "-noout", "-ext", "subjectAltName", "-in",
                             os.path.join(self.first, "cluster", "node.pem"))
        self.assertIn("DNS:" + socket.gethostname(), text)

    def test_issue_makes_another_nodes_certificate_from_the_same_ca(self):
        self.assertEqual(self.init("--node-name", "n1.test")[0], 0)
        ca_dir = os.path.join(self.first, "cluster", "ca")
        code, out, err = run_cli("cluster", "issue", "--ca-dir", ca_dir,
                                 "--node-name", "n2.test", data_dir=self.second)
        self.assertEqual(code, 0, err)
        node_dir = os.path.join(self.second, "cluster")
        self.assertEqual(sorted(os.listdir(node_dir)), sorted(NODE_FILES))
        self.assertEqual(mode(os.path.join(node_dir, "node-key.pem")), 0o600)
        with open(os.path.join(node_dir, "ca.pem")) as a, \
                open(os.path.join(ca_dir, "ca.pem")) as b:
            self.assertEqual(a.read(), b.read())
        code, text = openssl("verify", "-purpose", "sslclient", "-CAfile",
                             os.path.join(ca_dir, "ca.pem"), os.path.join(node_dir, "node.pem"))
        self.assertEqual(code, 0, text)

    def test_init_twice_is_refused_and_changes_nothing(self):
        self.assertEqual(self.init("--node-name", "n1.test")[0], 0)
        ca_pem = os.path.join(self.first, "cluster", "ca", "ca.pem")
        with open(ca_pem) as f:
            before = f.read()
        code, out, err = self.init("--node-name", "n1.test")
        self.assertEqual(code, 1, (out, err))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertRegex(err, r"^irsp-node: error: .*ca\.pem exists")
        with open(ca_pem) as f:
            self.assertEqual(f.read(), before)

    def test_issue_over_existing_files_is_refused(self):
        self.assertEqual(self.init("--node-name", "n1.test")[0], 0)
        ca_dir = os.path.join(self.first, "cluster", "ca")
        # The first node's own data dir already has its certificate.
        code, out, err = run_cli("cluster", "issue", "--ca-dir", ca_dir,
                                 "--node-name", "n2.test", data_dir=self.first)
        self.assertEqual(code, 1, (out, err))
        self.assertRegex(err, r"^irsp-node: error: .*exists; refusing to overwrite it\n$")

    def test_a_bad_ca_dir_is_one_line_and_exit_1(self):
        missing = os.path.join(self.root, "no-such-ca")
        code, out, err = run_cli("cluster", "issue", "--ca-dir", missing,
                                 "--node-name", "n2.test", data_dir=self.second)
        self.assertEqual(code, 1, (out, err))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("irsp-node: error: "), err)
        self.assertIn(os.path.join(missing, "ca.pem"), err)
        self.assertFalse(os.path.exists(os.path.join(self.second, "cluster")))

    def test_a_node_directory_is_not_a_ca(self):
        self.assertEqual(self.init("--node-name", "n1.test")[0], 0)
        # The node's dir has ca.pem but not the CA's key.
        code, out, err = run_cli("cluster", "issue", "--ca-dir",
                                 os.path.join(self.first, "cluster"),
                                 "--node-name", "n2.test", data_dir=self.second)
        self.assertEqual(code, 1, (out, err))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("ca-key.pem", err)

    def test_a_bad_node_name_is_refused(self):
        code, out, err = self.init("--node-name", "no spaces please")
        self.assertEqual(code, 1, (out, err))
        self.assertIn("not a DNS name", err)
        self.assertFalse(os.path.exists(os.path.join(self.first, "cluster", "ca", "ca.pem")))


if __name__ == "__main__":
    unittest.main()
