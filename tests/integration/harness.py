"""Helpers for socklife's integration tests.

Everything here is real: throwaway network namespaces made with `ip netns`,
the population builder (sl-popgen) holding real sockets, the socklife binary
under test, HTTP over loopback, and Debian's promtool.  Tests that need root
exit with status 77, which ctest reports as skipped, and say why.
"""
import contextlib
import ctypes
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.environ.get("SL_FIXTURE", os.path.join(HERE, "..", "..", "build", "tests",
                                                     "integration", "sl-fixture"))
EXAMPLES = os.path.join(HERE, "..", "..", "examples")
SOCKLIFE = os.environ.get("SOCKLIFE", os.path.join(HERE, "..", "..", "build", "socklife"))
POPGEN = os.environ.get("SL_POPGEN", os.path.join(HERE, "..", "..", "build", "tests",
                                                   "integration", "sl-popgen"))
# Built with ASan + UBSan: memory figures mean nothing (the allocator keeps a
# quarantine), leaks are found by LeakSanitizer instead, valgrind cannot run.
SANITIZED = os.environ.get("SL_SANITIZED") == "1"
TCP_STATES = ["established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
              "close", "close_wait", "last_ack", "listen", "closing"]
SS_STATES = {"ESTAB": "established", "SYN-SENT": "syn_sent", "SYN-RECV": "syn_recv",
             "FIN-WAIT-1": "fin_wait1", "FIN-WAIT-2": "fin_wait2", "TIME-WAIT": "time_wait",
             "UNCONN": "close", "CLOSE-WAIT": "close_wait", "LAST-ACK": "last_ack",
             "LISTEN": "listen", "CLOSING": "closing"}
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def require_root():
    if os.geteuid() != 0:
        print("SKIP: this test needs root to create network namespaces", flush=True)
        sys.exit(SKIP)


def tool(name):
    """Path of a required external tool; CI installs them all, so a missing
    one is a failure, not a skip."""
    path = shutil.which(name)
    if not path:
        raise AssertionError(f"{name} is not installed (scripts/deps.sh installs it)")
    return path


# --- network namespaces ---------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class Netns:
    """A named network namespace (under /run/netns) that this test process
    enters; every process it starts from then on lives in it too."""

    def __init__(self, prefix="slt"):
        self.name = f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:4]}"

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        self._orig = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            _setns(fd)
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        _setns(self._orig)
        os.close(self._orig)
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.name], check=False)


# --- the population builder ----------------------------------------------

class Population:
    """sl-popgen: an exactly known set of TCP sockets, held until exit."""

    def __init__(self, established=5, close_wait=3, time_wait=4, hostile=False, udp=0, unix=0,
                 names=(), many=0, many_sockets=1):
        """names: comm names (bytes) of processes holding one LISTEN socket
        each; many: that many processes named sl-m<i>, each holding
        many_sockets UDP sockets."""
        self.established, self.close_wait, self.time_wait = established, close_wait, time_wait
        self.args = [POPGEN, f"--established={established}", f"--close-wait={close_wait}",
                     f"--time-wait={time_wait}", f"--udp={udp}", f"--unix={unix}",
                     f"--many={many}", f"--many-sockets={many_sockets}"] + (["--hostile"] if hostile else []) + \
            [b"--name=" + n for n in names]
        self.hostile = hostile

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise AssertionError(f"sl-popgen did not get ready: {line!r}")
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()

    def namespace_counts(self):
        """Expected socklife_sockets per TCP state."""
        c = dict.fromkeys(TCP_STATES, 0)
        c["listen"] = 2 + (4 if self.hostile else 0)
        c["established"] = 2 * self.established
        c["close_wait"] = self.close_wait
        c["fin_wait2"] = self.close_wait
        c["time_wait"] = self.time_wait
        return c

    def group_counts(self):
        """Expected socklife_process_sockets per group, states not listed are 0."""
        g = {
            "sl-server": {"listen": 1, "established": self.established},
            "sl-client": {"established": self.established},
            "sl-cwait": {"close_wait": self.close_wait},
            "sl-finwait": {"listen": 1, "fin_wait2": self.close_wait},
        }
        if self.hostile:
            for name in HOSTILE_NAMES:
                g[name] = {"listen": 1}
        return g


