"""`socklife --once` against a fixed population, compared with a golden file.

sl-popgen builds the same sockets every time (established, CLOSE_WAIT,
FIN_WAIT2, TIME_WAIT, UDP, UNIX with a gone peer, hostile names) in a
throwaway namespace.  What `--once` prints about them is compared line for
line with tests/integration/golden/once-population.prom after taking out
what differs from run to run: the namespace's name, ephemeral ports, pids,
durations, timestamps, socklife's own figures and other processes of the
host.  SOCKLIFE_GOLDEN_UPDATE=1 rewrites the file (only for a change of
behaviour that the commit names)."""
import os
import re
import unittest

import harness as h

GOLDEN = os.path.join(h.HERE, "golden", "once-population.prom")
# Families whose value depends on the clock, the host or the test runner.
VOLATILE = ("socklife_scan_", "socklife_last_scan", "socklife_build_info", "process_",
            "socklife_capability", "socklife_process_close_wait_oldest_seconds",
            "socklife_process_fd_usage_ratio", "socklife_tcp_orphans",
            "socklife_tcp_max_orphans", "socklife_sockets_skipped_total",
            "socklife_history_overflow_total", "socklife_tcp_max_tw_buckets",
            "socklife_netns_tcp_", "socklife_tcp_memory_",
            # bytes of skb overhead differ from kernel to kernel
            "socklife_process_socket_memory_bytes")


def stable(text, ns):
    keep = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name = line.split("{")[0].split(" ")[0]
        if name.startswith(VOLATILE) or name == "socklife_container_info":
            continue  # the population has no container: these are tests next door
        if 'process="' in line and 'process="sl-' not in line and \
                not any(f'process="{n}' in line for n in ('q\\"', "back", "new", "bad")):
            continue  # the test runner, socklife itself
        line = line.replace(f'netns="{ns}"', 'netns="NS"')
        line = re.sub(r'port="\d+"', 'port="P"', line)
        line = re.sub(r'pid="\d+"', 'pid="N"', line)
        keep.append(line)
    return "\n".join(keep) + "\n"


class GoldenOnce(unittest.TestCase):
    def test_population_matches_the_golden_file(self):
        """Both socket sources print the golden file (the namespace holds
        TIME_WAIT, so the bpf source says it dumped TCP there)."""
        with h.Netns() as ns, h.Population(established=3, close_wait=2, time_wait=2, udp=2,
                                           unix=2, hostile=True):
            got = stable(h.run_once("--socket-source=netlink").stdout.decode(), ns.name)
            walked = h.run_once("--socket-source=auto")
        if b"socket source: bpf" in walked.stderr:
            # A first pass of the bpf source counts TIME_WAIT without its
            # breakdown by port (that comes with a daemon's second pass).
            counted = "".join(l + "\n" for l in got.splitlines()
                              if not l.startswith("socklife_time_wait_sockets{"))
            self.assertEqual(stable(walked.stdout.decode(), ns.name).replace(
                'mode="bpf_sock_diag"', 'mode="sock_diag"').replace(
                'source="bpf"', 'source="netlink"'), counted)
        if os.environ.get("SOCKLIFE_GOLDEN_UPDATE") == "1":
            with open(GOLDEN, "w") as f:
                f.write(got)
        with open(GOLDEN) as f:
            want = f.read()
        self.assertEqual(got, want)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
