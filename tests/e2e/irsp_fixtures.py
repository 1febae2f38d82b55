"""Fixtures for end-to-end tests: real irsp-node processes on 127.0.0.1 with
free ports and temporary data dirs, always cleaned up."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import unittest
import shutil
import threading
import time

NODE = os.environ.get("IRSP_NODE", "irsp-node")

# An AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report in
# an irsp-node's stderr (tests/sanitize.sh builds one that prints them). The
# fixtures fail the test on one even when it came as the node stopped (a leak,
# undefined behaviour in a destructor) and the test saw nothing wrong.
SANITIZER_REPORT = re.compile(r"==\d+==ERROR: \w*Sanitizer|^\S+:\d+:\d+: runtime error: ",
                              re.MULTILINE)


def check_no_sanitizer_report(stderr, what):
    """Raises AssertionError if `stderr` holds a sanitizer report."""
    m = SANITIZER_REPORT.search(stderr)
    if m:
        raise AssertionError("%s printed a sanitizer report:\n%s" % (what, stderr[m.start():]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args, data_dir, stdin=None):
    """Runs `irsp-node ARGS --data-dir DIR`; returns (exit code, stdout, stderr)."""
    p = subprocess.run([NODE, *args, "--data-dir", data_dir], input=stdin,
                       capture_output=True, text=True, timeout=60)
    check_no_sanitizer_report(p.stderr, "irsp-node " + " ".join(args))
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
        self._log_changed = threading.Condition()
        self._reader = None
        self._ended = False

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        # One thread drains stderr for the node's whole life, so a chatty
        # node never blocks on a full pipe and tests can wait for lines.
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.ready_timeout
        with self._log_changed:
            while not any("irsp-node: running" in line for line in self.log):
                if self._ended:
                    self.proc.wait()
                    raise RuntimeError("irsp-node exited %s: %s"
                                       % (self.proc.returncode, "".join(self.log)))
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._log_changed.wait(left)
            else:
                return self
        self.kill()
        raise RuntimeError("irsp-node not ready: " + "".join(self.log))

    def _read_log(self):
        for line in self.proc.stderr:
            with self._log_changed:
                self.log.append(line)
                self._log_changed.notify_all()
        with self._log_changed:
            self._ended = True
            self._log_changed.notify_all()

    def log_mark(self):
        """Where stderr stands now: pass it as `since` to look only at lines
        written after (a client's port, say, is reused by later clients)."""
        with self._log_changed:
            return len(self.log)

    def log_lines(self, needle, since=0):
        """The lines of stderr so far that contain `needle`."""
        with self._log_changed:
            return [line for line in self.log[since:] if needle in line]

    def wait_for_log(self, needle, timeout=10, since=0):
        """Waits until a line of stderr contains `needle`; returns it, or
        None on timeout. Blocking: from asyncio, call it in a thread."""
        deadline = time.monotonic() + timeout
        with self._log_changed:
            while True:
                for line in self.log[since:]:
                    if needle in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._log_changed.wait(left)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the node with `sig` and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout)
        self.proc.stderr.close()
        with self._log_changed:
            check_no_sanitizer_report("".join(self.log), "irsp-node")
        return self.proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.returncode is None:
            self.kill()


class OneNodeTestCase(unittest.IsolatedAsyncioTestCase):
    """Async scenarios sharing one irsp-node (in a temp data dir) per class;
    each test uses its own accounts."""

    node_args = ()  # extra irsp-node options for the class's node

    @classmethod
    def setUpClass(cls):
        cls.dir = TempDir()
        cls.node = Node(cls.dir.__enter__(), *cls.node_args).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        cls.dir.__exit__(None, None, None)
