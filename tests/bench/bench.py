#!/usr/bin/env python3
"""socklife's benchmark: one population, every measurement in one run.

    sudo scripts/bench.sh                      # installs wrk and node_exporter, builds, runs
    sudo tests/bench/bench.py --build build    # the same on an existing build

It builds N TCP sockets in known states over P processes inside a throwaway
network namespace (sl-benchpop) and prints a table: the bare sock_diag dump
(sl-dumpprobe: socklife's own dump code, counting and nothing else),
socklife's first pass and its steady-state pass (median of at least ten),
`ss -tanp`, node_exporter's tcpstat scrape when installed, socklife's CPU per
pass, its peak RSS and whether RSS grows over many passes, /metrics latency
with 20 concurrent clients, and a pass with the same sockets spread over 1,
10 and 50 namespaces.  Times carry their ratio to the bare dump.

Last (not with --quick) it measures what one scrape costs on a Kubernetes
node's shape (node_shape(): 190,000 TCP sockets in one namespace and 110 pod
namespaces of three processes each, each pod a container): series and bytes
per scrape beside the namespaces and process groups socklife saw, and the
largest families.  --node-shape-only measures only that (about a minute);
--node-args passes socklife flags to that run (e.g. --metrics.all-states).

This is a benchmark that prints numbers, not a test: it asserts nothing
beyond socklife's counts matching the population.
"""
import argparse
import contextlib
import gzip
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness as h  # noqa: E402  (namespaces, exposition parsing)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run_in(ns, args, **kw):
    return subprocess.run(["ip", "netns", "exec", ns, *args], **kw)


def popen_in(ns, args, **kw):
    return subprocess.Popen(["ip", "netns", "exec", ns, *args], **kw)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Space:
    """A named throwaway namespace with an sl-benchpop population; with
    `cgroup` (a directory under a cgroup hierarchy), its processes start in
    that cgroup, so socklife sees them as one container."""

    def __init__(self, name, benchpop, sockets, procs, cgroup=None):
        self.name, self.benchpop, self.sockets, self.procs = name, benchpop, sockets, procs
        self.cgroup = cgroup

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        cmd = ["ip", "netns", "exec", self.name, self.benchpop, f"--sockets={self.sockets}",
               f"--procs={self.procs}"]
        if self.cgroup:
            # Join the cgroup before exec, so every process of the
            # population is born in it.
            os.makedirs(self.cgroup)
            cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.cgroup, *cmd]
        self.pop = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    text=True)
        line = self.pop.stdout.readline().split()
        if not line or line[0] != "ready":
            raise SystemExit(f"sl-benchpop failed in {self.name}")
        self.total = int(line[1])
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(BrokenPipeError):
            self.pop.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.pop.wait(timeout=30)
        for pid in subprocess.run(["ip", "netns", "pids", self.name], capture_output=True,
                                  text=True).stdout.split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.name], check=False)
        if self.cgroup:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    os.rmdir(self.cgroup)
                    break
                time.sleep(0.05)  # its killed processes are still leaving it


