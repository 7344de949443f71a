"""The metric contract holds together: every family socklife exposes is in
dashboards/metrics.txt (which the dashboards, the rules and their lint are
checked against) and in the README's metric reference, and every name in
the contract is one socklife exposes."""
import os
import re
import unittest

import harness as h

ROOT = os.path.join(h.HERE, "..", "..")


def contract():
    with open(os.path.join(ROOT, "dashboards", "metrics.txt")) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


class Contract(unittest.TestCase):
    def test_exposition_contract_and_readme_agree(self):
        with h.Netns(), h.Population(established=1, close_wait=1, time_wait=1, udp=1, unix=1):
            once = h.run_once().stdout.decode()
            with h.Daemon() as d:
                served = h.metrics_text(d.port)
        exposed = set(re.findall(r"(?m)^# TYPE (\S+) ", served))
        # Kernel-wide orphan figures and net.ipv4.tcp_mem are only readable
        # from the host's namespace (this test runs in a throwaway one);
        # they are in the contract all the same.
        conditional = {"socklife_tcp_orphans", "socklife_tcp_max_orphans",
                       "socklife_tcp_memory_limit_pages"}
        names = contract()
        # --once serves nothing: the same families but the server's.
        once_exposed = set(re.findall(r"(?m)^# TYPE (\S+) ", once))
        self.assertEqual(once_exposed, {n for n in exposed if not n.startswith("socklife_http_")})
        self.assertEqual(exposed - names, set(), "exposed but not in dashboards/metrics.txt")
        self.assertEqual(names - exposed - conditional, set(),
                         "in dashboards/metrics.txt but not exposed")
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        undocumented = {n for n in names if f"`{n}`" not in readme}
        self.assertEqual(undocumented, set(), "not in the README's metric reference")


if __name__ == "__main__":
    h.require_root()
    unittest.main()
