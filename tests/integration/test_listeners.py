"""A listener whose process stopped calling accept(): its accept queue and
backlog as `ss -ltn` shows them (Recv-Q, Send-Q), and the namespace's
ListenOverflows rising, read through a process of the namespace."""
import subprocess
import time
import unittest

import harness as h


def ss_listener(port):
    """(Recv-Q, Send-Q) of the listener on `port`, from `ss -ltn`."""
    out = subprocess.run([h.tool("ss"), "-ltnH", f"sport = :{port}"], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out and out[0] == "LISTEN", out
    return int(out[1]), int(out[2])


def kernel_counter(name):
    """A TcpExt counter of the namespace this test runs in."""
    with open("/proc/self/net/netstat") as f:
        lines = f.read().splitlines()
    for header, values in zip(lines[::2], lines[1::2]):
        if header.startswith("TcpExt:"):
            return int(dict(zip(header.split()[1:], values.split()[1:]))[name])
    raise AssertionError("no TcpExt section")


class Listeners(unittest.TestCase):
    def test_saturated_listener_agrees_with_ss_and_overflows_rise(self):
        with h.Netns() as ns, h.Fleet() as f:
            f.start("listeners", count=2)  # listeners nobody waits on
            stalled = f.start("stalled", count=4)  # listen(fd, 4), never accept()
            quiet = h.parse(h.run_once().stdout.decode())
            overflows0 = h.value(quiet, "socklife_netns_tcp_listen_overflows_total",
                                 netns=ns.name)
            # Nothing ever waited: no listener series (the series budget).
            self.assertEqual(h.select(quiet, "socklife_listen_queue_length"), [])

            f.start("dialer", port=stalled.port, count=12)
            deadline = time.monotonic() + 10
            while ss_listener(stalled.port)[0] < 5:  # the queue holds backlog + 1
                self.assertLess(time.monotonic(), deadline, ss_listener(stalled.port))
                time.sleep(0.05)
            recv_q, send_q = ss_listener(stalled.port)
            kernel0 = kernel_counter("ListenOverflows")
            samples = h.parse(h.run_once().stdout.decode())
            kernel1 = kernel_counter("ListenOverflows")

            labels = dict(process="sl-stalled", container="", netns=ns.name,
                          port=str(stalled.port))
            self.assertEqual((recv_q, send_q), (5, 4))
            self.assertEqual(h.value(samples, "socklife_listen_queue_length", **labels), recv_q)
            self.assertEqual(h.value(samples, "socklife_listen_backlog", **labels), send_q)
            # The other listeners never queued anything: still no series.
            self.assertEqual(h.select(samples, "socklife_listen_queue_length",
                                      process="sl-listeners"), [])
            # The seven clients past the queue: their SYNs are dropped and
            # counted, and socklife reads the count the kernel keeps.
            overflows = h.value(samples, "socklife_netns_tcp_listen_overflows_total",
                                netns=ns.name)
            self.assertGreater(overflows, overflows0)
            self.assertLessEqual(kernel0, overflows)
            self.assertLessEqual(overflows, kernel1)
            self.assertGreaterEqual(h.value(samples, "socklife_netns_tcp_listen_drops_total",
                                            netns=ns.name), overflows)
            h.promtool_check(h.run_once().stdout.decode())


if __name__ == "__main__":
    h.require_root()
    unittest.main()
