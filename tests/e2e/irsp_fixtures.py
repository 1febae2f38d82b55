"""Fixtures for end-to-end tests: real irsp-node processes on 127.0.0.1 with
free ports and temporary data dirs, always cleaned up."""

import os
import select
import signal
import socket
import subprocess
import tempfile
import shutil
import time

NODE = os.environ.get("IRSP_NODE", "irsp-node")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args, data_dir, stdin=None):
    """Runs `irsp-node ARGS --data-dir DIR`; returns (exit code, stdout, stderr)."""
    p = subprocess.run([NODE, *args, "--data-dir", data_dir], input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="irsp-e2e-")

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


class Node:
    """An irsp-node process. Started in __enter__, which returns once the node
    has said it is running; stopped (SIGTERM, then SIGKILL) in __exit__."""

    def __init__(self, data_dir, *extra, ready_timeout=60):
        self.data_dir = data_dir
        self.c2s_port = free_port()
        self.c2s_tls_port = free_port()
        self.args = [NODE, "--data-dir", data_dir,
                     "--c2s-port", str(self.c2s_port),
                     "--c2s-tls-port", str(self.c2s_tls_port), *extra]
        self.ready_timeout = ready_timeout
        self.proc = None
        self.log = []

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + self.ready_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise RuntimeError("irsp-node not ready: " + "".join(self.log))
            ready, _, _ = select.select([self.proc.stderr], [], [], left)
            if not ready:
                continue
            line = self.proc.stderr.readline()
            if not line:
                self.proc.wait()
                raise RuntimeError("irsp-node exited %s: %s"
                                   % (self.proc.returncode, "".join(self.log)))
            self.log.append(line)
            if "irsp-node: running" in line:
                return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the node with `sig` and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rest = self.proc.stderr.read()
        if rest:
            self.log.append(rest)
        self.proc.stderr.close()
        return self.proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.returncode is None:
            self.kill()
