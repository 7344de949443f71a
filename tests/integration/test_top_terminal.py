"""`socklife top --watch` in a real terminal (tmux): ncurses draws a frame
that fits the window, keeps the header and the worst suspect on screen
and says how many processes did not fit, widens to namespace columns when
the window grows, and quits on `q`."""
import os
import shutil
import subprocess
import time
import unittest
import uuid

import harness as h


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


class Terminal(unittest.TestCase):
    def setUp(self):
        if not shutil.which("tmux"):
            self.fail("tmux is not installed (scripts/deps.sh --test installs it)")
        self.session = f"sltop-{os.getpid()}-{uuid.uuid4().hex[:4]}"

    def tearDown(self):
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)

    def screen(self):
        return tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, what, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = self.screen()
            if what in text:
                return text
            time.sleep(0.2)
        self.fail(f"{what!r} never on screen:\n{self.screen()}")

    def test_watch_fits_resizes_and_quits(self):
        with h.Netns(), h.Fleet() as f:
            peer = f.start("peer")
            f.start("leak-read", port=peer.port, every=50)
            for _ in range(12):  # more processes than 20 lines can show
                f.start("listeners", count=1)
            cmd = (f"{h.SOCKLIFE} top --watch=1s --netns=host --leak.close-wait-age=1s "
                   f"--leak.close-wait-idle=0; echo exited $?; sleep 60")
            tmux("new-session", "-d", "-s", self.session, "-x", "80", "-y", "20", cmd)
            text = self.wait_for("close_wait_stale")
            lines = text.rstrip("\n").split("\n")
            self.assertLessEqual(len(lines), 20)
            self.assertTrue(lines[0].startswith("socklife top"), lines[0])
            self.assertIn("sl-leak-read", text)
            self.assertIn("more processes", text)
            self.assertTrue(all(len(l) <= 80 for l in lines))
            self.assertNotIn("NETNS", text)

            # A bigger window: the frame follows it, with the namespace column.
            tmux("resize-window", "-t", self.session, "-x", "150", "-y", "45")
            text = self.wait_for("NETNS", seconds=10)
            self.assertIn("sl-leak-read", text)

            tmux("send-keys", "-t", self.session, "q")
            text = self.wait_for("exited 0", seconds=10)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
