"""The BPF socket iterator against the kernel's own answers.

Real processes hold real sockets in three throwaway network namespaces;
sl-sockiter-dump loads the iterator and prints its records.  Every socket fd
that /proc/PID/fd shows for those processes must come out exactly once with
the right pid, fd, inode, namespaces, family, protocol, type and state;
queues, ages, UNIX peers and cookies must say what tcp_info, ss and
sock_diag say; sharing over fork() and SCM_RIGHTS, threads (also after the
leader has exited, or with their own fd table) must neither double-count
nor miss; and the privilege facts in sockiter.h must hold: loading needs
CAP_BPF and CAP_PERFMON, reading a pinned iterator needs nothing.

Needs root, kernel BTF and BPF iterators; without them it exits 77."""
import contextlib
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import harness as h

DUMP = os.environ.get("SL_SOCKITER_DUMP", os.path.join(h.HERE, "..", "..", "build", "tests",
                                                       "integration", "sl-sockiter-dump"))
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
ESTABLISHED, SYN_SENT, CLOSE, CLOSE_WAIT, LISTEN = 1, 2, 7, 8, 10
IDLE_SECONDS = 2.0

# The processes under test.  Each prints "ready <json>" once its sockets
# are in place, then holds them until stdin closes.  The JSON names its
# pid and, per fd, what the socket must be ("state": null where the state
# is still moving, e.g. clients of a full accept queue).
HOLDER = r'''
import ctypes, json, os, signal, socket, struct, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
role, arg = sys.argv[1], json.loads(sys.argv[2])
UNIX_STATE = {"listen": 10, "conn": 1, "unbound": 7}
socks, extra, keep = {}, {}, []

def tcp_info(s):
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    state, = struct.unpack_from("B", b, 0)
    sent, _, recv, ack = struct.unpack_from("IIII", b, 44)
    return {"state": state, "last_data_sent": sent, "last_data_recv": recv, "last_ack_recv": ack}

def netns():
    return os.stat("/proc/thread-self/ns/net").st_ino

def note(s, state=None, ns=None, flux=False):
    keep.append(s)
    d = {"family": int(s.family), "type": int(s.type),
         "proto": s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL),
         "netns": ns or netns(), "state": None if flux else state}
    if s.family in (socket.AF_INET, socket.AF_INET6):
        d["laddr"], d["lport"] = s.getsockname()[:2]
        try:
            d["raddr"], d["rport"] = s.getpeername()[:2]
        except OSError:
            d["raddr"], d["rport"] = None, 0
        if s.type == socket.SOCK_STREAM and not flux and state is None:
            d["state"] = tcp_info(s)["state"]
    socks[s.fileno()] = d
    return s

def wait_state(s, want):
    for _ in range(5000):
        if tcp_info(s)["state"] == want:
            return
        time.sleep(0.001)
    raise SystemExit(f"state {want} never reached")

def pair(family=socket.AF_INET, host="127.0.0.1"):
    l = socket.socket(family); l.bind((host, 0)); l.listen(8)
    c = socket.create_connection(l.getsockname()[:2]); a, _ = l.accept()
    return l, c, a

def ready():
    print("ready " + json.dumps({"pid": os.getpid(), "socks": socks, **extra}), flush=True)

def hold():
    for line in sys.stdin:
        if line.strip() == "poke":
            poke()
    os._exit(0)

if role == "listen":                        # backlog 4, 12 clients knocking
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4)
    note(l)
    extra["port"] = l.getsockname()[1]
    clients = []
    for _ in range(12):
        c = socket.socket(); c.setblocking(False); c.connect_ex(l.getsockname()); clients.append(c)
    time.sleep(0.3)
    for c in clients:
        note(c, flux=True)
    l6 = socket.socket(socket.AF_INET6); l6.bind(("::1", 0)); l6.listen(3); note(l6)
elif role == "closewait":                   # EOF unread vs read, the peer long gone
    l, unread, a1 = pair(); _, readto, a2 = None, *pair()[1:]
    a1.close(); a2.close()
    wait_state(unread, 8); wait_state(readto, 8)
    assert readto.recv(10) == b""
    note(l); note(unread); note(readto)
    extra["unread"], extra["read"] = unread.fileno(), readto.fileno()
elif role == "unix":                        # a stream whose peer closed, a live one
    gone, dead = socket.socketpair(); dead.close()
    live1, live2 = socket.socketpair()
    lst = socket.socket(socket.AF_UNIX); lst.bind("\0sl-sockiter-" + str(os.getpid())); lst.listen(2)
    dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sp1, sp2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s, st in ((gone, "conn"), (live1, "conn"), (live2, "conn"), (lst, "listen"),
                  (dg, "unbound"), (sp1, "conn"), (sp2, "conn")):
        note(s, UNIX_STATE[st])
    extra.update(gone=gone.fileno(), live1=live1.fileno(), live2=live2.fileno(), sp2=sp2.fileno())
elif role == "times":                       # idle since start vs data just now
    # Ages are read in FIN_WAIT2 and CLOSE_WAIT only: each pair half-closes.
    l, c1, a1 = pair(); _, c2, a2 = None, *pair()[1:]
    c1.sendall(b"x"); assert a1.recv(1) == b"x"
    a1.shutdown(socket.SHUT_WR); a2.shutdown(socket.SHUT_WR)
    for s, st in ((a1, 5), (c1, 8), (a2, 5), (c2, 8)):
        wait_state(s, st)
    for s in (l, c1, a1, c2, a2):
        note(s)
    extra.update(idle_rx=a1.fileno(), idle_tx=c1.fileno(), fresh_rx=a2.fileno())
    def poke():
        c2.sendall(b"y"); assert a2.recv(1) == b"y"
        print("poked " + json.dumps({"idle_rx": tcp_info(a1), "idle_tx": tcp_info(c1),
                                    "t": time.monotonic()}), flush=True)
elif role == "share":                       # fork() and SCM_RIGHTS
    lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(1); note(lst)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
    note(udp, 7)
    chan_p, chan_c = socket.socketpair()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        libc.prctl(1, 9)                    # PR_SET_PDEATHSIG: never outlive the test
        chan_p.close()
        _, fds, _, _ = socket.recv_fds(chan_c, 1, 1)
        os.write(w, json.dumps(fds).encode())
        while True:
            signal.pause()
    chan_c.close()
    socket.send_fds(chan_p, [b"x"], [udp.fileno()])
    extra["child"], extra["child_udp"] = pid, json.loads(os.read(r, 100))[0]
    extra["lst"], extra["udp"] = lst.fileno(), udp.fileno()
    note(chan_p, 1)
elif role == "threads":                     # one table shared by three threads
    stop = threading.Event()
    made = []
    def worker():
        made.append(note(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM), 7)); stop.wait()
    ts = [threading.Thread(target=worker, daemon=True) for _ in range(2)]
    for t in ts: t.start()
    while len(made) < 2: time.sleep(0.01)
elif role == "zombie":                      # the leader exits, two threads hold on
    s = note(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 7)
    leader = os.getpid()
    def watcher():
        while open(f"/proc/{leader}/task/{leader}/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
            time.sleep(0.01)
        extra["tids"] = sorted(int(t) for t in os.listdir(f"/proc/{leader}/task") if int(t) != leader)
        ready(); hold()
    def sleeper():
        threading.Event().wait()
    threading.Thread(target=sleeper, daemon=True).start()
    threading.Thread(target=watcher).start()
    time.sleep(0.1)
    libc.syscall(60, 0)                     # SYS_exit: this thread only, not the group
elif role == "unshare":                     # a thread with its own copy of the table
    before = note(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 7)
    got = {}
    def worker():
        assert libc.unshare(0x400) == 0     # CLONE_FILES
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); keep.append(s)
        got.update(tid=threading.get_native_id(), fd=s.fileno()); threading.Event().wait()
    threading.Thread(target=worker, daemon=True).start()
    while not got: time.sleep(0.01)
    extra.update(thread=got["tid"], thread_fd=got["fd"], before=before.fileno())
elif role == "nsmix":                       # sockets made in the other namespaces
    own = note(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 7)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    extra["made"] = {}
    for name in arg["others"]:
        fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
        assert libc.setns(fd, 0x40000000) == 0
        s = note(socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
        extra["made"][name] = s.fileno()
        assert libc.setns(home, 0x40000000) == 0
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(("127.0.0.1", 9)); note(c, 1)
if role != "zombie":
    ready(); hold()
'''


def skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(h.SKIP)


def preflight():
    h.require_root()
    btf = "/sys/kernel/btf/vmlinux"
    if not os.path.exists(btf):
        skip("the kernel has no BTF (/sys/kernel/btf/vmlinux)")
    with open(btf, "rb") as f:
        if b"bpf_iter__task_file" not in f.read():
            skip("the kernel has no task_file BPF iterator")
    if not os.path.exists(DUMP):
        raise AssertionError(f"{DUMP} is not built")
    r = subprocess.run([DUMP, "--reads=0"], capture_output=True, text=True, timeout=60)
    if "errno 95" in r.stderr:  # EOPNOTSUPP: configured with -DSOCKLIFE_BPF=OFF
        skip("socklife was built without the BPF iterator (-DSOCKLIFE_BPF=OFF)")


def dump(*args, check=True):
    r = subprocess.run([DUMP, *args], capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"sl-sockiter-dump {args} failed ({r.returncode}): {r.stderr}")
    return r


def records(text):
    """(hz line, socks, tasks, end lines) of a dump's output."""
    socks, tasks, ends, hz = [], [], [], None
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "hz":
            hz = line
            continue
        fields = dict(kv.split("=", 1) for kv in rest.split())
        row = {k: (int(v) if re.fullmatch(r"-?\d+", v) else v) for k, v in fields.items()}
        {"sock": socks, "task": tasks, "end": ends}[kind].append(row)
    return hz, socks, tasks, ends


