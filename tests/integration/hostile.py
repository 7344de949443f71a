"""Shared helpers of the hostile-input tests (test_hostile_*.py): what an
attacker on the network does to the daemon, and how a scraper measures
what it still gets.

- Attackers: many connections, each from a chosen loopback source address
  (127.0.0.0/8 is all local, so every test can use many addresses), each
  sending a request that never ends, or trickling one.
- timed_get, Scraper: scrapes from a given address, timed.
- exchange, statuses: one raw exchange and the responses in it.
"""
import contextlib
import errno
import http.client
import os
import re
import resource
import select
import socket
import struct
import subprocess
import threading
import time

import harness as h

LINGER_RST = struct.pack("ii", 1, 0)
# Bind an IPv6 address the host does not have (linux/in6.h): with a local
# route for a whole prefix, each of its addresses is a client of its own.
IPV6_FREEBIND = 78
# What a slowloris sends: a request that never ends.
PARTIAL = b"GET /metrics HTTP/1.1\r\nHost: socklife\r\nX-Slow: "


def raise_fd_limit(want=8192):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def sanitizer_reports(log):
    return [line for line in log.splitlines()
            if "AddressSanitizer" in line or "LeakSanitizer" in line
            or "runtime error:" in line]


def check_stopped_cleanly(d):
    """Stop the daemon: status 0, no sanitizer report (usable where there is
    no test case, e.g. in tearDownClass)."""
    rc = d.stop()
    if rc != 0:
        raise AssertionError(f"socklife exited {rc}: {d.stderr[-4000:]}")
    reports = sanitizer_reports(d.stderr)
    if reports:
        raise AssertionError(f"sanitizer reports: {reports}")


def stop_cleanly(test, d):
    test.assertEqual(d.stop(), 0, d.stderr[-4000:])
    test.assertEqual(sanitizer_reports(d.stderr), [])


