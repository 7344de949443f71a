"""Processes that name themselves with quotes, backslashes, newlines, control
characters and bytes that are not UTF-8 still yield a valid exposition with
no two series sharing labels, a safe page and a safe terminal; a namespace
named "host" in /run/netns does not pass for the host's."""
import collections
import os
import pty
import select
import signal
import subprocess
import time
import unittest

import harness as h

# All show as "dup\ufffd": bytes that are not UTF-8, ESC, DEL, a C1 control.
COLLIDING = [b"dup\xff", b"dup\xfe", b"dup\x1b", b"dup\x7f", b"dup\xc2\x9b"]
# Names that would move a terminal's cursor or hide in a legend, as shown.
CONTROL = {b"esc\x1b[31mred": "esc\ufffd[31mred", b"tab\tx": "tab\ufffdx",
           b"bell\x07": "bell\ufffd", b"c1\xc2\x9bx": "c1\ufffdx"}


def duplicates(text):
    """Label sets served more than once (Prometheus would keep one)."""
    seen = collections.Counter((n, tuple(sorted(l.items()))) for n, l, _ in h.parse(text))
    return [k for k, c in seen.items() if c > 1]


def controls(data):
    """Control characters in bytes that should hold none but line ends."""
    text = data.decode("utf-8")
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]


def top_in_a_terminal(seconds=1.5):
    """What `socklife top --watch` writes to a terminal (ncurses)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.execv(h.SOCKLIFE, [h.SOCKLIFE, "top", "--netns=host", "--watch=1s"])
    out, end = b"", time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
        os.write(fd, b"q")
        end = time.monotonic() + 5
        while time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return out


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

    def test_names_that_show_alike_are_one_series(self):
        """Five processes whose names differ only in bytes that show as
        U+FFFD are one group: one series per state, holding all five
        sockets; control characters reach no label, page or terminal."""
        names = COLLIDING + list(CONTROL)
        with h.Netns(), h.Population(established=0, close_wait=0, time_wait=0,
                                     names=names), h.Daemon(interval="1h") as d:
            once = h.run_once().stdout
            top = subprocess.run([h.SOCKLIFE, "top", "--netns=host"], capture_output=True,
                                 timeout=60).stdout
            for text in (once.decode("utf-8"), h.metrics_text(d.port),
                         h.metrics_text(d.port, gzipped=True)):
                h.promtool_check(text)
                self.assertEqual(duplicates(text), [])
                self.assertEqual(controls(text.encode()), [])
                samples = h.parse(text)
                self.assertEqual(h.value(samples, "socklife_process_sockets", process="dup\ufffd",
                                         proto="tcp", state="listen"), len(COLLIDING))
                for shown in CONTROL.values():
                    self.assertEqual(h.value(samples, "socklife_process_sockets", process=shown,
                                             proto="tcp", state="listen"), 1, repr(shown))
            self.assertEqual(controls(d.get("/")[2]), [])
            self.assertIn(b"esc?[31mred", top)
            self.assertTrue(all(0x20 <= b < 0x7f or b == 0x0a for b in top), top)
            screen = top_in_a_terminal()
            self.assertIn(b"esc?[31mred", screen)
            for raw in names:
                self.assertNotIn(raw, screen)
            self.assertNotIn(b"\x07", screen)

    def test_a_namespace_named_host_is_not_the_host(self):
        """`ip netns add host` makes a namespace that is not PID 1's: it is
        called ns-<inode>, and netns="host" stays the real one's, once."""
        if os.path.exists("/run/netns/host"):
            self.skipTest("/run/netns/host exists already: not ours to remove")
        subprocess.run(["ip", "netns", "add", "host"], check=True)
        try:
            ino = os.stat("/run/netns/host").st_ino
            with h.Daemon("--metrics.netns-scan", interval="1h", netns="all") as d:
                text = h.metrics_text(d.port)
                self.assertEqual(duplicates(text), [])
                samples = h.parse(text)
                self.assertEqual(h.value(samples, "socklife_netns_scan_mode", netns="host"), 1)
                self.assertEqual(h.value(samples, "socklife_netns_scan_mode",
                                         netns=f"ns-{ino}"), 1)
                h.value(samples, "socklife_sockets", netns="host", proto="tcp", state="listen")
        finally:
            subprocess.run(["ip", "netns", "del", "host"], check=False)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