RECORD_SIZE = {1: 112, 2: 24, 3: 24}  # sockiter_record.h: socket, task, END


def read_pass(fd):
    """Read a pinned iterator up to its END record; the bytes read."""
    data = b""
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise AssertionError(f"EOF before END after {len(data)} bytes")
        data += chunk
        off = 0
        while off < len(data):
            if data[off] == 3 and off + RECORD_SIZE[3] == len(data):
                return data
            off += RECORD_SIZE[data[off]]


@contextlib.contextmanager
def pinned():
    """The iterator loaded by sl-sockiter-dump and pinned in a private bpffs,
    for as long as the context lasts."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["mount", "-t", "bpf", "bpf", d], check=True)
        pin = os.path.join(d, "sockiter")
        tool = subprocess.Popen([DUMP, f"--pin={pin}", "--wait", "--reads=0"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert tool.stdout.readline().startswith("hz ")
            yield pin
        finally:
            tool.communicate("go\n", timeout=60)
            subprocess.run(["umount", d], check=False)


def socket_fds(pid, table=None):
    """{fd: inode} of the socket fds /proc shows for a process (or thread)."""
    base = f"/proc/{pid}/task/{table}/fd" if table else f"/proc/{pid}/fd"
    out = {}
    for name in os.listdir(base):
        with contextlib.suppress(FileNotFoundError):
            m = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"{base}/{name}"))
            if m:
                out[int(name)] = int(m.group(1))
    return out


def ns_ino(pid):
    return os.stat(f"/proc/{pid}/ns/net").st_ino


class Holder:
    def __init__(self, ns, role, **arg):
        self.ns, self.role = ns, role
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", HOLDER,
                                      role, json.dumps(arg)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.proc.kill()
            raise AssertionError(f"holder {role} did not get ready: {line!r}")
        self.info = json.loads(line[6:])
        self.pid = self.info["pid"]
        self.socks = {int(k): v for k, v in self.info["socks"].items()}

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def stop(self):
        h.Population.__exit__(self)  # the same ending as sl-popgen's: stdin closes, it exits


class Population:
    """Three named namespaces and the holders above spread over them."""

    def __enter__(self):
        tag = uuid.uuid4().hex[:4]
        self.names = [f"sli{i}-{os.getpid()}-{tag}" for i in range(3)]
        self.holders = {}
        for n in self.names:
            subprocess.run(["ip", "netns", "add", n], check=True)
            subprocess.run(["ip", "-n", n, "link", "set", "lo", "up"], check=True)
        try:
            a, b, c = self.names
            for ns, role, arg in ((a, "listen", {}), (a, "closewait", {}), (b, "unix", {}),
                                  (b, "times", {}), (b, "share", {}), (c, "threads", {}),
                                  (c, "zombie", {}), (c, "unshare", {}),
                                  (a, "nsmix", {"others": [b, c]})):
                self.holders[role] = Holder(ns, role, **arg)
            self.ino = {n: os.stat(f"/run/netns/{n}").st_ino for n in self.names}
            # Let the "times" pair sit idle, then send on its other pair and
            # read at once: the program is loaded first, loading can be slow.
            time.sleep(IDLE_SECONDS)
            reader = subprocess.Popen([DUMP, "--wait"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
            first = reader.stdout.readline()
            self.poked = json.loads(self.holders["times"].ask("poke")[6:])
            out, _ = reader.communicate("go\n", timeout=120)
            self.dumped_at = time.monotonic()
            if reader.returncode != 0:
                raise AssertionError(f"sl-sockiter-dump failed ({reader.returncode})")
            self.hz, self.socks, self.tasks, self.ends = records(first + out)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for hd in self.holders.values():
            hd.stop()
        for n in self.names:
            for pid in subprocess.run(["ip", "netns", "pids", n], capture_output=True,
                                      text=True).stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), 9)
            subprocess.run(["ip", "netns", "del", n], check=False)


class Sockiter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pop = Population().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.pop.__exit__()

    def of(self, pid, fd=None):
        return [r for r in self.pop.socks if r["tgid"] == pid and (fd is None or r["fd"] == fd)]

    def one(self, pid, fd):
        found = self.of(pid, fd)
        self.assertEqual(len(found), 1, f"pid {pid} fd {fd}: {found}")
        return found[0]

    def test_whole_pass(self):
        self.assertEqual(len(self.pop.ends), 1)
        end = self.pop.ends[0]
        self.assertEqual(end["sockets"], len(self.pop.socks))
        self.assertEqual(end["tasks"], len(self.pop.tasks))
        self.assertGreaterEqual(end["shared"], 1)  # the zombie's second thread
        self.assertIn(end["hz"], (100, 250, 300, 1000))

    def test_every_socket_fd_once(self):
        """What /proc/PID/fd shows, the walk shows: each socket fd exactly
        once, with its inode and what the holder says it is."""
        for role, hd in self.pop.holders.items():
            if role in ("zombie", "unshare"):
                continue  # their own tests: /proc/PID/fd shows only the leader's table
            with self.subTest(role=role):
                fds = socket_fds(hd.pid)
                got = {r["fd"]: r for r in self.of(hd.pid)}
                self.assertEqual(len(got), len(self.of(hd.pid)), "an fd reported twice")
                self.assertEqual(set(got), set(fds))
                for fd, ino in fds.items():
                    self.assertEqual(got[fd]["ino"], ino, fd)
                for fd, want in hd.socks.items():
                    self.check_socket(got[fd], want)

    def check_socket(self, r, want):
        self.assertEqual(r["family"], want["family"], r)
        self.assertEqual(r["type"], want["type"], r)
        self.assertEqual(r["protocol"], want["proto"], r)
        self.assertEqual(r["netns"], want["netns"], r)
        if want["state"] is not None:
            self.assertEqual(r["state"], want["state"], r)
        if want["family"] in (AF_INET, AF_INET6):
            self.assertEqual(r["laddr"], want["laddr"], r)
            self.assertEqual(r["lport"], want["lport"], r)
            if want["raddr"]:
                self.assertEqual((r["raddr"], r["rport"]), (want["raddr"], want["rport"]), r)

    def test_three_namespaces(self):
        """Processes in three namespaces, each seen with its own; sockets
        made in another namespace carry that one."""
        seen = {t["netns"] for t in self.pop.tasks
                if t["tgid"] in {hd.pid for hd in self.pop.holders.values()}}
        self.assertEqual(seen, set(self.pop.ino.values()))
        for hd in self.pop.holders.values():
            if hd.role != "zombie":
                for t in (t for t in self.pop.tasks if t["tgid"] == hd.pid):
                    self.assertEqual(t["netns"], ns_ino(hd.pid), hd.role)
        mix = self.pop.holders["nsmix"]
        for name, fd in mix.info["made"].items():
            self.assertEqual(self.one(mix.pid, fd)["netns"], self.pop.ino[name])
        self.assertNotEqual(ns_ino(mix.pid), self.pop.ino[self.pop.names[1]])

    def test_fd_counts_and_limits(self):
        for role, hd in self.pop.holders.items():
            if role in ("zombie", "unshare"):
                continue
            with self.subTest(role=role):
                tasks = [t for t in self.pop.tasks if t["tgid"] == hd.pid]
                self.assertEqual(len(tasks), 1, tasks)
                self.assertEqual(tasks[0]["fds"], len(os.listdir(f"/proc/{hd.pid}/fd")))
                self.assertEqual(tasks[0]["tid"], hd.pid)
                with open(f"/proc/{hd.pid}/limits") as f:
                    soft = re.search(r"^Max open files\s+(\d+)", f.read(), re.M).group(1)
                self.assertEqual(tasks[0]["nofile"], int(soft))

    def test_close_wait_queue(self):
        """rqueue 1: the peer's FIN is unread; 0: read, close() forgotten."""
        hd = self.pop.holders["closewait"]
        unread, read = self.one(hd.pid, hd.info["unread"]), self.one(hd.pid, hd.info["read"])
        self.assertEqual((unread["state"], unread["rqueue"]), (CLOSE_WAIT, 1))
        self.assertEqual((read["state"], read["rqueue"]), (CLOSE_WAIT, 0))

    def test_listener_queue_like_ss(self):
        hd = self.pop.holders["listen"]
        port = hd.info["port"]
        r = [x for x in self.of(hd.pid) if x["state"] == LISTEN and x["lport"] == port]
        self.assertEqual(len(r), 1)
        self.assertEqual((r[0]["rqueue"], r[0]["wqueue"]), (5, 4))
        out = subprocess.run(["ip", "netns", "exec", hd.ns, h.tool("ss"), "-ltnH",
                              f"sport = :{port}"], capture_output=True, text=True, check=True)
        cols = out.stdout.split()
        self.assertEqual((int(cols[1]), int(cols[2])), (r[0]["rqueue"], r[0]["wqueue"]))

    def test_unix_peer_gone(self):
        hd = self.pop.holders["unix"]
        gone = self.one(hd.pid, hd.info["gone"])
        self.assertEqual((gone["state"], gone["shutdown"], gone["peer_ino"]), (ESTABLISHED, 3, 0))
        self.assertTrue(gone["flags"] & 1)  # SOCKITER_F_PEER: it had a peer
        self.assertEqual(gone["peer_gone"], 1)
        live1, live2 = self.one(hd.pid, hd.info["live1"]), self.one(hd.pid, hd.info["live2"])
        self.assertEqual(live1["peer_gone"], 0)
        self.assertEqual(live1["peer_ino"], live2["ino"])
        self.assertEqual(live2["peer_ino"], live1["ino"])
        self.assertEqual(self.one(hd.pid, hd.info["sp2"])["peer_gone"], 0)
        # What sock_diag says of the same sockets (ss -x: peer inode 0 = gone).
        out = subprocess.run(["ip", "netns", "exec", hd.ns, h.tool("ss"), "-xaH"],
                             capture_output=True, text=True, check=True).stdout
        peers = {int(m.group(1)): int(m.group(2)) for m in
                 re.finditer(r"\S+\s+\d+\s+\d+\s+\S*\s+(\d+)\s+\S+\s+(\d+)", out)}
        self.assertEqual(peers.get(gone["ino"]), 0, out)
        self.assertEqual(peers.get(live1["ino"]), live2["ino"], out)

    def test_ages(self):
        """A half-closed socket idle since setup reads at least the idle
        time; one that just received reads under 500 ms; both agree with
        tcp_info taken just before the dump."""
        hd = self.pop.holders["times"]
        idle_rx, idle_tx = self.one(hd.pid, hd.info["idle_rx"]), self.one(hd.pid, hd.info["idle_tx"])
        fresh = self.one(hd.pid, hd.info["fresh_rx"])
        for r in (idle_rx, idle_tx, fresh):
            self.assertEqual(r["flags"] & 6, 6, r)  # SOCKITER_F_TCP | SOCKITER_F_TIMES
        # Ages are read in FIN_WAIT2 and CLOSE_WAIT only: not for a listener.
        lst = [r for r in self.of(hd.pid) if r["state"] == LISTEN]
        self.assertEqual([r["flags"] & 6 for r in lst], [4])
        self.assertGreaterEqual(idle_rx["recv_ms"], 1900)
        self.assertGreaterEqual(idle_tx["send_ms"], 1900)
        self.assertGreaterEqual(idle_tx["ack_ms"], 1900)
        self.assertLess(fresh["recv_ms"], 500)
        slack = (self.pop.dumped_at - self.pop.poked["t"]) * 1000 + 50
        for r, key, info in ((idle_rx, "recv_ms", self.pop.poked["idle_rx"]["last_data_recv"]),
                             (idle_tx, "send_ms", self.pop.poked["idle_tx"]["last_data_sent"]),
                             (idle_tx, "ack_ms", self.pop.poked["idle_tx"]["last_ack_recv"])):
            self.assertGreaterEqual(r[key], info - 5, (key, r[key], info))
            self.assertLessEqual(r[key], info + slack, (key, r[key], info))

    def test_cookies_match_sock_diag(self):
        hd = self.pop.holders["times"]
        out = subprocess.run(["ip", "netns", "exec", hd.ns, h.tool("ss"), "-tanHe"],
                             capture_output=True, text=True, check=True).stdout
        diag = {int(m.group(1)): int(m.group(2), 16)
                for m in re.finditer(r"ino:(\d+) sk:([0-9a-f]+)", out)}
        mine = [r for r in self.of(hd.pid) if r["family"] == AF_INET]
        self.assertEqual(len(mine), 5)
        for r in mine:
            self.assertEqual(r["cookie"], diag[r["ino"]], r)

    def test_shared_over_fork_and_scm_rights(self):
        hd = self.pop.holders["share"]
        child = hd.info["child"]
        lst_p, lst_c = self.one(hd.pid, hd.info["lst"]), self.one(child, hd.info["lst"])
        self.assertEqual(lst_p["ino"], lst_c["ino"])
        udp_p, udp_c = self.one(hd.pid, hd.info["udp"]), self.one(child, hd.info["child_udp"])
        self.assertEqual(udp_p["ino"], udp_c["ino"])
        self.assertEqual(udp_p["cookie"], udp_c["cookie"])
        holders = [r for r in self.pop.socks if r["ino"] == udp_p["ino"]]
        # the parent, the child's inherited copy, and the child's received one
        self.assertEqual(sorted((r["tgid"], r["fd"]) for r in holders),
                         sorted([(hd.pid, hd.info["udp"]), (child, hd.info["udp"]),
                                 (child, hd.info["child_udp"])]))
        self.assertEqual(set(socket_fds(child)), {r["fd"] for r in self.of(child)})

    def test_threads_share_one_table(self):
        hd = self.pop.holders["threads"]
        self.assertEqual(len([t for t in self.pop.tasks if t["tgid"] == hd.pid]), 1)
        self.assertEqual(len(self.of(hd.pid)), len(socket_fds(hd.pid)))

    def test_leader_exited(self):
        """The leader has exited (its files are gone) while two threads
        sharing one table live on: task_file visits both threads, the
        program walks the table once, through the lower tid."""
        hd = self.pop.holders["zombie"]
        tids = hd.info["tids"]
        self.assertEqual(len(tids), 2)
        tasks = [t for t in self.pop.tasks if t["tgid"] == hd.pid]
        self.assertEqual([(t["tid"], t["thread"]) for t in tasks], [(min(tids), 1)])
        self.assertEqual(tasks[0]["fds"], len(os.listdir(f"/proc/{hd.pid}/task/{min(tids)}/fd")))
        self.assertEqual(socket_fds(hd.pid, min(tids)), {r["fd"]: r["ino"] for r in self.of(hd.pid)})

    def test_thread_with_own_table(self):
        """A thread that unshared its fd table is a second holder: its table
        is walked too, under the same tgid, with its own task record."""
        hd = self.pop.holders["unshare"]
        tid = hd.info["thread"]
        tasks = {t["tid"]: t for t in self.pop.tasks if t["tgid"] == hd.pid}
        self.assertEqual(set(tasks), {hd.pid, tid})
        self.assertEqual(tasks[tid]["thread"], 1)
        self.assertEqual(tasks[hd.pid]["fds"], len(os.listdir(f"/proc/{hd.pid}/fd")))
        self.assertEqual(tasks[tid]["fds"], len(os.listdir(f"/proc/{hd.pid}/task/{tid}/fd")))
        mine = self.of(hd.pid)
        # the socket made before the unshare is in both tables, the one made after in one
        self.assertEqual(len([r for r in mine if r["fd"] == hd.info["before"]]), 2)
        after = socket_fds(hd.pid, tid)[hd.info["thread_fd"]]
        self.assertEqual(len([r for r in mine if r["ino"] == after]), 1)


