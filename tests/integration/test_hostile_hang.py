"""A pass stuck in the kernel never keeps socklife from stopping.

The trap is real: a process whose executable lives on a FUSE file system
that has hung (hangfs.py), at 75% of its fd limit, so socklife suspects it
(fd_limit) and opens /proc/PID/exe to tell its language.  That open waits
for the file system for ever.  SIGTERM (SIGINT for top) must still end the
daemon, --once and top within the stop's grace (3 s), and while the pass
hangs /healthz must say so."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h
import hangfs

GRACE = 3.0
SUSPECT = ["--leak.fd-ratio=0.7", "--netns=host"]  # the trap holds 3 of 4 fds


def stuck_in_fuse(pid):
    """Is a thread of `pid` waiting for a FUSE answer?"""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return False
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/wchan") as f:
                if f.read() == "request_wait_answer":
                    return True
        except OSError:
            pass
    return False


def wait_for(what, seconds=15):
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Trap:
    """The hung file system and the process whose executable is on it."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="sl-hang-")
        self.fs = hangfs.HangFS(os.path.join(self.dir, "mnt"), shutil.which("sleep"), "sleeper")
        self.fs.__enter__()
        return self

    def spring(self):
        """Start the process, then hang the file system."""
        self.proc = subprocess.Popen(["prlimit", "--nofile=4:4", "--", self.fs.path, "600"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        assert wait_for(lambda: self._comm() == "sleeper", 10), "the trap did not start"
        self.fs.arm()

    def _comm(self):
        try:
            with open(f"/proc/{self.proc.pid}/comm") as f:
                return f.read().strip()
        except OSError:
            return None

    def __exit__(self, *exc):
        if hasattr(self, "proc"):
            self.proc.kill()
            self.proc.wait()
        self.fs.__exit__(*exc)  # aborts every waiting request
        os.rmdir(self.dir)


class StuckPass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not hangfs.available():
            raise unittest.SkipTest("no /dev/fuse")

    def stop_within_grace(self, proc, sig=signal.SIGTERM):
        """Send `sig` to a process stuck in a pass; (status, seconds)."""
        self.assertTrue(wait_for(lambda: stuck_in_fuse(proc.pid)), "the pass never got stuck")
        t0 = time.monotonic()
        proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=GRACE + 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self.fail(f"still running {GRACE + 10} s after {sig.name}")
        took = time.monotonic() - t0
        print(f"\n{sig.name} to exit: {took:.2f} s", flush=True)
        self.assertLess(took, GRACE + 2)
        return rc, took

    def test_daemon_stuck_in_its_first_pass(self):
        """Nothing served yet, SIGTERM: gone within the grace, status 0."""
        with h.Netns(), Trap() as trap, tempfile.TemporaryFile() as log:
            trap.spring()
            d = subprocess.Popen([h.SOCKLIFE, "--web.listen-address=127.0.0.1:0", *SUSPECT],
                                 stderr=log)
            rc, took = self.stop_within_grace(d)
            self.assertEqual(rc, 0)
            self.assertGreaterEqual(took, GRACE - 0.5)
            log.seek(0)
            self.assertIn("a pass is still running after 3 s", log.read().decode())

    def test_once_stuck(self):
        """--once prints nothing and says so with status 1."""
        with h.Netns(), Trap() as trap:
            trap.spring()
            p = subprocess.Popen([h.SOCKLIFE, "--once", *SUSPECT], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            rc, _ = self.stop_within_grace(p)
            self.assertEqual(rc, 1)
            self.assertEqual(p.stdout.read(), b"")
            p.stdout.close()

    def test_top_stuck(self):
        with h.Netns(), Trap() as trap:
            trap.spring()
            p = subprocess.Popen([h.SOCKLIFE, "top", *SUSPECT], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            rc, _ = self.stop_within_grace(p, signal.SIGINT)
            self.assertEqual(rc, 0)

    def test_daemon_stuck_later_says_so_and_stops(self):
        """Serving, a later pass hangs: /healthz turns 503 saying a pass has
        been running that long, and SIGTERM still ends it in time."""
        with h.Netns(), Trap() as trap, h.Daemon(*SUSPECT[:1]) as d:
            trap.spring()
            self.assertTrue(wait_for(lambda: stuck_in_fuse(d.proc.pid)))
            deadline = time.monotonic() + 15
            while True:
                status, _, body = d.get("/healthz")
                if status == 503:
                    break
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.25)
            self.assertRegex(body.decode(), r"^unhealthy: last good pass \d+ s ago \(stale after "
                                            r"5 s\); a pass has been running for \d+ s\n$")
            rc, _ = self.stop_within_grace(d.proc)
            d.returncode = rc
            self.assertEqual(rc, 0)
            self.assertIn("a pass is still running", d.read_log())


if __name__ == "__main__":
    h.require_root()
    unittest.main()