class Daemon:
    """socklife serving in a namespace (or the host's, ns=None)."""

    def __init__(self, socklife, ns, *args):
        self.port = 19900 + os.getpid() % 90
        cmd = [socklife, f"--web.listen-address=127.0.0.1:{self.port}",
               "--web.max-connections-per-ip=64", *args]
        self.proc = popen_in(ns, cmd, stderr=subprocess.DEVNULL) if ns else \
            subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        self.ns = ns
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.scrape():
                    break
            time.sleep(0.05)
        # `ip netns exec` execs socklife, so the pid is socklife's.
        self.pid = self.proc.pid

    def text(self):
        """The exposition as served, uncompressed."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return body.decode() if r.status == 200 else None

    def scrape(self):
        if self.ns:
            out = run_in(self.ns, ["curl", "-sf", f"http://127.0.0.1:{self.port}/metrics"],
                         capture_output=True, text=True)
            return h.parse(out.stdout) if out.returncode == 0 else None
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read().decode()
        conn.close()
        return h.parse(body) if r.status == 200 else None

    def passes(self, n, timeout=900):
        """Durations of the next n passes, and CPU seconds per pass over
        them (the passes counted by socklife itself: a scrape may miss
        one)."""
        seen, durations = None, []
        first = cpu0 = None
        deadline = time.monotonic() + timeout
        while len(durations) < n and time.monotonic() < deadline:
            cpu = cpu_seconds(self.pid)
            s = self.scrape()
            scans = h.value(s, "socklife_scans_total")
            if seen is not None and scans != seen:
                durations.append(h.value(s, "socklife_scan_duration_seconds", phase="total"))
                if first is None:  # measure from the end of a pass
                    first, cpu0 = scans, cpu
                last, cpu1 = scans, cpu
            seen = scans
            time.sleep(0.02)
        per_pass = (cpu1 - cpu0) / (last - first) if first is not None and last > first else \
            float("nan")
        return durations, per_pass

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def latency(port, ns, seconds=5, clients=20):
    """/metrics latency p50/p99 with `clients` concurrent clients (wrk)."""
    wrk = shutil.which("wrk")
    if not wrk:
        return None
    out = run_in(ns, [wrk, "-t2", f"-c{clients}", f"-d{seconds}s", "--latency",
                      f"http://127.0.0.1:{port}/metrics"], capture_output=True, text=True).stdout
    p = {}
    for q in ("50%", "99%"):
        m = re.search(rf"^\s*{re.escape(q)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            p[q] = float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return p.get("50%"), p.get("99%"), float(m.group(1)) if m else 0, bool(errors)


def node_exporter(ns, scrapes=5):
    """Seconds and CPU seconds per tcpstat scrape, or None."""
    binary = shutil.which("prometheus-node-exporter")
    if not binary:
        return None
    port = 19990
    proc = popen_in(ns, [binary, "--collector.disable-defaults", "--collector.tcpstat",
                         f"--web.listen-address=127.0.0.1:{port}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        url = f"http://127.0.0.1:{port}/metrics"
        run_in(ns, ["curl", "-sf", "-o", "/dev/null", url])  # warm
        times = []
        cpu0 = cpu_seconds(proc.pid)
        for _ in range(scrapes):
            t0 = time.monotonic()
            run_in(ns, ["curl", "-sf", "-o", "/dev/null", url], check=True)
            times.append(time.monotonic() - t0)
        return statistics.median(times), (cpu_seconds(proc.pid) - cpu0) / scrapes
    finally:
        proc.terminate()
        proc.wait()


def cgroup_root():
    """Where the benchmark may make cgroups: cgroup v1's "pids" hierarchy
    when it is mounted (any hierarchy shows in /proc/PID/cgroup), else v2."""
    v1 = "/sys/fs/cgroup/pids"
    if os.path.exists(f"{v1}/cgroup.procs"):
        return v1
    v2 = "/sys/fs/cgroup/unified"
    return v2 if os.path.exists(f"{v2}/cgroup.procs") else "/sys/fs/cgroup"


def families(text):
    """Per family of an exposition: [series, bytes], its HELP and TYPE lines
    counted in its bytes.  A sample belongs to the family last TYPE'd."""
    out, family = {}, None
    for line in text.splitlines(keepends=True):
        if line.startswith("# HELP "):
            family = line.split()[2]
        elif not line.startswith("#"):
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            family = family if family and name.startswith(family) else name
        row = out.setdefault(family, [0, 0])
        row[0] += 0 if line.startswith("#") else 1
        row[1] += len(line.encode())
    return out


