"""A namespace storm by an unprivileged user cannot make a pass unbounded.

Any user may create network namespaces (`unshare -Urn`); each with a TCP
socket costs a TCP dump, which walks every socket of the host.  Here user
nobody holds 300 namespaces with a listener each, beside 20,000 sockets of
our own, and socklife reads them over netlink within --netns.read-budget:
each pass reads the namespaces read longest ago until the budget is spent
and serves the rest from their last read, saying how old
(socklife_netns_data_age_seconds).  Every storm namespace is read in turn,
the served counts stay right, and nothing errs."""
import os
import subprocess
import time
import unittest

import harness as h

STORM = 300
BUDGET = 0.1


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


class Storm(unittest.TestCase):
    def test_a_namespace_storm_keeps_the_pass_bounded(self):
        probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "unshare", "-Urn", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest(f"unprivileged users may not make namespaces here: {probe.stderr}")
        with h.Netns(), h.Population(established=10000, close_wait=3, time_wait=0):
            storm = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534",
                                      "--clear-groups", h.FIXTURE, "--mode=nsstorm",
                                      f"--count={STORM}"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                self.assertEqual(storm.stdout.readline().strip(), "ready")
                labels = {f"ns-{os.stat(f'/proc/{c}/ns/net').st_ino}"
                          for c in children(storm.pid)}
                self.assertEqual(len(labels), STORM)
                self.storm_under(labels)
            finally:
                storm.kill()
                storm.wait()
                storm.stdout.close()
                storm.stdin.close()

    def storm_under(self, labels):
        with h.Daemon("--socket-source=netlink", f"--netns.read-budget={BUDGET}s",
                      interval="300ms", netns="all") as d:
            first = h.parse(h.metrics_text(d.port))
            first_total = h.value(first, "socklife_scan_duration_seconds", phase="total")
            scans0 = h.value(first, "socklife_scans_total")
            reread, cached, totals = set(), set(), []
            deadline = time.monotonic() + 90
            while (reread < labels or len(totals) < 10) and time.monotonic() < deadline:
                time.sleep(0.3)
                samples = h.parse(h.metrics_text(d.port))
                if h.value(samples, "socklife_scans_total") == scans0:
                    continue
                listeners = {l["netns"]: v for l, v in
                             h.select(samples, "socklife_sockets", proto="tcp", state="listen")}
                aged = {l["netns"] for l, _ in h.select(samples, "socklife_netns_data_age_seconds")}
                # Every storm namespace is served every pass, read now or before.
                self.assertEqual({ns: listeners.get(ns) for ns in labels},
                                 dict.fromkeys(labels, 1))
                reread |= labels - aged
                cached |= labels & aged
                totals.append(h.value(samples, "socklife_scan_duration_seconds", phase="total"))
                self.assertEqual(sum(v for _, v in h.select(samples, "socklife_scan_errors_total")),
                                 0)
            print(f"first pass (every namespace) {first_total:.3f} s; then {len(totals)} passes "
                  f"of at most {max(totals):.3f} s; {len(cached)} of {STORM} storm namespaces "
                  f"were served from an earlier read at some pass, {len(reread)} read again")
            self.assertTrue(cached, "the budget never held a namespace back: not exercised")
            self.assertEqual(reread, labels, "storm namespaces never read again: no rotation")
            # Past the first pass each stops at the budget, plus the read that
            # crossed it and our own namespace's 20,000 sockets.
            self.assertLess(max(totals), BUDGET + 2.0)
            self.assertEqual(d.get("/healthz")[0], 200)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
