"""The two socket sources agree, and each says what it is.

Three throwaway namespaces: the one socklife runs in (A) holds every TCP
state a namespace can (orphans, TIME_WAIT, request socks, CLOSE_WAIT with
rqueue 1 and 0, FIN_WAIT2 held and orphaned) and sockets shared over
fork() and SCM_RIGHTS; B and C hold nothing the kernel keeps alone but
request socks, plus sockets a process of A made in them; D holds a
listener in flight (no fd holds it).  `--once` with `--socket-source bpf`
and with `netlink` must print the same series for these namespaces and
processes, and both must match the population.  The bpf source reads B
and C from its walk alone ("bpf"), dumps TCP in A, and lists D's
listeners ("bpf_sock_diag" both).  Forcing the BPF load to fail falls back to netlink,
said in the log and the metric; asking for bpf alone then fails at
start-up with the reason."""
import json
import os
import subprocess
import sys
import unittest
import uuid

import harness as h

POP = os.path.join(h.HERE, "sourcepop.py")
# Families that differ by design (how a namespace was read), or with time.
DIFFERENT = {"socklife_netns_scan_mode", "socklife_scan_duration_seconds",
             "socklife_process_close_wait_oldest_seconds",
             # UDP's send memory is sk_wmem_alloc over sock_diag and
             # sk_wmem_queued (always 0) in the walk's record
             "socklife_process_socket_memory_bytes",
             # the namespaces' own counters move between the two runs
             "socklife_netns_tcp_retransmitted_segments_total",
             "socklife_netns_tcp_resets_sent_total",
             "socklife_netns_tcp_listen_overflows_total", "socklife_netns_tcp_listen_drops_total"}


class Pop:
    """sourcepop.py ROLE in namespace `ns` (None: the current one)."""

    def __init__(self, role, ns=None, arg=None):
        cmd = [sys.executable, POP, role] + ([arg] if arg else [])
        self.cmd = (["ip", "netns", "exec", ns] if ns else []) + cmd

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.proc.kill()
            raise AssertionError(f"{self.cmd} did not get ready: {line!r}")
        self.info = json.loads(line[6:])
        return self

    def __exit__(self, *exc):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


class Named:
    """A named namespace that this process does not enter."""

    def __init__(self):
        self.name = f"slsrc-{os.getpid()}-{uuid.uuid4().hex[:4]}"

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def ours(samples, names):
    """The samples about our namespaces and our processes."""
    out = {}
    for n, labels, v in samples:
        if n in DIFFERENT:
            continue
        mine = labels.get("netns") in names if "netns" in labels else \
            labels.get("process", "").startswith("slsrc-")
        if mine:
            out[(n, tuple(sorted(labels.items())))] = v
    return out


def bpf_loads():
    return b"socket source: bpf" in h.run_once("--socket-source=auto").stderr