def node_shape(args, socklife, benchpop, tag):
    """Series and bytes per scrape on a Kubernetes node's shape: one namespace
    holding --node-sockets TCP sockets (the host's services and hostNetwork
    pods), and --node-shape pod namespaces, each one container (a CRI
    cgroupfs-driver cgroup) of three processes holding about ten sockets.
    socklife runs with --netns=all and EXTRA args, so whatever else lives on
    this machine is counted too: the namespaces and groups it saw are
    printed beside the figures.  Returns the lines to print."""
    top = os.path.join(cgroup_root(), tag)  # removed with everything under it
    root = f"{top}/kubepods"  # the CRI cgroupfs driver's shape
    log(f"node shape: {args.node_sockets} sockets in one namespace, "
        f"{args.node_shape} pods of 3 processes")
    with contextlib.ExitStack() as stack:
        # Called last: once every population has left its cgroup.
        stack.callback(lambda: subprocess.run(["find", top, "-depth", "-type", "d", "-delete"],
                                              check=False))
        stack.enter_context(Space(f"{tag}-node", benchpop, args.node_sockets, 20))
        for i in range(args.node_shape):
            pod = f"{root}/besteffort/pod{uuid.uuid4()}/{uuid.uuid4().hex}{uuid.uuid4().hex}"
            stack.enter_context(Space(f"{tag}-pod-{i}", benchpop, 10, 2, cgroup=pod))
        d = Daemon(socklife, None, "--netns=all", "--interval=1s", *args.node_args)
        try:
            d.passes(2)  # a steady pass: history, ages and suspects settled
            text = d.text()
            if args.node_save:
                with open(args.node_save, "w") as f:
                    f.write(text)
        finally:
            d.stop()
    samples = h.parse(text)
    netns = {l["netns"] for _, l, _ in samples if "netns" in l}
    tcp = sum(v for _, v in h.select(samples, "socklife_sockets", proto="tcp"))
    # Every group has its fd usage ratio, whatever else it shows.
    groups = {(l.get("container"), l["process"], l.get("program"), l.get("pid"))
              for n, l, _ in samples if n == "socklife_process_fd_usage_ratio"}
    fams = families(text)
    zipped = len(gzip.compress(text.encode()))
    lines = [f"node shape{' (' + ' '.join(args.node_args) + ')' if args.node_args else ''}: "
             f"{len(netns)} namespaces, {len(groups)} process groups, {tcp:.0f} TCP sockets: "
             f"{len(samples)} series, {len(text.encode()) / 1000:.0f} KB per scrape "
             f"({zipped / 1000:.0f} KB gzipped)", "",
             f"| {'family':<44} | {'series':>6} | {'bytes':>7} |",
             f"|{'-' * 46}|{'-' * 8}|{'-' * 9}|"]
    for name, (n, size) in sorted(fams.items(), key=lambda kv: -kv[1][1])[:args.node_top]:
        lines.append(f"| {name:<44} | {n:>6} | {size:>7} |")
    rest = sorted(fams.items(), key=lambda kv: -kv[1][1])[args.node_top:]
    if rest:
        lines.append(f"| {f'{len(rest)} more families':<44} | {sum(v[0] for _, v in rest):>6} | "
                     f"{sum(v[1] for _, v in rest):>7} |")
    return lines


class Pod:
    """A small pod-like namespace: a client and a server with ~10
    connections between them (sl-benchpop), and a third process idling."""

    def __init__(self, name, benchpop):
        self.space = Space(name, benchpop, 10, 2)

    def __enter__(self):
        self.space.__enter__()
        self.idle = popen_in(self.space.name, ["sleep", "infinity"])
        return self

    def __exit__(self, *exc):
        self.idle.kill()
        self.idle.wait()
        self.space.__exit__(*exc)


def bare_cpu(ns, probe, runs=7):
    """CPU seconds of one bare dump of namespace `ns` (sl-dumpprobe, its
    start-up taken out by a run of one): CPU, as socklife's passes are
    measured, since a virtual machine's wall clock also counts steal."""
    def cpu_of(n):
        before = os.times()
        run_in(ns, [probe, str(n)], capture_output=True, check=True)
        after = os.times()
        return (after.children_user - before.children_user +
                after.children_system - before.children_system)
    return (cpu_of(runs) - cpu_of(1)) / (runs - 1)


