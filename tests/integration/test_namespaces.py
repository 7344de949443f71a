"""Every namespace: socklife running in the host namespace reports three
throwaway namespaces (two named under /run/netns, one unnamed and held only
by a process) exactly, for TCP, UDP and UNIX; survives one being deleted
while it runs; and keeps serving namespace totals with capabilities
dropped (procfs without CAP_SYS_ADMIN, partial attribution without the
ptrace capabilities).  Each test runs once per socket source: netlink,
and bpf (whose walk attributes every socket even without the ptrace
capabilities)."""
import contextlib
import os
import subprocess
import time
import unittest
import uuid

import harness as h

UDP_STATES = ["established", "close"]
UNIX_STATES = ["established", "listen", "close"]


class Space:
    """A namespace holding an sl-popgen population: named (ip netns add)
    or unnamed (unshare -n, alive only while the process is)."""

    def __init__(self, named, established, close_wait, time_wait, udp, unix):
        self.named = named
        self.name = f"sl4-{os.getpid()}-{uuid.uuid4().hex[:4]}" if named else None
        self.pop = dict(established=established, close_wait=close_wait, time_wait=time_wait,
                        udp=udp, unix=unix)

    def __enter__(self):
        args = [h.POPGEN] + [f"--{k.replace('_', '-')}={v}" for k, v in self.pop.items()]
        if self.named:
            subprocess.run(["ip", "netns", "add", self.name], check=True)
            subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
            cmd = ["ip", "netns", "exec", self.name] + args
        else:
            cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"] + args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        if not self.named:
            self.name = f"ns-{os.stat(f'/proc/{self.proc.pid}/ns/net').st_ino}"
        return self

    def delete(self):
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        if self.named:
            for pid in subprocess.run(["ip", "netns", "pids", self.name], capture_output=True,
                                      text=True).stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), 9)
            subprocess.run(["ip", "netns", "del", self.name], check=False)
        self.proc = None

    def __exit__(self, *exc):
        if self.proc:
            self.delete()

    def expected(self):
        p = self.pop
        tcp = dict.fromkeys(h.TCP_STATES, 0)
        tcp.update(listen=2, established=2 * p["established"], close_wait=p["close_wait"],
                   fin_wait2=p["close_wait"], time_wait=p["time_wait"])
        udp = {"established": p["udp"], "close": p["udp"]}
        # a listener, 2 ends per connection plus the one whose peer is gone,
        # and the unbound datagram sockets
        unix = {"established": 2 * p["unix"] + 1, "listen": 1, "close": p["unix"]}
        return {"tcp": tcp, "udp": udp, "unix": unix}


def check_space(test, samples, space, protos=("tcp", "udp", "unix")):
    for proto, states in space.expected().items():
        if proto not in protos:
            continue
        for state, want in states.items():
            test.assertEqual(h.count(samples, "socklife_sockets", netns=space.name, proto=proto,
                                     state=state), want, f"{space.name} {proto} {state}")


def pids_in(*spaces):
    """Pids of the processes living in these namespaces (other tests run
    their own sl-* programs in parallel, so groups are checked by pid)."""
    inodes = set()
    for space in spaces:
        path = f"/run/netns/{space.name}" if space.named else f"/proc/{space.proc.pid}/ns/net"
        inodes.add(os.stat(path).st_ino)
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}/ns/net").st_ino in inodes:
                    pids.add(entry)
    return pids


def by_pids(samples, pids, name, **labels):
    return sum(v for l, v in h.select(samples, name, **labels) if l.get("pid") in pids)


def spaces():
    return (Space(True, 3, 2, 1, 2, 2), Space(False, 2, 1, 0, 3, 1), Space(True, 1, 0, 0, 1, 1))


def mode_of(samples, netns):
    found = [l["mode"] for l, v in h.select(samples, "socklife_netns_scan_mode", netns=netns)]
    assert len(found) == 1, f"{netns}: {found}"
    return found[0]