class Sources(unittest.TestCase):
    def test_bpf_and_netlink_agree_and_match_the_population(self):
        if not bpf_loads():
            self.skipTest("the BPF iterator does not load on this kernel (needs BTF, 6.1+)")
        with h.Netns() as a, Named() as b, Named() as c, Named() as d, Pop("tcp"), \
                Pop("share") as share, Pop("quiet", b.name), Pop("quiet", c.name), \
                Pop("nsmix", arg=f"{b.name},{c.name}"), Pop("inflight", d.name):
            runs = {src: h.run_once(f"--socket-source={src}", "--netns=all", "--group-by=pid",
                                    "--metrics.netns-scan")  # every namespace's mode
                    for src in ("bpf", "netlink")}
        names = {a.name, b.name, c.name, d.name}
        got = {src: h.parse(r.stdout.decode()) for src, r in runs.items()}
        bpf, netlink = (ours(got[s], names) for s in ("bpf", "netlink"))
        self.assertGreater(len(netlink), 100)
        only = sorted(set(bpf) ^ set(netlink))
        self.assertEqual(only, [], "series only one source printed")
        differ = {k: (bpf[k], netlink[k]) for k in bpf if bpf[k] != netlink[k]}
        self.assertEqual(differ, {}, "(bpf, netlink) values that differ")
        for src in ("bpf", "netlink"):
            self.assertEqual(h.value(got[src], "socklife_socket_source", source=src), 1)

        # How each namespace was read.
        modes = {l["netns"]: l["mode"] for l, _ in
                 h.select(got["bpf"], "socklife_netns_scan_mode") if l["netns"] in names}
        self.assertEqual(modes, {a.name: "bpf_sock_diag", b.name: "bpf", c.name: "bpf",
                                 d.name: "bpf_sock_diag"})

        s = got["bpf"]

        def count(ns, state, proto="tcp"):
            return h.value(s, "socklife_sockets", netns=ns, proto=proto, state=state)

        # The population, as built.  A: what only the kernel holds is there.
        self.assertGreaterEqual(count(a.name, "time_wait"), 3)
        self.assertGreaterEqual(count(a.name, "fin_wait1"), 1)  # the orphan
        self.assertEqual(count(a.name, "syn_recv"), 2)
        # 3 made so, and the peers of the 2 held and 1 orphaned FIN_WAIT2
        self.assertEqual(count(a.name, "close_wait"), 6)
        # B and C: from the walk, and the request socks from the SYN queue.
        for ns in (b.name, c.name):
            self.assertEqual(count(ns, "syn_recv"), 3)
            self.assertEqual(count(ns, "close_wait"), 2)
            self.assertEqual(count(ns, "fin_wait2"), 2)
            self.assertEqual(count(ns, "listen"), 3)  # two of quiet's, one of nsmix's
            self.assertEqual(count(ns, "established"), 2 * 2 + 3 + 2)
            self.assertEqual(count(ns, "established", "udp"), 1)
            self.assertEqual(count(ns, "close", "udp"), 1)
            self.assertEqual(count(ns, "established", "unix"), 3)
            self.assertEqual(h.value(s, "socklife_unresolved_sockets", netns=ns, proto="tcp"),
                             0)
        # D: the listener in flight is counted, and no process is blamed.
        self.assertEqual(count(d.name, "listen"), 2)
        self.assertEqual(count(d.name, "established"), 2)
        self.assertEqual(h.value(s, "socklife_unresolved_sockets", netns=d.name, proto="tcp"), 1)
        self.assertEqual(h.value(s, "socklife_process_sockets", process="slsrc-inflight",
                                 proto="tcp", state="listen"), 1)
        # Holders: CLOSE_WAIT by cause, the child's inherited and passed
        # sockets, nsmix's sockets in the two other namespaces.
        pid = {l["process"]: l["pid"] for l, _ in h.select(s, "socklife_process_open_fds")
               if l["process"].startswith("slsrc-")}
        self.assertEqual(h.value(s, "socklife_process_close_wait_sockets", process="slsrc-tcp",
                                 pid=pid["slsrc-tcp"], cause="eof_unread"), 5)
        self.assertEqual(h.value(s, "socklife_process_close_wait_sockets", process="slsrc-tcp",
                                 pid=pid["slsrc-tcp"], cause="eof_read"), 1)
        self.assertEqual(pid["slsrc-child"], str(share.info["child"]))
        self.assertEqual(h.value(s, "socklife_process_sockets", process="slsrc-child",
                                 proto="udp", state="close"), 2)  # inherited and passed
        self.assertEqual(h.value(s, "socklife_process_sockets", process="slsrc-nsmix",
                                 proto="tcp", state="listen"), 2)

    def test_a_failed_load_falls_back_to_netlink(self):
        """Without the capabilities to load BPF (CAP_BPF, CAP_PERFMON,
        CAP_SYS_ADMIN out of the bounding set), auto reads over netlink and
        says why; bpf alone refuses to start."""
        drop = ["setpriv", "--bounding-set=-sys_admin,-bpf,-perfmon",
                "--inh-caps=-sys_admin,-bpf,-perfmon"]
        with h.Netns() as ns, h.Population(established=2, close_wait=1, time_wait=0):
            r = subprocess.run(drop + [h.SOCKLIFE, "--once", "--netns=host"],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"socket source: netlink (the BPF iterator did not load: not "
                          b"permitted", r.stderr)
            samples = h.parse(r.stdout.decode())
            self.assertEqual(h.value(samples, "socklife_socket_source", source="netlink"), 1)
            self.assertEqual(h.value(samples, "socklife_sockets", netns=ns.name, proto="tcp",
                                     state="close_wait"), 1)
            r = subprocess.run(drop + [h.SOCKLIFE, "--once", "--socket-source=bpf"],
                               capture_output=True, timeout=60)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"--socket-source bpf: cannot load the BPF iterator: not permitted",
                          r.stderr)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