def sweep(args, socklife, benchpop, probe):
    """The Kubernetes node: one big namespace (--sockets in --procs
    processes, socklife running in it as on a node's host namespace) and
    0, 10, 50, 110 small pod-like namespaces, read by each socket source.
    CPU per steady pass and the first pass as ratios to one bare dump of
    the big namespace, measured in the same run."""
    tag = f"slw-{os.getpid()}"
    counts = [int(x) for x in args.sweep_namespaces.split(",")]
    results = []
    with Space(f"{tag}-big", benchpop, args.sockets, args.procs) as big, \
            contextlib.ExitStack() as pods:
        bare = bare_cpu(big.name, probe)
        made = 0
        for n in counts:
            log(f"sweep: {n} small namespaces")
            while made < n:
                pods.enter_context(Pod(f"{tag}-pod{made}", benchpop))
                made += 1
            for source in ["bpf", "netlink"] + (["baseline"] if args.baseline else []):
                # The baseline (another build, e.g. from before the bpf source)
                # reads over netlink and knows none of the newer flags.
                exe = os.path.join(args.baseline, "socklife") if source == "baseline" \
                    else socklife
                flags = [] if source == "baseline" else [f"--socket-source={source}"]
                before = os.times()
                run_in(big.name, [exe, "--once", "--netns=all", *flags],
                       capture_output=True, check=True)
                after = os.times()
                once = (after.children_user - before.children_user +
                        after.children_system - before.children_system)
                more = [] if source == "baseline" else ["--netns.read-budget=60s"]
                d = Daemon(exe, big.name, "--netns=all", "--interval=200ms", *flags, *more)
                s = d.scrape()
                got = [l["source"] for l, _ in h.select(s, "socklife_socket_source")] or \
                    ["baseline"]
                durations, cpu = d.passes(args.passes)
                namespaces = len({l["netns"] for l, _ in h.select(d.scrape(),
                                                                     "socklife_sockets")})
                hwm = status_kib(d.pid, "VmHWM")
                d.stop()
                results.append((n, namespaces, source if got == [source] else f"{source}?",
                                once, statistics.median(durations), cpu, hwm))
    print(f"namespace sweep: {big.total} TCP sockets in one namespace (socklife's own), "
          f"plus small ones of 3 processes and ~10 sockets; one bare dump of the big one: "
          f"{bare:.3f} s CPU; each socklife reads within --netns.read-budget=60s")
    print()
    print("--once CPU: a whole run (start-up, loading the iterator, the first pass: every "
          "process read, every namespace); steady: wall seconds of a pass (median) and CPU "
          "per pass")
    print()
    print(f"| {'small ns':>8} | {'read':>4} | {'source':>7} | {'--once CPU s':>12} | "
          f"{'x dump':>6} | {'steady s':>8} | {'CPU/pass s':>10} | {'x dump':>6} | "
          f"{'peak RSS MiB':>12} |")
    print(f"|{'-' * 10}|{'-' * 6}|{'-' * 9}|{'-' * 14}|{'-' * 8}|{'-' * 10}|{'-' * 12}|"
          f"{'-' * 8}|{'-' * 14}|")
    for n, read, source, first, steady, cpu, hwm in results:
        print(f"| {n:>8} | {read:>4} | {source:>7} | {first:>12.3f} | {first / bare:>6.2f} | "
              f"{steady:>8.3f} | {cpu:>10.3f} | {cpu / bare:>6.2f} | {hwm / 1024:>12.1f} |")