class Namespaces(unittest.TestCase):
    SOURCE = "netlink"
    MODES = {"sock_diag"}               # how a namespace is read
    MODES_NO_SETNS = {"procfs"}         # ... without CAP_SYS_ADMIN

    def once(self, *args, **kw):
        return h.run_once(f"--socket-source={self.SOURCE}", *args, **kw)

    def test_every_namespace_exactly_and_deletion(self):
        a, b, c = spaces()
        with a, b, c, h.Daemon("--group-by=pid", f"--socket-source={self.SOURCE}",
                               "--metrics.netns-scan", interval="200ms", netns="all") as d:
            time.sleep(0.5)  # a pass after the three exist
            samples = h.parse(h.metrics_text(d.port))
            self.assertEqual(h.value(samples, "socklife_socket_source", source=self.SOURCE), 1)
            # By default a namespace read the usual way (sock_diag, the bpf
            # walk alone) has no scan mode and no time of its own: two
            # series a namespace (--metrics.netns-scan serves them).
            default = h.parse(self.once(netns="all").stdout.decode())
            for space in (a, b, c):
                check_space(self, default, space)
                if self.SOURCE == "netlink":
                    self.assertEqual(h.select(default, "socklife_netns_scan_mode",
                                              netns=space.name), [])
                self.assertEqual(h.select(default, "socklife_scan_duration_seconds",
                                          netns=space.name), [])
                # Its TCP counters, read through one of its processes.
                self.assertGreaterEqual(
                    h.value(default, "socklife_netns_tcp_resets_sent_total", netns=space.name), 0)
            for space in (a, b, c):
                check_space(self, samples, space)
                self.assertIn(mode_of(samples, space.name), self.MODES)
                self.assertGreater(h.value(samples, "socklife_scan_duration_seconds",
                                           phase="netns", netns=space.name), 0)
            self.assertIn(mode_of(samples, "host"), self.MODES)
            # Each program's sockets are attributed in every namespace it runs in.
            mine = pids_in(a, b, c)
            udp = sum(s.pop["udp"] for s in (a, b, c))
            self.assertEqual(by_pids(samples, mine, "socklife_process_sockets", process="sl-udp",
                                     proto="udp", state="close"), udp)
            unix = sum(s.pop["unix"] for s in (a, b, c))
            self.assertEqual(by_pids(samples, mine, "socklife_process_sockets", process="sl-unix",
                                     proto="unix", state="established"), 2 * unix + 3)
            self.assertEqual(by_pids(samples, mine, "socklife_process_unix_peer_gone_sockets",
                                     process="sl-unix"), 3)
            h.promtool_check(h.metrics_text(d.port))

            # Delete a namespace while socklife runs: its series go, nothing breaks.
            a.delete()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                samples = h.parse(h.metrics_text(d.port))
                if not h.select(samples, "socklife_sockets", netns=a.name):
                    break
                time.sleep(0.1)
            self.assertEqual(h.select(samples, "socklife_sockets", netns=a.name), [])
            check_space(self, samples, b)
            check_space(self, samples, c)
            self.assertEqual(d.get("/healthz")[0], 200)
            errors = sum(v for _, v in h.select(samples, "socklife_scan_errors_total"))
            self.assertEqual(errors, 0)
            self.assertEqual(d.stop(), 0)

    def test_netns_host_dumps_only_its_own(self):
        a, b, c = spaces()
        with a, b, c:
            samples = h.parse(self.once("--netns=host").stdout.decode())
            labels = {l["netns"] for l, _ in h.select(samples, "socklife_sockets")}
            self.assertEqual(labels, {"host"})

    def test_without_cap_sys_admin_reads_procfs(self):
        a, b, c = spaces()
        with a, b, c:
            r = subprocess.run(["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin",
                                h.SOCKLIFE, "--once", "--netns=all", "--group-by=pid",
                                f"--socket-source={self.SOURCE}", "--metrics.netns-scan"],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            samples = h.parse(r.stdout.decode())
            for space in (a, b, c):
                check_space(self, samples, space)
                self.assertIn(mode_of(samples, space.name), self.MODES_NO_SETNS)
                # No setns needed for its TCP counters either.
                self.assertGreaterEqual(h.value(samples, "socklife_netns_tcp_listen_overflows_total",
                                                netns=space.name), 0)
            if any(mode_of(samples, s.name) != "bpf" for s in (a, b, c)):
                self.assertIn(b"reading /proc/PID/net", r.stderr)
            self.assertEqual(by_pids(samples, pids_in(a, b, c), "socklife_process_sockets",
                                     process="sl-cwait", proto="tcp", state="close_wait"),
                             sum(s.pop["close_wait"] for s in (a, b, c)))

    def test_without_ptrace_caps_attribution_is_partial(self):
        a, b, c = self.spaces = spaces()
        with a, b, c:
            # An unprivileged user keeping only CAP_SYS_ADMIN: it can enter the
            # named namespaces but not read root's processes.
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "--inh-caps=-all,+sys_admin", "--ambient-caps=-all,+sys_admin",
                                h.SOCKLIFE, "--once", "--netns=all", "--group-by=pid",
                                f"--socket-source={self.SOURCE}"], capture_output=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            if self.SOURCE == "bpf":
                self.check_walk_attributes_all(r)
                return
            self.assertIn(b"per-process attribution is partial", r.stderr)
            samples = h.parse(r.stdout.decode())
            for space in (a, c):  # named: found through /run/netns
                check_space(self, samples, space)
                self.assertGreater(h.value(samples, "socklife_unresolved_sockets",
                                           netns=space.name, proto="tcp"), 0)
            self.assertGreater(h.value(samples, "socklife_scan_denied_processes"), 0)
            self.assertEqual(h.select(samples, "socklife_process_sockets", process="sl-cwait"),
                             [])


