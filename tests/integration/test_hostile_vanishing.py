"""Processes, fds and network namespaces vanishing mid-scan (fork storms,
socket churn, namespaces added and deleted with `ip netns` and `unshare
-n`): counted as vanished, never as scan errors; the deleted namespaces'
series go away."""
import contextlib
import os
import signal
import subprocess
import sys
import time
import unittest
import uuid

import harness as h
from hostile import stop_cleanly


# these too; each dies with the driver (PR_SET_PDEATHSIG).
#   forks     a fork storm: short-lived children (slh-fork), each opening TCP,
#             UDP and UNIX sockets, some with a grandchild, exiting within 30 ms
#   fds       one process (slh-fds) opening and closing 70 sockets at a time
#   named     `ip netns add`, a process holding sockets in it (slh-holder),
#             `ip netns del` before or after that process exits, or with no
#             process at all; prints each namespace's name and inode
#   unnamed   a process that unshares its network namespace, holds sockets
#             in it for up to 100 ms and exits; prints each inode
# Each stops after the given seconds and cleans up after itself.
DRIVER = r'''
import contextlib, ctypes, fcntl, os, random, signal, socket, struct, subprocess, sys, time
kind, seconds, prefix = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + seconds
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

def become(name):
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG

def check(ret, what):
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")

def lo_up():  # SIOCGIFFLAGS, SIOCSIFFLAGS with IFF_UP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = fcntl.ioctl(s, 0x8913, struct.pack("16sH14x", b"lo", 0))
        flags = struct.unpack("16sH14x", ifr)[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", flags | 1))

def sockets():
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8)
    c = socket.create_connection(l.getsockname()); a, _ = l.accept()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect(("127.0.0.1", 9))
    return [l, c, a, u, *socket.socketpair()]

def forks():
    become("slh-driver")
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans are ours to reap
    kids = set()
    while time.monotonic() < deadline:
        while len(kids) < 16:
            pid = os.fork()
            if pid == 0:
                try:
                    become("slh-fork")
                    s = sockets()
                    grandchild = os.fork() if random.random() < 0.3 else -1
                    if grandchild == 0:
                        become("slh-fork")
                        s += sockets()
                    time.sleep(random.random() * 0.03)
                    if random.random() < 0.5:
                        for x in s[:3]:
                            x.close()
                    if grandchild > 0:
                        os.waitpid(grandchild, 0)
                finally:
                    os._exit(0)
            kids.add(pid)
        pid, _ = os.wait()
        kids.discard(pid)
    with contextlib.suppress(ChildProcessError):
        while True:
            os.wait()

def fds():
    become("slh-fds")
    while time.monotonic() < deadline:
        s = [socket.socket(socket.AF_INET6 if i % 2 else socket.AF_INET,
                           socket.SOCK_DGRAM if i % 3 else socket.SOCK_STREAM)
             for i in range(64)]
        s += sockets()
        for x in s:
            x.close()

def holder(enter):
    """A child that enters a namespace, holds sockets there and exits when
    the returned function is called (or the driver dies)."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            become("slh-holder")
            os.close(ready_r); os.close(go_w)
            enter()
            lo_up()
            held = sockets()
            os.write(ready_w, b"1")
            os.read(go_r, 1)
        finally:
            os._exit(0)
    os.close(ready_w); os.close(go_r)
    ok = os.read(ready_r, 1)
    os.close(ready_r)
    if not ok:
        raise SystemExit("a holder failed")
    def release():
        os.close(go_w)
        os.waitpid(pid, 0)
    return pid, release

def setns_to(path):
    def enter():
        fd = os.open(path, os.O_RDONLY)
        check(libc.setns(fd, CLONE_NEWNET), "setns")
        os.close(fd)
    return enter

def unshare():
    check(libc.unshare(CLONE_NEWNET), "unshare")

def named():
    become("slh-driver")
    i = 0
    names = []
    try:
        while time.monotonic() < deadline:
            name = f"{prefix}-{os.getpid()}-{i}"; i += 1
            subprocess.run(["ip", "netns", "add", name], check=True)
            names.append(name)
            print("netns", name, os.stat(f"/run/netns/{name}").st_ino, flush=True)
            if i % 3 == 0:
                time.sleep(random.random() * 0.05)  # no process: known by its name alone
                subprocess.run(["ip", "netns", "del", name], check=True)
            else:
                _, release = holder(setns_to(f"/run/netns/{name}"))
                time.sleep(random.random() * 0.1)
                if i % 3 == 1:
                    subprocess.run(["ip", "netns", "del", name], check=True)
                    time.sleep(random.random() * 0.05)  # unnamed while its process lives
                    release()
                else:
                    release()
                    subprocess.run(["ip", "netns", "del", name], check=True)
            names.remove(name)
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name])

def unnamed():
    become("slh-driver")
    while time.monotonic() < deadline:
        pid, release = holder(unshare)
        print("netns -", os.stat(f"/proc/{pid}/ns/net").st_ino, flush=True)
        time.sleep(random.random() * 0.1)
        release()

globals()[kind]()
'''


def live_netns_inodes():
    inodes = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            with contextlib.suppress(OSError):
                inodes.add(os.stat(f"/proc/{pid}/ns/net").st_ino)
    return inodes


