"""Fixtures for cluster tests: several irsp-node processes of one AS on
127.0.0.1, with certificates of one cluster CA, free ports and temp dirs."""

import os
import shutil
import subprocess
import time

from irsp_fixtures import NODE, Node, TempDir, free_port, run_cli

MASK = (1 << 64) - 1


def _fnv1a(h, data):
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & MASK
    return h


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
    return z ^ (z >> 31)


def home_of(key, nodes):
    """cluster/placement.cpp's rendezvous hashing, to pick accounts whose
    actor lives on a given node."""
    def weight(node):
        h = _fnv1a(0xcbf29ce484222325, node.encode())
        return _mix(_fnv1a(h ^ 0xff, key.encode()))
    return max(nodes, key=weight)


def shard_of(address, shards):
    """cluster/shard_map.cpp: the shard of the account store that holds
    `address` (rendezvous over "shard-0" .. "shard-(n-1)")."""
    names = ["shard-%d" % k for k in range(shards)]
    return names.index(home_of(address, names))


def name_in_shard(prefix, shard, shards, node=None, nodes=None):
    """An account name `prefix-N` in `shard`, homed on `node` if given."""
    for i in range(100000):
        name = "%s-%d" % (prefix, i)
        address = name + "@localhost"
        if shard_of(address, shards) == shard and (node is None
                                                   or home_of(address, nodes) == node):
            return name
    raise AssertionError("no name in shard %d" % shard)


def name_homed_on(prefix, node, nodes):
    """An account name `prefix-N` whose actor's home is `node`."""
    for i in range(10000):
        name = "%s-%d" % (prefix, i)
        if home_of(name + "@localhost", nodes) == node:
            return name
    raise AssertionError("no name homed on " + node)


class Cluster:
    """`n` nodes: the first makes the cluster CA (`irsp-node cluster init`),
    the others get certificates from it (`cluster issue`); every node has the
    first two as seeds, so the store has two shards, served by the first two
    nodes. Started in __enter__, which returns once every node has seen every
    other join and each shard has its backup; every process is killed in
    __exit__."""

    def __init__(self, n=3, extra=None, failure_ms=1500, etcd=None):
        self.etcd = etcd
        self.n = n
        self.extra = extra or {}
        self.failure_ms = failure_ms
        self.dir = TempDir()
        self.nodes = []
        self.ports = [free_port() for _ in range(n)]
        self.names = ["127.0.0.1:%d" % p for p in self.ports]
        self.dirs = []

    @property
    def shards(self):
        """One per seed: the first two nodes serve shards 0 and 1."""
        return min(2, self.n)

    def node_args(self, i):
        seeds = []
        for s in self.names[:2]:
            seeds += ["--seed", s]
        return ["--cluster-listen", self.names[i], *seeds,
                "--failure-ms", str(self.failure_ms), "--heartbeat-ms", "200",
                *(["--etcd", self.etcd, "--lease-seconds", "2"] if self.etcd else []),
                *self.extra.get(i, [])]

    def start(self, i, *more):
        node = Node(self.dirs[i], *self.node_args(i), *more).__enter__()
        self.nodes[i] = node
        return node

    def __enter__(self):
        root = self.dir.__enter__()
        for i in range(self.n):
            d = os.path.join(root, "node%d" % i)
            self.dirs.append(d)
            if i == 0:
                code, out, err = run_cli("cluster", "init", "--node-name", "node0", data_dir=d)
            else:
                code, out, err = run_cli("cluster", "issue", "--ca-dir",
                                         os.path.join(self.dirs[0], "cluster", "ca"),
                                         "--node-name", "node%d" % i, data_dir=d)
            if code != 0:
                raise RuntimeError("certificates: " + err)
        self.nodes = [None] * self.n
        try:
            for i in range(self.n):
                self.start(i)
            for i, node in enumerate(self.nodes):
                for j, other in enumerate(self.names):
                    if i != j and not node.wait_for_log("member %s (" % other, 30):
                        raise RuntimeError("node%d never saw %s join: %s"
                                           % (i, other, "".join(node.log)))
            for i, node in enumerate(self.nodes):
                if self.etcd and not node.wait_for_log("etcd: %s: serving accounts, owners %d"
                                                       % (self.names[i], self.n), 30):
                    raise RuntimeError("node%d holds no lease: %s" % (i, "".join(node.log)))
            for k in range(self.shards):
                if not self.nodes[k].wait_for_log("account store shard %d: backup is" % k, 30):
                    raise RuntimeError("shard %d of the account store has no backup: " % k
                                       + "".join(self.nodes[k].log))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def backup(self, shard=0):
        """The node holding the copy of `shard` (served by node `shard`)."""
        line = self.nodes[shard].log_lines("account store shard %d: backup is" % shard)[-1]
        return line.split("backup is ")[1].split(" ")[0]

    def status(self, i, via=0):
        """`irsp-node cluster status` against node i, with node `via`'s certs."""
        p = subprocess.run([NODE, "cluster", "status", "--node", self.names[i],
                            "--data-dir", self.dirs[via]],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def __exit__(self, *exc):
        for node in self.nodes:
            if node is not None:
                node.__exit__(None, None, None)
        self.dir.__exit__(None, None, None)


class Etcd:
    """A real etcd (Debian's etcd-server) on free loopback ports in a temp
    dir; killed and removed in __exit__."""

    def __init__(self):
        self.dir = TempDir()
        self.client = free_port()
        self.peer = free_port()
        self.url = "http://127.0.0.1:%d" % self.client
        self.proc = None

    def __enter__(self):
        d = self.dir.__enter__()
        peer = "http://127.0.0.1:%d" % self.peer
        self.proc = subprocess.Popen(
            ["etcd", "--data-dir", os.path.join(d, "etcd"), "--name", "default",
             "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", "default=" + peer],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import urllib.request
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if b"true" in r.read():
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("etcd did not start")

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.dir.__exit__(None, None, None)