class NamespacesBpf(Namespaces):
    """The same namespaces through the bpf walk: a namespace whose kernel
    counts agree with the walk is read from it alone ("bpf"), one holding
    TIME_WAIT is dumped for TCP ("bpf_sock_diag")."""
    SOURCE = "bpf"
    MODES = {"bpf", "bpf_sock_diag"}
    MODES_NO_SETNS = {"bpf", "bpf_procfs"}

    def setUp(self):
        if b"socket source: bpf" not in h.run_once("--socket-source=auto").stderr:
            self.skipTest("the BPF iterator does not load on this kernel")

    def check_walk_attributes_all(self, r):
        """Without the ptrace capabilities the walk still sees every fd:
        nothing is denied, every CLOSE_WAIT has its process."""
        a, b, c = self.spaces
        self.assertNotIn(b"per-process attribution is partial", r.stderr)
        samples = h.parse(r.stdout.decode())
        for space in (a, c):
            check_space(self, samples, space)
            self.assertEqual(h.value(samples, "socklife_unresolved_sockets", netns=space.name,
                                     proto="tcp"), 0)
        self.assertEqual(h.value(samples, "socklife_scan_denied_processes"), 0)
        self.assertEqual(by_pids(samples, pids_in(a, b, c), "socklife_process_sockets",
                                 process="sl-cwait", proto="tcp", state="close_wait"),
                         sum(s.pop["close_wait"] for s in (a, b, c)))


