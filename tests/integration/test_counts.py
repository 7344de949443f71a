"""Exact counts: a known population in a throwaway namespace, reported by
`socklife --once` and by the running daemon over HTTP (plain and gzip),
checked against what the population builder made and against `ss -tanp`."""
import unittest

import harness as h


class Counts(unittest.TestCase):
    def check_exact(self, samples, pop, ns, extra_listen=0):
        want_ns = pop.namespace_counts()
        want_ns["listen"] += extra_listen
        for state in h.TCP_STATES:
            self.assertEqual(h.count(samples, "socklife_sockets", netns=ns, proto="tcp",
                                     state=state), want_ns[state], f"namespace {state}")
        for group, states in pop.group_counts().items():
            for state in h.TCP_STATES:
                self.assertEqual(
                    h.count(samples, "socklife_process_sockets", process=group, container="",
                            proto="tcp", state=state),
                    states.get(state, 0), f"{group} {state}")
        # The series budget: the first pass shows what is not zero, no
        # standing zero, and nothing zero by construction.
        for labels, v in h.select(samples, "socklife_sockets", netns=ns):
            self.assertGreater(v, 0, labels)
        for labels, v in h.select(samples, "socklife_process_sockets"):
            self.assertNotIn(labels["state"] if labels["proto"] == "tcp" else "",
                             ("time_wait", "syn_recv", "close"), labels)
        # Every socket of the population has an owner or is the kernel's.
        self.assertEqual(h.value(samples, "socklife_unresolved_sockets", netns=ns,
                                 proto="tcp"), 0)

    def test_once_is_exact_and_agrees_with_ss(self):
        with h.Netns() as ns, h.Population(established=7, close_wait=4, time_wait=5) as pop:
            out = h.run_once().stdout.decode()
            samples = h.parse(out)
            self.check_exact(samples, pop, ns.name)

            ss_states, ss_groups = h.ss_tcp()
            for state in h.TCP_STATES:
                self.assertEqual(h.count(samples, "socklife_sockets", netns=ns.name,
                                         proto="tcp", state=state), ss_states[state], state)
            for group, states in ss_groups.items():
                for state in h.TCP_STATES:
                    self.assertEqual(
                        h.count(samples, "socklife_process_sockets", process=group,
                                container="", proto="tcp", state=state),
                        states[state], f"ss vs socklife: {group} {state}")

            # --metrics.all-states: every state, zeros included, but those
            # zero by construction (see the README).
            full = h.parse(h.run_once("--metrics.all-states").stdout.decode())
            self.assertEqual({l["state"] for l, _ in h.select(full, "socklife_sockets",
                                                               netns=ns.name, proto="tcp")},
                             set(h.TCP_STATES) - {"close"})
            self.assertEqual({l["state"] for l, _ in h.select(full, "socklife_process_sockets",
                                                               process="sl-client", proto="tcp")},
                             set(h.TCP_STATES) - {"close", "time_wait", "syn_recv"})
            # The worker shares the server's sockets: two members, counted once.
            self.assertEqual(len(h.select(samples, "socklife_process_open_fds",
                                          process="sl-server")), 1)
            h.promtool_check(out)

    def test_group_by_pid_counts_each_holder(self):
        with h.Netns(), h.Population(established=3, close_wait=1, time_wait=0):
            samples = h.parse(h.run_once("--group-by=pid").stdout.decode())
            servers = h.select(samples, "socklife_process_sockets", process="sl-server",
                               state="established")
            self.assertEqual(len(servers), 2)  # the server and its forked worker
            for labels, v in servers:
                self.assertEqual(v, 3)
                self.assertTrue(labels["pid"].isdigit())

    def test_daemon_serves_the_same_numbers_plain_and_gzip(self):
        # A long interval: the served data is the first pass, taken before the
        # HTTP server accepted anything, so only the daemon's own listening
        # socket adds to the population.
        with h.Netns() as ns, h.Population(established=4, close_wait=2, time_wait=3) as pop, \
                h.Daemon(interval="1h") as d:
            status, headers, _ = d.get("/metrics")
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], h.CONTENT_TYPE)
            self.assertIn("Accept-Encoding", headers.get("vary", ""))
            plain = h.metrics_text(d.port)
            zipped = h.metrics_text(d.port, gzipped=True)
            self.assertEqual(plain, zipped)
            samples = h.parse(plain)
            self.check_exact(samples, pop, ns.name, extra_listen=1)
            self.assertEqual(h.value(samples, "socklife_process_sockets", process="socklife",
                                     proto="tcp", state="listen"), 1)
            h.promtool_check(plain)

            once = h.run_once().stdout.decode()  # the daemon's listener is live now too
            self.check_exact(h.parse(once), pop, ns.name, extra_listen=1)
            groups = lambda t: [x for x in h.socket_part(t, skip_group="socklife")
                                if x[0] == "socklife_process_sockets"]
            self.assertEqual(groups(plain), groups(once))

            self.assertGreaterEqual(h.value(samples, "socklife_scans_total"), 1)
            version = h.select(samples, "socklife_build_info")[0][0]["version"]
            self.assertEqual(h.value(samples, "socklife_build_info", version=version), 1)
            self.assertGreater(h.value(samples, "process_resident_memory_bytes"), 0)

    def test_counts_follow_changes(self):
        """Sockets that come and go between passes show up and leave."""
        with h.Netns(), h.Daemon() as d:
            with h.Population(established=2, close_wait=6, time_wait=0):
                self.assertTrue(wait_for(d, "sl-cwait", 6))
            self.assertTrue(wait_for(d, "sl-cwait", None))


def wait_for(d, group, want, timeout=10):
    """Wait until `group` holds `want` CLOSE_WAIT sockets (None: is gone)."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = h.select(h.parse(h.metrics_text(d.port)), "socklife_process_sockets",
                         process=group, proto="tcp", state="close_wait")
        if (want is None and not found) or (found and found[0][1] == want):
            return True
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    h.require_root()
    unittest.main()
