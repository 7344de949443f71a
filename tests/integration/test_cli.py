"""The command line as an operator meets it: help, version, bad flags, a port
already in use, clean stops on SIGTERM and SIGINT, an unreadable proc root."""
import signal
import socket
import subprocess
import unittest

import harness as h


def run(*args):
    return subprocess.run([h.SOCKLIFE, *args], capture_output=True, text=True, timeout=30)


class Cli(unittest.TestCase):
    def test_help_and_version(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ("--web.listen-address", "--listen", "--interval", "--group-by", "--once",
                     "--proc-root", "--version"):
            self.assertIn(flag, r.stdout)
        self.assertTrue(all(len(line) <= 80 for line in r.stdout.splitlines()))
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^socklife \d+\.\d+\.\d+ \(revision \S+\)\n$")

    def test_bad_flags_exit_2_with_one_line(self):
        for args in (["--bogus"], ["--interval", "soon"], ["--group-by", "cgroup"],
                     ["--listen", "nonsense"], ["stray"], ["--interval"]):
            r = run(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, "")
            self.assertEqual(len(r.stderr.splitlines()), 1, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("socklife: "), r.stderr)

    def test_port_in_use_exits_1_saying_so(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            r = run(f"--listen=127.0.0.1:{port}")
            self.assertEqual(r.returncode, 1)
            self.assertIn("address already in use", r.stderr)

    def test_sigterm_and_sigint_stop_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with h.Daemon(interval="50ms") as d:
                self.assertEqual(d.get("/healthz")[0], 200)
                self.assertEqual(d.stop(sig), 0, d.stderr)
                self.assertIn("stopping", d.stderr)

    def test_unreadable_proc_root_fails_the_pass_not_the_process(self):
        r = run("--once", "--proc-root=/nonexistent/proc")
        self.assertEqual(r.returncode, 1)
        self.assertIn("pass failed", r.stderr)
        # The exposition still says what went wrong.
        samples = h.parse(r.stdout)
        self.assertEqual(h.value(samples, "socklife_scan_errors_total", stage="proc"), 1)
        self.assertEqual(h.value(samples, "socklife_last_scan_timestamp_seconds"), 0)
        self.assertEqual(h.select(samples, "socklife_sockets"), [])

    def test_ipv6_listen_address(self):
        with h.Daemon(interval="1s", host="::1") as d:
            self.assertEqual(d.get("/healthz")[0], 200)


if __name__ == "__main__":
    unittest.main()
