"""Thousands of processes with distinct names (a fork bomb of short-lived
workers named by their job, or an attacker) cannot make series without
bound: past --max-groups the smallest groups are summed into
process="other",container="other", and a suspected leaker is never folded
away, however small."""
import time
import unittest

import harness as h

MANY = 3000
PER_PROCESS = 3  # UDP sockets of each sl-m<i>: more than the leaker holds


class ManyNames(unittest.TestCase):
    def test_distinct_names_are_folded_but_a_leaker_is_named(self):
        with h.Netns(), h.Population(established=2, close_wait=1, time_wait=0, many=MANY,
                                     many_sockets=PER_PROCESS), \
                h.Daemon("--leak.close-wait-age=1s", "--leak.close-wait-idle=0",
                         interval="1s") as d:
            deadline = time.monotonic() + 30
            while True:
                text = h.metrics_text(d.port)
                samples = h.parse(text)
                if h.select(samples, "socklife_leak_suspected", process="sl-cwait"):
                    break
                self.assertLess(time.monotonic(), deadline, "sl-cwait never suspected")
                time.sleep(0.5)
            h.promtool_check(text)
            groups = {(l["process"], l["container"]) for n, l, _ in samples
                      if n.startswith("socklife_process_") and "process" in l}
            kept = {p for p, _ in groups if p.startswith("sl-m")}
            folded = h.value(samples, "socklife_process_groups_folded")
            print(f"\n{len(text.splitlines())} lines, {len(samples)} samples, {len(text)} bytes; "
                  f"{len(groups)} groups reported, {folded:.0f} folded", flush=True)
            # 500 apart (--max-groups' default, the suspect among them) and "other"
            self.assertEqual(len(groups), 501)
            self.assertIn(("other", "other"), groups)
            self.assertGreaterEqual(folded, MANY - 500)
            self.assertLess(len(samples), 5000)
            # The leaker holds one socket, fewer than any sl-m<i>, yet is named,
            # its counts with it (served as the groups stand after the fold).
            self.assertEqual(h.value(samples, "socklife_process_sockets", process="sl-cwait",
                                     proto="tcp", state="close_wait"), 1)
            # What was folded is still counted, in "other".
            self.assertEqual(h.value(samples, "socklife_process_sockets", process="other",
                                     container="other", proto="udp", state="close"),
                             PER_PROCESS * (MANY - len(kept)))


if __name__ == "__main__":
    h.require_root()
    unittest.main()