class Vanishing(unittest.TestCase):
    SECONDS = 8
    SOURCE = "netlink"
    # What must be seen vanishing: netlink reads fds one by one, so an fd
    # closes between the listing and the read; the bpf walk reads them all
    # in the kernel at once.
    VANISHING = ("process", "fd", "netns")

    def test_processes_and_namespaces_vanishing_mid_scan(self):
        """A pass every 20 ms over every namespace, while for 8 s processes
        fork and exit, sockets open and close, and namespaces come and go
        (named and deleted, unnamed and abandoned).  What vanishes while
        being read is counted as vanished (and that must happen, or the
        test did not test it), never as a scan error; /healthz stays 200;
        every scrape passes promtool; the deleted namespaces' series go."""
        prefix = f"slv-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        drivers = []
        try:
            with h.Netns(), h.Daemon(f"--socket-source={self.SOURCE}", interval="20ms",
                                     netns="all") as d:
                def scrape():
                    text = h.metrics_text(d.port)
                    samples = h.parse(text)
                    errors = {l["stage"]: v for l, v in
                              h.select(samples, "socklife_scan_errors_total")}
                    vanished = {l["object"]: v for l, v in
                                h.select(samples, "socklife_scan_vanished_total")}
                    return text, samples, errors, vanished

                _, _, errors0, vanished0 = scrape()
                self.assertEqual(set(errors0), {"proc", "netns", "dump", "render"})
                self.assertEqual(set(vanished0), {"process", "fd", "netns"})
                self.assertEqual(sum(errors0.values()), 0, errors0)

                for kind in ("forks", "fds", "named", "named", "unnamed"):
                    drivers.append(subprocess.Popen(
                        [sys.executable, "-c", DRIVER, kind, str(self.SECONDS), prefix],
                        stdout=subprocess.PIPE, text=True, start_new_session=True))
                scrapes = 0
                unhealthy = []
                seen = set()  # netns labels of namespaces made here, seen in a scrape
                while any(p.poll() is None for p in drivers):
                    text, samples, errors, _ = scrape()
                    h.promtool_check(text)
                    seen |= {l["netns"] for _, l, _ in samples
                             if l.get("netns", "").startswith(prefix)}
                    scrapes += 1
                    self.assertEqual(sum(errors.values()), 0,
                                     f"scan errors during the churn: {errors}\n"
                                     f"{d.read_log()[-3000:]}")
                    status = d.get("/healthz")[0]
                    if status != 200:
                        unhealthy.append(status)
                    time.sleep(0.05)
                named, unnamed = set(), 0
                inodes = set()  # namespace inodes are reused: fewer than namespaces
                for p in drivers:
                    out, _ = p.communicate(timeout=30)
                    self.assertEqual(p.returncode, 0, f"a churn driver failed: {out}")
                    for line in out.splitlines():
                        _, name, ino = line.split()
                        inodes.add(int(ino))
                        if name == "-":
                            unnamed += 1
                        else:
                            named.add(name)
                drivers = []

                text, samples, errors, vanished = scrape()
                grown = {k: vanished[k] - vanished0[k] for k in vanished}
                print(f"{scrapes} scrapes during the churn, {len(seen)} named namespaces "
                      f"seen in them; {len(named)} named and "
                      f"{unnamed} unnamed namespaces came and went; "
                      f"vanished: {grown}; passes: "
                      f"{h.value(samples, 'socklife_scans_total'):.0f}")
                self.assertEqual(unhealthy, [])
                self.assertEqual(sum(errors.values()), 0, errors)
                self.assertGreater(len(named), 5)
                self.assertGreater(unnamed, 5)
                for obj in self.VANISHING:
                    self.assertGreater(grown[obj], 0, f"no {obj} vanished mid-scan: not exercised")
                self.assertTrue(seen & named, "none of the namespaces was ever seen")

                # The namespaces are gone, and so are their series.  An
                # inode may have been reused by a namespace made since (by a
                # test running next door): that one is alive.
                deadline = time.monotonic() + 5
                while True:
                    live = live_netns_inodes()
                    stale = sorted({l["netns"] for _, l, _ in samples if "netns" in l and (
                        l["netns"] in named or (l["netns"].startswith("ns-") and
                                                int(l["netns"][3:]) in inodes - live))})
                    if not stale or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                    text, samples, errors, _ = scrape()
                self.assertEqual(stale, [])
                self.assertEqual(sum(errors.values()), 0, errors)
                self.assertEqual(d.get("/healthz")[0], 200)
                h.promtool_check(text)
            stop_cleanly(self, d)
        finally:
            for p in drivers:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            with contextlib.suppress(FileNotFoundError):
                for name in os.listdir("/run/netns"):
                    if name.startswith(prefix):
                        for pid in subprocess.run(["ip", "netns", "pids", name],
                                                  capture_output=True, text=True).stdout.split():
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(int(pid), signal.SIGKILL)
                        subprocess.run(["ip", "netns", "del", name], check=False)


class VanishingBpf(Vanishing):
    SOURCE = "bpf"
    VANISHING = ("process", "netns")

    def setUp(self):
        if b"socket source: bpf" not in h.run_once("--socket-source=auto").stderr:
            self.skipTest("the BPF iterator does not load on this kernel")


if __name__ == "__main__":
    h.require_root()
    unittest.main()