class Containers(unittest.TestCase):
    def test_a_containers_processes_carry_its_id(self):
        with h.Netns(), h.Fleet() as f, h.Container() as c:
            inside = f.start("listeners", count=2)
            f.start("listeners", count=1)  # the same program outside
            c.add(inside.pid)
            samples = h.parse(h.run_once("--group-by=pid").stdout.decode())
            self.assertEqual(h.value(samples, "socklife_process_sockets", pid=str(inside.pid),
                                     container=c.short, state="listen"), 2)
            info = h.select(samples, "socklife_container_info", container=c.short)
            self.assertEqual(len(info), 1)
            self.assertEqual(info[0][0]["runtime"], "docker")
            self.assertIn(c.id, info[0][0]["cgroup"])
            # Grouped by comm, the program inside and outside are two groups.
            samples = h.parse(h.run_once().stdout.decode())
            self.assertEqual(h.value(samples, "socklife_process_sockets", process="sl-listeners",
                                     container=c.short, state="listen"), 2)
            self.assertEqual(h.value(samples, "socklife_process_sockets", process="sl-listeners",
                                     container="", state="listen"), 1)

    def test_a_process_moved_into_a_container_is_relabelled(self):
        """A process socklife already counts, moved into a container while
        it sits idle (no fd opened or closed), carries the container's id
        within --resolve.verify-passes passes, with either socket source."""
        bpf = b"socket source: bpf" in h.run_once("--socket-source=auto").stderr
        for source in ("netlink", "bpf"):
            with self.subTest(source=source):
                if source == "bpf" and not bpf:
                    self.skipTest("the BPF iterator does not load on this kernel")
                with h.Netns(), h.Fleet() as f, h.Container() as c, \
                        h.Daemon("--group-by=pid", f"--socket-source={source}",
                                 "--resolve.verify-passes=5", interval="100ms") as d:
                    idle = f.start("listeners", count=2)

                    def container_of():
                        found = h.select(h.parse(h.metrics_text(d.port)),
                                         "socklife_process_sockets", pid=str(idle.pid),
                                         state="listen")
                        return found[0][0].get("container") if found else None

                    self.assertEqual(wait_for(container_of, lambda v: v is not None), "")
                    c.add(idle.pid)
                    moved = time.monotonic()
                    self.assertEqual(wait_for(container_of, lambda v: v == c.short), c.short,
                                     "still outside its container 10 s after the move")
                    print(f"{source}: labelled {time.monotonic() - moved:.1f} s after the "
                          f"move (5 passes of 100 ms)")


def wait_for(probe, done, seconds=10):
    """probe() until done(its value), for at most `seconds`; the last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if done(value) or time.monotonic() >= deadline:
            return value
        time.sleep(0.05)


class Pods(unittest.TestCase):
    def test_a_pods_container_carries_its_name(self):
        """A container in a pod's cgroup (as the kubelet's systemd driver
        makes it) is labelled with the pod's UID, and with its name and
        namespace from the kubelet's log directory names."""
        uid = str(uuid.uuid4())
        cid = uuid.uuid4().hex + uuid.uuid4().hex
        root = "/sys/fs/cgroup/pids"
        if os.path.exists(f"{root}/cgroup.procs"):  # cgroup v1: the cgroupfs driver's layout
            dirs = [f"{root}/kubepods", f"{root}/kubepods/besteffort",
                    f"{root}/kubepods/besteffort/pod{uid}"]
            dirs.append(f"{dirs[-1]}/{cid}")
        else:  # cgroup v2: the systemd driver's
            root = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else \
                "/sys/fs/cgroup"
            dirs = [f"{root}/kubepods.slice", f"{root}/kubepods.slice/kubepods-besteffort.slice"]
            dirs.append(f"{dirs[-1]}/kubepods-besteffort-pod{uid.replace('-', '_')}.slice")
            dirs.append(f"{dirs[-1]}/cri-containerd-{cid}.scope")
        path = dirs[-1]
        logs = f"/tmp/slpods-{os.getpid()}"
        os.makedirs(f"{logs}/shop_checkout-7d4b9_{uid}/app", exist_ok=True)
        made = [d for d in dirs if not os.path.isdir(d)]
        for d in made:
            os.mkdir(d)
        try:
            with h.Netns(), h.Fleet() as f:
                inside = f.start("listeners", count=1)
                with open(f"{path}/cgroup.procs", "w") as cg:
                    cg.write(str(inside.pid))
                samples = h.parse(h.run_once(f"--kubernetes.pod-logs={logs}").stdout.decode())
                info = h.select(samples, "socklife_container_info", container=cid[:13])
                self.assertEqual(len(info), 1, info)
                self.assertEqual(info[0][0]["pod_uid"], uid)
                self.assertEqual(info[0][0]["pod"], "checkout-7d4b9")
                self.assertEqual(info[0][0]["pod_namespace"], "shop")
                with open(f"{root}/cgroup.procs", "w") as cg:
                    cg.write(str(inside.pid))
        finally:
            for d in reversed(made):
                with contextlib.suppress(OSError):
                    os.rmdir(d)
            subprocess.run(["rm", "-rf", logs], check=False)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