def median_runs(fn, runs):
    return statistics.median(fn() for _ in range(runs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--sockets", type=int, default=200000)
    ap.add_argument("--procs", type=int, default=200)
    ap.add_argument("--passes", type=int, default=12, help="steady passes to time")
    ap.add_argument("--soak", type=int, default=1000, help="passes to watch RSS over")
    ap.add_argument("--namespaces", default="1,10,50")
    ap.add_argument("--baseline", metavar="BUILD",
                    help="also time the socklife of another build (e.g. the last release) "
                         "on the same population, to compare")
    ap.add_argument("--quick", action="store_true",
                    help="skip ss, node_exporter, latency and the RSS soak")
    ap.add_argument("--node-shape", type=int, default=110, metavar="PODS",
                    help="measure series and bytes per scrape on a node of this many pod "
                         "namespaces (0: skip)")
    ap.add_argument("--node-sockets", type=int, default=190000,
                    help="TCP sockets in the node shape's big namespace")
    ap.add_argument("--node-top", type=int, default=15, help="families listed by size")
    ap.add_argument("--node-args", action="append", default=[], metavar="ARG",
                    help="a socklife flag for the node-shape run (repeatable)")
    ap.add_argument("--node-save", metavar="FILE", help="keep the node shape's exposition")
    ap.add_argument("--node-shape-only", action="store_true",
                    help="measure only the node shape")
    ap.add_argument("--sweep", action="store_true",
                    help="only the namespace sweep of both socket sources (the Kubernetes "
                         "node: --sockets in one namespace plus small pod-like ones)")
    ap.add_argument("--sweep-namespaces", default="0,10,50,110")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root (network namespaces)")
    socklife = os.path.join(args.build, "socklife")
    benchpop = os.path.join(args.build, "tests", "bench", "sl-benchpop")
    probe = os.path.join(args.build, "tests", "bench", "sl-dumpprobe")
    if args.sweep:
        sweep(args, socklife, benchpop, probe)
        return
    rows = []  # (what, seconds or text, note)
    tag = f"slb-{os.getpid()}"
    if args.node_shape_only:
        print("\n".join(node_shape(args, socklife, benchpop, tag)))
        return

    log(f"building {args.sockets} sockets in {args.procs} processes")
    with Space(f"{tag}-main", benchpop, args.sockets, args.procs) as sp:
        bare_runs = [float(l.split()[0]) for l in
                     run_in(sp.name, [probe, "7"], capture_output=True, text=True,
                            check=True).stdout.split("\n") if l]
        bare = statistics.median(bare_runs)
        rows.append(("bare dump (sl-dumpprobe, median of 7)", bare, ""))
        walk = float(run_in(sp.name, [probe, "walk"], capture_output=True, text=True,
                            check=True).stdout.split()[0])
        rows.append(("one full /proc walk (sl-dumpprobe walk)", walk, ""))

        log("socklife: first pass and steady state")
        d = Daemon(socklife, sp.name, "--netns=host", "--interval=200ms")
        first = d.scrape()
        rows.append(("socklife first pass", h.value(first, "socklife_scan_duration_seconds",
                                                     phase="total"), ""))
        total = sum(v for l, v in h.select(first, "socklife_sockets", proto="tcp"))
        owned = sum(v for l, v in h.select(first, "socklife_process_sockets", proto="tcp"))
        durations, cpu = d.passes(args.passes)
        steady = statistics.median(durations)
        rows.append((f"socklife steady pass (median of {len(durations)})", steady, ""))
        rows.append(("socklife CPU per steady pass", cpu, "cpu"))
        s = d.scrape()
        proc_phase = h.value(s, "socklife_scan_duration_seconds", phase="proc")
        dump_phase = h.value(s, "socklife_scan_duration_seconds", phase="dump")

        lat = None
        if not args.quick:
            log("/metrics with 20 concurrent clients")
            lat = latency(d.port, sp.name)

        soak = 0 if args.quick else args.soak
        log(f"RSS over {soak} passes")
        rss_start = status_kib(d.pid, "VmRSS")
        soak_start = h.value(d.scrape(), "socklife_scans_total")
        d.passes(soak, timeout=3600)
        rss_end = status_kib(d.pid, "VmRSS")
        hwm = status_kib(d.pid, "VmHWM")
        soaked = h.value(d.scrape(), "socklife_scans_total") - soak_start
        d.stop()

        if args.baseline:
            log(f"baseline: {args.baseline}")
            b = Daemon(os.path.join(args.baseline, "socklife"), sp.name, "--netns=host",
                       "--interval=200ms")
            rows.append(("baseline first pass", h.value(b.scrape(),
                                                        "socklife_scan_duration_seconds",
                                                        phase="total"), ""))
            bd, bcpu = b.passes(args.passes)
            rows.append((f"baseline steady pass (median of {len(bd)})",
                         statistics.median(bd), ""))
            rows.append(("baseline CPU per steady pass", bcpu, "cpu"))
            rows.append(("baseline peak RSS (KiB)", status_kib(b.pid, "VmHWM"), "cpu"))
            b.stop()
        population = sp.total
        if args.quick:
            print_table(args, population, total, owned, bare, rows, proc_phase, dump_phase,
                        lat, rss_start, rss_end, hwm, soaked, [])
            return

        log("ss -tanp")
        def ss_time():
            t0 = time.monotonic()
            run_in(sp.name, ["ss", "-tanp"], stdout=subprocess.DEVNULL, check=True)
            return time.monotonic() - t0
        ss = median_runs(ss_time, 3)
        rows.append(("ss -tanp (median of 3)", ss, ""))

        log("node_exporter tcpstat")
        ne = node_exporter(sp.name)
        if ne:
            rows.append(("node_exporter tcpstat scrape (median of 5)", ne[0], ""))
            rows.append(("node_exporter CPU per scrape", ne[1], "cpu"))
        population = sp.total

    scaling = []
    for n in (int(x) for x in args.namespaces.split(",") if x):
        per = args.sockets // n
        procs = max(2, (args.procs // n) // 2 * 2)
        log(f"{n} namespaces x {per} sockets in {procs} processes")
        with contextlib.ExitStack() as stack:
            for i in range(n):
                stack.enter_context(Space(f"{tag}-{n}-{i}", benchpop, per, procs))
            d = Daemon(socklife, None, "--netns=all", "--interval=200ms")
            first = h.value(d.scrape(), "socklife_scan_duration_seconds", phase="total")
            durations, cpu = d.passes(max(5, args.passes // 2))
            d.stop()
            scaling.append((n, per, first, statistics.median(durations), cpu))

    print_table(args, population, total, owned, bare, rows, proc_phase, dump_phase, lat,
                rss_start, rss_end, hwm, soaked, scaling)
    if args.node_shape:
        print()
        print("\n".join(node_shape(args, socklife, benchpop, tag)))


def print_table(args, population, total, owned, bare, rows, proc_phase, dump_phase, lat,
                rss_start, rss_end, hwm, soaked, scaling):
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu_model = m.group(1) if m else cpu_model
    print(f"machine: {os.cpu_count()} CPUs ({cpu_model}), kernel {platform.release()}")
    print(f"population: {population} TCP sockets in {args.procs} processes "
          f"(socklife counted {total:.0f}, {owned:.0f} attributed to processes)")
    print()
    print(f"| {'measurement':<46} | {'seconds':>9} | {'x bare dump':>11} |")
    print(f"|{'-' * 48}|{'-' * 11}|{'-' * 13}|")
    for what, secs, kind in rows:
        ratio = "" if kind == "cpu" else f"{secs / bare:.2f}"
        print(f"| {what:<46} | {secs:>9.3f} | {ratio:>11} |")
    print(f"| {'  of the steady pass: /proc phase':<46} | {proc_phase:>9.3f} | "
          f"{proc_phase / bare:>11.2f} |")
    print(f"| {'  of the steady pass: dump and count phase':<46} | {dump_phase:>9.3f} | "
          f"{dump_phase / bare:>11.2f} |")
    print()
    if lat and lat[0] is not None:
        print(f"/metrics, 20 concurrent clients for 5 s (wrk): p50 {lat[0] * 1e3:.2f} ms, "
              f"p99 {lat[1] * 1e3:.2f} ms, {lat[2]:.0f} requests/s"
              f"{', WITH ERRORS' if lat[3] else ', no errors'}")
    else:
        print("/metrics latency: wrk not installed")
    print(f"socklife RSS: peak {hwm / 1024:.1f} MiB; {rss_start / 1024:.1f} MiB -> "
          f"{rss_end / 1024:.1f} MiB over {soaked:.0f} passes")
    print()
    print(f"| {'namespaces':>10} | {'sockets each':>12} | {'first pass s':>12} | "
          f"{'steady pass s':>13} | {'CPU/pass s':>10} |")
    print(f"|{'-' * 12}|{'-' * 14}|{'-' * 14}|{'-' * 15}|{'-' * 12}|")
    for n, per, first, steady, cpu in scaling:
        print(f"| {n:>10} | {per:>12} | {first:>12.3f} | {steady:>13.3f} | {cpu:>10.3f} |")


if __name__ == "__main__":
    main()