class Privileges(unittest.TestCase):
    """What loading and reading need (sockiter.h)."""

    def test_load_needs_bpf_and_perfmon(self):
        for caps, ok in (("cap_bpf", False), ("cap_perfmon", False),
                         ("cap_bpf,cap_perfmon", True), ("cap_sys_admin", True), ("", False)):
            with self.subTest(caps=caps):
                r = dump("--reads=1", f"--keep-caps={caps}", check=False)
                if ok:
                    self.assertEqual(r.returncode, 0, r.stderr)
                else:
                    self.assertEqual(r.returncode, 3, r.stderr)
                    self.assertIn("open: Operation not permitted (errno 1)", r.stderr)

    def test_read_after_dropping_every_capability(self):
        """Once attached, creating an iterator is no load: Linux 6.5+ lets
        any process do it; before, bpf() itself refuses every command
        without CAP_BPF while kernel.unprivileged_bpf_disabled is set."""
        r = dump("--drop-caps", check=False)
        release = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
        with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
            locked = int(f.read()) != 0
        if release >= (6, 5) or not locked:
            self.assertEqual(r.returncode, 0, r.stderr)
            _, socks, _, ends = records(r.stdout)
            self.assertEqual(ends[0]["sockets"], len(socks))
        else:
            self.assertEqual(r.returncode, 4, r.stderr)
            self.assertIn("errno 1)", r.stderr)

    def test_pinned_iterator_read_as_nobody(self):
        """A pinned iterator is a file: opening it needs only permission on
        it, on any kernel.  The reader, an unprivileged user, still sees
        every task's sockets."""
        with tempfile.TemporaryDirectory() as d, h.Netns() as ns:
            subprocess.run(["mount", "-t", "bpf", "bpf", d], check=True)
            try:
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                pin = os.path.join(d, "sockiter")
                r = dump(f"--pin={pin}", "--user=nobody", "--drop-caps", check=False)
                self.assertEqual(r.returncode, 0, r.stderr)
                _, socks, _, _ = records(r.stdout)
                mine = [x for x in socks if x["tgid"] == os.getpid() and x["fd"] == s.fileno()]
                self.assertEqual(len(mine), 1)
                self.assertEqual(mine[0]["netns"], os.stat(f"/run/netns/{ns.name}").st_ino)
                self.assertFalse(os.path.exists(pin), "the pin outlived sockiter_close")
                s.close()
            finally:
                subprocess.run(["umount", d], check=False)

    def test_forced_load_failure(self):
        for err in (1, 95):
            r = dump(f"--fail-load={err}", check=False)
            self.assertEqual(r.returncode, 3)
            self.assertIn(f"(errno {err})", r.stderr)

    def test_measured_tick_rate(self):
        """Where no kernel config is readable the loader measures HZ; it
        must agree with the config where there is one."""
        plain = dump("--reads=0").stdout.split("\n")[0]
        measured = dump("--measure-hz", "--reads=1").stdout
        hz = int(plain.split()[1])
        if "measured=0" in plain:
            self.assertEqual(measured.split("\n")[0], f"hz {hz} measured=1")
        self.assertEqual(records(measured)[3][0]["hz"], int(measured.split()[1]))

    def test_nothing_after_end(self):
        """The kernel's walk does not end for good: a read after its last
        call resumes past the last tid and walks any process created since.
        Once END is out, the program writes nothing more."""
        def top():
            return max(int(x) for x in os.listdir("/proc") if x.isdigit())
        with open("/proc/sys/kernel/pid_max") as f:
            if top() + 200 >= int(f.read()):
                self.skipTest("pids are about to wrap")
        with pinned() as pin:
            fd = os.open(pin, os.O_RDONLY)
            late = None
            try:
                read_pass(fd)
                last = top()
                with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                    f.write(str(last + 50))  # the next process is past the walk
                late = subprocess.Popen([sys.executable, "-c", "import socket, sys; "
                                         "s = socket.socket(); print(1, flush=True); "
                                         "sys.stdin.read()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                late.stdout.readline()
                self.assertGreater(late.pid, last)
                self.assertEqual(os.read(fd, 1 << 20), b"")
            finally:
                os.close(fd)
                if late:
                    late.communicate(b"")

    def test_many_passes(self):
        """Finished walks age out of the program's LRU map (256 entries):
        many more passes than that work."""
        r = dump("--reads=300")
        self.assertEqual(len(records(r.stdout)[3]), 300)


if __name__ == "__main__":
    preflight()
    unittest.main()
