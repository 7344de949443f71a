"""Out of file descriptors: the daemon raises its soft limit to the hard one,
keeps HTTP connections from eating the fds a pass needs, and when a pass
still runs out it fails loudly (counted, logged once, /healthz says why,
the last good counts kept): never 0 processes served as a good pass."""
import time
import unittest

import harness as h
import hostile


def limited(limit, *args, interval="200ms"):
    """A daemon started under `prlimit --nofile=limit`."""
    d = h.Daemon(*args, interval=interval)
    d.args = ["prlimit", f"--nofile={limit}", "--"] + d.args
    return d


def retried(fn, *args):
    """At such a limit the daemon serves one connection, and the last one
    may not be closed yet when the next arrives: it is refused (reset)."""
    for _ in range(40):
        try:
            return fn(*args)
        except (ConnectionError, OSError):
            time.sleep(0.05)
    return fn(*args)


def status_families(text):
    s = h.parse(text)
    errors = sum(v for n, _, v in s if n == "socklife_scan_errors_total")
    last = h.value(s, "socklife_last_scan_timestamp_seconds")
    procs = [v for n, _, v in s if n == "socklife_scan_processes"]
    return errors, last, procs


class OutOfFds(unittest.TestCase):
    def test_soft_limit_raised_to_the_hard_one(self):
        with limited("64:4096") as d:
            s = h.parse(h.metrics_text(d.port))
            self.assertEqual(h.value(s, "process_max_fds"), 4096)
            self.assertIn("fd limit raised from 64 to the hard limit, 4096", d.read_log())

    def test_connections_leave_a_pass_its_fds(self):
        """1,000 connections allowed, a limit of 256: the daemon serves
        fewer (and says so) rather than let a flood of idle connections
        starve its passes."""
        hostile.raise_fd_limit()
        with limited(256, "--web.max-connections=1000", "--web.max-connections-per-ip=1000",
                     "--web.reserved-connections=16") as d:
            self.assertEqual(d.get("/healthz")[0], 200)  # a known client from now on
            with hostile.Flood(d.port, ["127.0.0.1"], per_source=400) as flood:
                time.sleep(1.5)  # a handful of passes under the flood
                errors, first, procs = status_families(h.metrics_text(d.port))
                time.sleep(0.5)
                text = h.metrics_text(d.port)
                self.assertEqual(flood.errors, [])
            errors, last, procs = status_families(text)
            s = h.parse(text)
            self.assertEqual(errors, 0, d.read_log()[-2000:])
            self.assertGreater(last, first)
            self.assertGreater(procs[0], 0)
            self.assertEqual(h.value(s, "socklife_http_accept_errors_total"), 0)
            self.assertGreater(sum(v for n, _, v in s
                                   if n == "socklife_http_connections_refused_total"), 0)
            self.assertRegex(d.read_log(), r"--web.max-connections 1000 lowered to \d+")

    def test_a_pass_out_of_fds_fails_loudly(self):
        """A limit so low that a pass runs out once the server holds its
        fds: the first pass was good, the next ones fail at stage proc with
        EMFILE; every scrape keeps the last good counts, /healthz turns 503
        and says why, the log says it once."""
        seen_why = None
        for limit in (10, 11, 12, 9):
            with limited(limit) as d:
                deadline = time.monotonic() + 8
                while time.monotonic() < deadline and not seen_why:
                    status, _, body = retried(d.get, "/healthz")
                    errors, last, procs = status_families(retried(h.metrics_text, d.port))
                    # never 0 processes served as a good pass
                    self.assertTrue(procs == [] or procs[0] > 0, procs)
                    self.assertTrue(last > 0 or procs == [])
                    if status == 503:
                        self.assertGreater(errors, 0)
                        seen_why = body.decode()
                    time.sleep(0.25)
                log = d.read_log()
            if seen_why:
                break
        self.assertIsNotNone(seen_why, "no limit made a pass run out of fds")
        self.assertRegex(seen_why, r"^unhealthy: (no good pass yet|last good pass \d+ s ago "
                                   r"\(stale after 5 s\)); the last pass failed at stage proc: "
                                   r"Too many open files")
        self.assertEqual(log.count("pass failed"), 1, log)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