class Attackers:
    """Many TCP connections to the daemon, each from a chosen source
    address, each sending a request that never ends.  Closed with a reset
    (no TIME_WAIT left behind) when the block ends."""

    def __init__(self, port, host="127.0.0.1", first=PARTIAL):
        self.port, self.host, self.first = port, host, first
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socks = []  # [(source address, socket)]

    def __enter__(self):
        return self

    def open(self, sources, wait=20):
        """Start one connection per entry of sources (non-blocking, so the
        kernel's accept backlog overflowing only delays some), then wait
        until every one has connected or been refused, and send each the
        start of a request."""
        fresh = []
        for src in sources:
            s = socket.socket(self.family, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
            if self.family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
            s.bind((src, 0))
            err = s.connect_ex((self.host, self.port))
            if err not in (0, errno.EINPROGRESS):
                s.close()
                raise AssertionError(f"connect from {src}: {os.strerror(err)}")
            fresh.append((src, s))
        self.socks += fresh
        pending = {s.fileno(): (src, s) for src, s in fresh}
        poller = select.poll()
        for fd in pending:
            poller.register(fd, select.POLLOUT)
        deadline = time.monotonic() + wait
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(100):
                src, s = pending.pop(fd)
                poller.unregister(fd)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and self.first:
                    with contextlib.suppress(OSError):
                        s.send(self.first)
        if pending:
            raise AssertionError(f"{len(pending)} connections still not connected after {wait} s")

    def closed_by_server(self):
        """The connections the server has closed, refused, or answered."""
        poller = select.poll()
        by_fd = {}
        for src, s in self.socks:
            poller.register(s.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP |
                            select.POLLRDHUP)
            by_fd[s.fileno()] = (src, s)
        return [by_fd[fd] for fd, _ in poller.poll(0)]

    def held_per_source(self):
        """How many connections from each source the server still holds."""
        closed = {id(s) for _, s in self.closed_by_server()}
        held = {}
        for src, s in self.socks:
            held.setdefault(src, 0)
            if id(s) not in closed:
                held[src] += 1
        return held

    def reap(self):
        """Close (with a reset) the connections the server closed; return
        their sources so they can be opened again."""
        gone = self.closed_by_server()
        ids = {id(s) for _, s in gone}
        for _, s in gone:
            s.close()
        self.socks = [(src, s) for src, s in self.socks if id(s) not in ids]
        return [src for src, _ in gone]

    def trickle(self, data=b"X-Slow: 1\r\n"):
        """Send one more header line on every connection still open: a
        slowloris that is never idle."""
        for _, s in self.socks:
            with contextlib.suppress(OSError):
                s.send(data)

    def __exit__(self, *exc):
        for _, s in self.socks:
            s.close()
        self.socks = []


class Flood:
    """Attackers that keep `per_source` connections open from each source
    address, opening a new one whenever the server closes one, and with
    `trickle` set, send every open connection a header line that often
    (so they are never idle).  Runs in a thread until the block ends;
    `attempts` counts the connections opened."""

    def __init__(self, port, sources, per_source, trickle=None, first=PARTIAL,
                 host="127.0.0.1"):
        self.attackers = Attackers(port, host=host, first=first)
        self.wanted = [src for src in sources for _ in range(per_source)]
        self.trickle = trickle
        self.attempts = 0
        self.errors = []
        self.stop = threading.Event()

    def __enter__(self):
        self.attackers.open(self.wanted)
        self.attempts = len(self.wanted)
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        return self

    def _run(self):
        next_line = time.monotonic() + (self.trickle or 0)
        try:
            while not self.stop.is_set():
                again = self.attackers.reap()
                if again:
                    self.attackers.open(again)
                    self.attempts += len(again)
                if self.trickle and time.monotonic() >= next_line:
                    self.attackers.trickle()
                    next_line += self.trickle
                if not again:
                    time.sleep(0.01)
        except Exception as e:  # reported by the test
            self.errors.append(e)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.attackers.__exit__(*exc)


def timed_get(port, path="/metrics", source="127.0.0.1", timeout=10, headers=None):
    """One GET from a given source address: (status, body, seconds)."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.connect()
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return r.status, body, time.monotonic() - t0
    finally:
        conn.close()


def scrape_times(port, n, source, pause=0.2, timeout=15, path="/metrics", headers=None):
    """n scrapes from `source`, one after the other: [(status, seconds)],
    with the exception's name for status when one failed."""
    out = []
    for _ in range(n):
        t0 = time.monotonic()
        try:
            status, body, secs = timed_get(port, path=path, source=source, timeout=timeout,
                                           headers=headers)
            if status == 200 and path == "/metrics" and b"socklife_build_info" not in body:
                status = "truncated"
        except (OSError, http.client.HTTPException) as e:
            status, secs = type(e).__name__, time.monotonic() - t0
        out.append((status, secs))
        time.sleep(pause)
    return out


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def latency_report(results):
    secs = [s for _, s in results]
    return (f"{sum(1 for st, _ in results if st == 200)}/{len(results)} scrapes got 200; "
            f"p50 {percentile(secs, 50):.3f} s, p95 {percentile(secs, 95):.3f} s, "
            f"max {max(secs):.3f} s; statuses {sorted(set(str(st) for st, _ in results))}")


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat fields 14
    and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listen_queue(port):
    """Connections waiting in the daemon's accept queue (Recv-Q of its
    listening socket, as ss shows it)."""
    out = subprocess.run([h.tool("ss"), "-Hltn", f"sport = :{port}"], capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[1]) if len(out) > 1 else 0



def exchange(port, source, chunks, pause=0.0, linger=3.0, nodelay=False):
    """Send chunks (pausing between them) from source, then read until the
    server closes or `linger` seconds pass without it doing so.  Returns
    (everything received, whether the server closed, seconds from the last
    byte sent to the close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got = b""
    try:
        s.bind((source, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        sent_at = time.monotonic()
        try:
            for i, chunk in enumerate(chunks):
                if i and pause:
                    time.sleep(pause)
                s.sendall(chunk)
                sent_at = time.monotonic()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it stopped listening: what it said is still to be read
        deadline = sent_at + linger
        closed = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                b = s.recv(1 << 16)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not b:
                closed = True
                break
            got += b
        return got, closed, time.monotonic() - sent_at
    finally:
        s.close()


STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


def statuses(got):
    """Status codes of the responses in a byte stream (not 1xx)."""
    return [int(m.group(1)) for m in STATUS.finditer(got) if not m.group(1).startswith(b"1")]


def response_headers(got):
    return got.split(b"\r\n\r\n", 1)[0].lower()

