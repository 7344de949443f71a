"""Processes that name themselves with quotes, backslashes, newlines and bytes
that are not UTF-8 still yield a valid exposition and a safe page."""
import unittest

import harness as h


class HostileNames(unittest.TestCase):
    def test_exposition_stays_valid(self):
        with h.Netns() as ns, h.Population(established=1, close_wait=1, time_wait=0,
                                           hostile=True) as pop, h.Daemon(interval="1h") as d:
            for text in (h.run_once().stdout.decode("utf-8"), h.metrics_text(d.port),
                         h.metrics_text(d.port, gzipped=True)):
                h.promtool_check(text)
                samples = h.parse(text)
                for name in h.HOSTILE_NAMES:
                    self.assertEqual(h.value(samples, "socklife_process_sockets", process=name,
                                             proto="tcp", state="listen"), 1, repr(name))
                self.assertEqual(h.value(samples, "socklife_sockets", netns=ns.name,
                                         proto="tcp", state="listen"),
                                 pop.namespace_counts()["listen"] + (text.count(
                                     'process="socklife",container="",proto="tcp",'
                                     'state="listen"} 1')))
            page = d.get("/")[2].decode("utf-8")
            self.assertIn("q&quot;uote", page)
            self.assertNotIn('q"uote', page)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
