"""No fd or memory leaks: many passes and scrapes leave the daemon's fd count
and resident memory where they were; memory a peak of sockets took comes
back when they go; one pass under valgrind is clean."""
import contextlib
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h


@contextlib.contextmanager
def daemon_in_own_pid_namespace(*args):
    """socklife as PID 1 of a pid namespace with its own /proc: its walk sees
    only what the test starts there (other tests on the host hold sockets
    too, by the hundred thousand on a busy CI machine).  Yields (pid as the
    host sees it, port, start(argv) -> Popen in that namespace)."""
    port = h.free_port()
    log = tempfile.TemporaryFile()
    u = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "--", h.SOCKLIFE,
                          f"--web.listen-address=127.0.0.1:{port}", "--netns=host", *args],
                         stderr=log)
    started = []
    try:
        deadline = time.monotonic() + 20
        pid = None
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, IndexError):
                with open(f"/proc/{u.pid}/task/{u.pid}/children") as f:
                    pid = pid or int(f.read().split()[0])
                if pid and h.get(port, "/healthz")[0] == 200:
                    break
            time.sleep(0.05)
        else:
            log.seek(0)
            raise AssertionError(f"socklife never became healthy: {log.read().decode()}")

        def start(argv):
            p = subprocess.Popen(["nsenter", "-t", str(pid), "-p", "--", *argv],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            started.append(p)
            return p
        yield pid, port, start
    finally:
        for p in started:
            p.kill()
            p.wait()
            p.stdin.close()
            p.stdout.close()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 15)  # PID 1 of its namespace: the rest go with it
        u.wait(timeout=20)
        log.close()


class Resources(unittest.TestCase):
    def test_many_passes_leak_nothing(self):
        with h.Netns(), h.Population(established=20, close_wait=5, time_wait=5), \
                h.Daemon(interval="10ms") as d:
            pid = d.proc.pid

            def idle_fds():
                # A pass opens /proc files for a moment: the fewest fds seen
                # over a few samples is the count between passes.
                counts = []
                for _ in range(30):
                    counts.append(h.fd_count(pid))
                    time.sleep(0.003)
                return min(counts)

            def passes():
                return h.value(h.parse(h.metrics_text(d.port)), "socklife_scans_total")

            time.sleep(0.5)  # let buffers grow to their steady size
            fds0, rss0, n0 = idle_fds(), h.rss_kib(pid), passes()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                h.metrics_text(d.port, gzipped=True)
                h.get(d.port, "/")
            fds1, rss1, n1 = idle_fds(), h.rss_kib(pid), passes()
            print(f"passes {n1 - n0:.0f}: fds {fds0} -> {fds1}, rss {rss0} -> {rss1} KiB")
            self.assertGreater(n1 - n0, 100)
            self.assertEqual(fds1, fds0)
            if not h.SANITIZED:
                self.assertLess(rss1 - rss0, 1024, "resident memory grew by 1 MiB or more")
            self.assertEqual(d.stop(), 0)

    @unittest.skipIf(h.SANITIZED, "RSS means nothing under ASan (the allocator keeps a quarantine)")
    def test_memory_returns_after_a_peak(self):
        """100,000 UNIX sockets come and go: the tables that held them
        shrink and the allocator gives the memory back.  Measured as
        RssAnon (/proc/PID/status): VmRSS also counts library code first
        run during the peak, which is no memory to give back.  Measured
        here: 0.9 -> 8.1 -> 1.2 MiB; on main 1.2 -> 8.4 -> 3.1..3.5 MiB (and
        8 MiB more stayed when a pass met the sockets before their fds)."""
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        per = 5600  # x3 sockets in each of 6 processes: under any fd limit of 20,000
        def anon_kib(pid):
            with open(f"/proc/{pid}/status") as f:
                return next(int(l.split()[1]) for l in f if l.startswith("RssAnon:"))

        with h.Netns(), daemon_in_own_pid_namespace("--interval=200ms") as (pid, port, start):
            time.sleep(0.5)
            base, base_rss = anon_kib(pid), h.rss_kib(pid)
            pops = [start([h.POPGEN, "--established=0", "--close-wait=0", "--time-wait=0",
                           f"--unix={per}"]) for _ in range(6)]
            for p in pops:
                self.assertEqual(p.stdout.readline().strip(), "ready")

            def unix_sockets():
                s = h.parse(h.metrics_text(port))
                return sum(v for n, l, v in s if n == "socklife_sockets" and l["proto"] == "unix")
            deadline = time.monotonic() + 10
            while (unix := unix_sockets()) < 100000 and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertGreaterEqual(unix, 100000)
            time.sleep(0.5)  # a few passes at the peak
            peak = anon_kib(pid)
            for p in pops:
                p.stdin.close()
                p.wait()
            deadline = time.monotonic() + 4
            while (after := anon_kib(pid)) - base >= 0.15 * (peak - base) and \
                    time.monotonic() < deadline:
                time.sleep(0.25)
            print(f"\n{unix:.0f} UNIX sockets: RssAnon {base} -> {peak} -> {after} KiB "
                  f"(VmRSS {base_rss} -> {h.rss_kib(pid)} KiB)", flush=True)
            self.assertGreater(peak - base, 4096)  # the peak was real
            self.assertLess(after - base, 0.15 * (peak - base))

    def test_once_under_valgrind(self):
        valgrind = shutil.which("valgrind")
        if not valgrind:
            self.fail("valgrind is not installed (scripts/deps.sh installs it)")
        if h.SANITIZED:
            self.skipTest("the ASan build cannot run under valgrind; the plain build does")
        # valgrind does not know the bpf() syscall: netlink here, the bpf
        # source runs under ASan in the sanitized build.
        with h.Netns(), h.Population(established=3, close_wait=1, time_wait=1):
            r = subprocess.run([valgrind, "--error-exitcode=99", "--leak-check=full",
                                "--errors-for-leak-kinds=all", "--show-leak-kinds=all",
                                "--track-fds=yes", h.SOCKLIFE, "--once", "--socket-source=netlink"],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("ERROR SUMMARY: 0 errors", r.stderr)
            # Only stdin, stdout and stderr may be open at exit.
            m = re.search(r"FILE DESCRIPTORS: (\d+) open(?: \((\d+) std\))?", r.stderr)
            self.assertIsNotNone(m, r.stderr)
            self.assertEqual(int(m.group(1)), int(m.group(2) or 3), r.stderr)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
