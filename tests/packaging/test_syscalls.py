"""The daemon stays inside the systemd unit's sandbox: run it under
`strace -f` (a --once pass, then the server with scrapes of every endpoint and
a SIGTERM) and require every system call it makes to be allowed by the unit's
SystemCallFilter= and every socket it opens to be of a family in
RestrictAddressFamilies=.  A call outside the filter would fail with EPERM in
production, where no test would see it."""
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import pkgtest as p

# strace prints "PID name(args" (or "PID <... name resumed>"); -qq drops the
# attach/exit noise.
CALL = re.compile(r"^\d+\s+([a-z_0-9]+)\(")
SOCKET = re.compile(r"^\d+\s+socket\((AF_[A-Z0-9]+)")
SETNS = re.compile(r"^\d+\s+setns\(\d+, ([^)]*)\)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, method="GET", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


# Run as the unit runs it: an unprivileged user holding only the unit's
# capabilities (ambient), so socklife finds nothing to drop and makes no
# capset/setuid calls, which the filter would refuse.
UNIT_CAPS = "dac_read_search,+sys_ptrace,+sys_admin"


def traced(trace_path, args, **kw):
    cmd = [p.tool("strace"), "-f", "-qq", "-o", trace_path, "--", p.SOCKLIFE, *args]
    if os.geteuid() == 0:
        cmd = [p.tool("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups",
               f"--inh-caps=-all,+{UNIT_CAPS}", f"--ambient-caps=-all,+{UNIT_CAPS}",
               f"--bounding-set=-all,+{UNIT_CAPS}", "--"] + cmd
    return subprocess.Popen(cmd, **kw)


def read_trace(path):
    calls, families, setns = {}, set(), set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = CALL.match(line)
            if m:
                calls[m.group(1)] = calls.get(m.group(1), 0) + 1
            m = SOCKET.match(line)
            if m:
                families.add(m.group(1))
            m = SETNS.match(line)
            if m:
                setns.add(m.group(1))
    return calls, families, setns


class Syscalls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if p.SANITIZED:
            print("SKIP: built with sanitizers, whose runtime makes calls the real "
                  "daemon does not", flush=True)
            sys.exit(p.SKIP)
        u = p.parse_unit()
        cls.allowed = p.allowed_syscalls(u)
        cls.families = set(" ".join(p.unit_values(u, "RestrictAddressFamilies")).split())
        cls.tmp = tempfile.TemporaryDirectory()
        os.chmod(cls.tmp.name, 0o777)  # strace writes here as the unprivileged user

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, trace, source="auto"):
        calls, families, setns = read_trace(trace)
        # The trace is real: it saw the calls any pass makes (fds read one
        # by one over netlink, one walk of them all with bpf).
        walk = "readlinkat" if source == "netlink" else "bpf"
        for c in ("openat", "getdents64", walk, "socket", "sendto"):
            self.assertIn(c, calls, f"strace saw no {c}: {sorted(calls)}")
        # execve is strace starting the program (systemd's own exec is
        # allowed by @system-service too).
        outside = sorted(set(calls) - self.allowed)
        self.assertEqual(outside, [], f"calls outside SystemCallFilter=: {outside}")
        self.assertIn("AF_NETLINK", families)
        self.assertEqual(families - self.families, set(),
                         "socket families outside RestrictAddressFamilies=")
        # RestrictNamespaces=net lets setns() through only with CLONE_NEWNET:
        # setns(fd, 0) ("any type") fails with EPERM under the unit.
        self.assertLessEqual(setns, {"CLONE_NEWNET"},
                             "setns() must name CLONE_NEWNET to pass RestrictNamespaces=net")
        return calls

    def test_once(self):
        self.once("auto")

    def test_once_netlink(self):
        self.once("netlink")

    def once(self, source):
        trace = os.path.join(self.tmp.name, f"once-{source}.trace")
        # With root, a second (named) network namespace, so that a daemon that
        # enters namespaces does so here, under strace.
        ns = f"slpkg-{os.getpid()}" if os.geteuid() == 0 and shutil.which("ip") else None
        if ns:
            subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            proc = traced(trace, ["--once", f"--socket-source={source}"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = proc.communicate(timeout=60)
        finally:
            if ns:
                subprocess.run(["ip", "netns", "delete", ns], check=False)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"socklife_sockets{", out)
        self.check(trace, source)

    def test_server(self):
        trace = os.path.join(self.tmp.name, "server.trace")
        port = free_port()
        proc = traced(trace, ["--web.listen-address", f"127.0.0.1:{port}",
                              "--interval", "200ms"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status, _ = get(port, "/healthz")
                    if status == 200:
                        break
                except OSError:
                    pass
                self.assertIsNone(proc.poll(), "socklife exited early")
                self.assertLess(time.monotonic(), deadline, "never became healthy")
                time.sleep(0.1)
            status, body = get(port, "/metrics", headers={"Accept-Encoding": "gzip"})
            self.assertEqual(status, 200)
            self.assertIn(b"socklife_sockets{", gzip.decompress(body))
            self.assertEqual(get(port, "/metrics")[0], 200)
            self.assertEqual(get(port, "/")[0], 200)
            self.assertEqual(get(port, "/", method="HEAD")[0], 200)
            self.assertEqual(get(port, "/nope")[0], 404)
            self.assertEqual(get(port, "/metrics", method="POST")[0], 405)
            time.sleep(0.5)  # a few sampling passes on the background thread
            # SIGTERM to socklife itself (the first pid in the trace), not strace.
            with open(trace) as f:
                pid = int(f.readline().split()[0])
            os.kill(pid, signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 0, err)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        calls = self.check(trace)
        for c in ("accept4", "epoll_wait", "clone3", "bind", "listen"):
            self.assertIn(c, calls, f"strace saw no {c}")


if __name__ == "__main__":
    unittest.main()