class Fleet:
    """Fixture processes (sl-fixture and the Python example), each started
    and waited for until it says "ready", all killed on exit."""

    class Proc:
        def __init__(self, popen, port):
            self.popen, self.port, self.pid = popen, port, popen.pid

    def __enter__(self):
        self.procs = []
        return self

    def _spawn(self, args):
        p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline().split()
        if not line or line[0] != "ready":
            p.kill()
            raise AssertionError(f"{args} did not get ready: {line}")
        proc = Fleet.Proc(p, int(line[1]) if len(line) > 1 else None)
        self.procs.append(proc)
        return proc

    def start(self, mode, **opts):
        return self._spawn([FIXTURE, f"--mode={mode}"] +
                           [f"--{k}={v}" for k, v in opts.items()])

    def python_example(self, port):
        return self._spawn([sys.executable, os.path.join(EXAMPLES, "forgetful_client.py"),
                            str(port)])

    def __exit__(self, *exc):
        for p in self.procs:
            p.popen.kill()
        for p in self.procs:
            p.popen.wait()
            p.popen.stdout.close()
            p.popen.stdin.close()


class Container:
    """Put processes in a cgroup shaped like a Docker container's
    (/docker/<64 hex>), the way a container runtime would, so socklife labels
    them with that container.  Uses the cgroup v1 "pids" hierarchy when it is
    mounted, else cgroup v2 (system.slice/docker-<id>.scope)."""

    def __init__(self):
        self.id = uuid.uuid4().hex + uuid.uuid4().hex  # 64 hex digits
        self.short = self.id[:12]

    def __enter__(self):
        v1 = "/sys/fs/cgroup/pids"
        if os.path.isdir(v1) and os.path.exists(f"{v1}/cgroup.procs"):
            self.root = v1
            self.path = f"{v1}/docker/{self.id}"
        else:
            self.root = "/sys/fs/cgroup/unified" if os.path.isdir(
                "/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
            self.path = f"{self.root}/system.slice/docker-{self.id}.scope"
        os.makedirs(self.path)
        return self

    def add(self, pid):
        with open(f"{self.path}/cgroup.procs", "w") as f:
            f.write(str(pid))

    def __exit__(self, *exc):
        with contextlib.suppress(OSError):
            with open(f"{self.path}/cgroup.procs") as f:
                pids = f.read().split()
            for pid in pids:
                with contextlib.suppress(OSError):
                    with open(f"{self.root}/cgroup.procs", "w") as f:
                        f.write(pid)
        with contextlib.suppress(OSError):
            os.rmdir(self.path)


# comm names as the kernel stores them, decoded the way socklife must label them
# (control characters, like bytes that are not UTF-8, show as U+FFFD)
HOSTILE_NAMES = ['q"uote', "back\\slash", "new\ufffdline", "bad\ufffd\ufffd"]


# --- running socklife -----------------------------------------------------

def run_once(*args, check=True, netns="host"):
    """One pass.  Tests look at the namespace they run in, so by default
    socklife dumps only that one (other tests run in parallel next door)."""
    r = subprocess.run([SOCKLIFE, "--once", f"--netns={netns}", *args], capture_output=True,
                       timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"socklife --once failed ({r.returncode}): {r.stderr.decode()}")
    return r


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def read_whole(f):
    """What a file a running child writes to holds, read without moving
    the offset the child shares with us (a seek would make it write over
    the beginning)."""
    return os.pread(f.fileno(), os.fstat(f.fileno()).st_size, 0).decode(errors="replace")


class Daemon:
    """socklife running in the background, serving on loopback."""

    def __init__(self, *args, interval="200ms", env=None, host="127.0.0.1", netns="host"):
        self.host = host
        self.port = free_port(host)
        bracketed = f"[{host}]" if ":" in host else host
        # Tests want every namespace every pass, whatever runs next door:
        # a budget of their own where they test it.
        budget = [] if any(a.startswith("--netns.read-budget") for a in args) else \
            ["--netns.read-budget=1m"]
        self.args = [SOCKLIFE, f"--web.listen-address={bracketed}:{self.port}",
                     f"--interval={interval}", f"--netns={netns}", *budget, *args]
        self.env = env
        self.returncode = None

    def __enter__(self):
        # stderr goes to a file: a pipe nobody reads could fill and stall it
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stderr=self.log, env=self.env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.read_log()
                self.log.close()
                raise AssertionError(f"socklife exited: {log}")
            # Connect only once the first pass is done ("listening" is logged
            # after it): a connection made during that pass would be counted.
            if "listening on" not in self.read_log():
                time.sleep(0.02)
                continue
            with contextlib.suppress(OSError):
                if self.get("/healthz")[0] == 200:
                    return self
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        log = self.read_log()
        self.log.close()
        raise AssertionError(f"socklife never became healthy: {log}")

    def read_log(self):
        return read_whole(self.log)

    def stop(self, sig=signal.SIGTERM):
        if self.returncode is None:
            self.proc.send_signal(sig)
            self.returncode = self.proc.wait(timeout=20)
            self.stderr = self.read_log()
        return self.returncode

    def __exit__(self, *exc):
        try:
            if self.returncode is None:
                self.stop()
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self.log.close()

    def get(self, path, headers=None, method="GET"):
        return get(self.port, path, headers, method, host=self.host)


def get(port, path, headers=None, method="GET", host="127.0.0.1", timeout=10):
    """One request on a fresh connection: (status, {lower-case header: value}, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.connect()
        # Close with a reset: a normal close would leave a TIME_WAIT socket in
        # the namespace under test and change the counts being checked.
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def metrics_text(port, gzipped=False):
    status, headers, body = get(port, "/metrics",
                                {"Accept-Encoding": "gzip"} if gzipped else {})
    assert status == 200, status
    if gzipped:
        assert headers.get("content-encoding") == "gzip", headers
        body = gzip.decompress(body)
    else:
        assert "content-encoding" not in headers, headers
    return body.decode("utf-8")


# --- the exposition -------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse(text):
    """Samples of an exposition: a list of (name, {label: value}, float)."""
    out = []
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = {}
        if m.group(2):
            pos = 0
            for lm in _LABEL.finditer(m.group(2)):
                assert lm.start() == pos, f"bad labels in {line!r}"
                labels[lm.group(1)] = re.sub(r'\\[\\"n]', lambda e: _UNESCAPE[e.group(0)],
                                             lm.group(2))
                pos = lm.end()
            assert pos == len(m.group(2)), f"bad labels in {line!r}"
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def select(samples, name, **labels):
    return [(l, v) for n, l, v in samples if n == name and
            all(l.get(k) == want for k, want in labels.items())]


def value(samples, name, **labels):
    found = select(samples, name, **labels)
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
    return found[0][1]


def count(samples, name, **labels):
    """A count socklife leaves out until it is first not zero (the series
    budget, see the README): its value, 0 when it is not served."""
    found = select(samples, name, **labels)
    assert len(found) <= 1, f"{name}{labels}: {len(found)} samples"
    return found[0][1] if found else 0


def socket_part(text, skip_group=None):
    """The socket families only: what must agree between --once and HTTP."""
    keep = ("socklife_sockets", "socklife_process_sockets", "socklife_unresolved_sockets")
    return sorted((n, tuple(sorted(l.items())), v) for n, l, v in parse(text)
                  if n in keep and l.get("process", None) != skip_group)


def promtool_check(text):
    r = subprocess.run([tool("promtool"), "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=60)
    # promtool prints lint advice on stdout/stderr and exits 1 only on errors
    # worth failing for; parse errors are always fatal.
    assert r.returncode == 0, f"promtool check metrics: {r.stdout.decode()} {r.stderr.decode()}"


# --- ss, the reference ----------------------------------------------------

_USER = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)')


def ss_tcp():
    """(per-state counts, per-process-name per-state counts) from `ss -tanp`."""
    out = subprocess.run([tool("ss"), "-tanpH"], capture_output=True, text=True,
                         check=True).stdout
    states = dict.fromkeys(TCP_STATES, 0)
    groups = {}
    for line in out.splitlines():
        cols = line.split()
        if not cols or cols[0] not in SS_STATES:
            continue
        st = SS_STATES[cols[0]]
        states[st] += 1
        for name in {m.group(1) for m in _USER.finditer(line)}:
            groups.setdefault(name, dict.fromkeys(TCP_STATES, 0))[st] += 1
    return states, groups


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
