"""No fd or memory leaks: many passes and scrapes leave the daemon's fd count
and resident memory where they were; one pass under valgrind is clean."""
import os
import re
import shutil
import subprocess
import time
import unittest

import harness as h


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
