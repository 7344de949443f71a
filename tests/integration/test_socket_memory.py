"""A process hoarding socket memory (full receive queues it never reads,
full send queues its peer never reads) is the top group by socket memory,
with the numbers `ss -tm` shows; a healthy connection pool holds next to
nothing; the node's TCP memory is served."""
import re
import subprocess
import unittest

import harness as h

_USER = re.compile(r'users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)')


def ss_memory(pid):
    """Sum of skmem r (receive) and w (send queue) over the TCP sockets of `pid`."""
    out = subprocess.run([h.tool("ss"), "-tmpnH"], capture_output=True, text=True,
                         check=True).stdout
    # Each socket's skmem follows its own line, indented.
    r = w = 0
    owner = None
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            m = _USER.search(line)
            owner = int(m.group(2)) if m else None
            continue
        m = re.search(r"skmem:\(r(\d+),.*?,w(\d+),", line)
        if m and owner == pid:
            r += int(m.group(1))
            w += int(m.group(2))
    return r, w


class SocketMemory(unittest.TestCase):
    def test_hoarder_is_the_top_group(self):
        with h.Netns(), h.Fleet() as f:
            echo = f.start("echo")
            f.start("pool", port=echo.port, count=8)
            hoard = f.start("hoard", count=4)
            want_r, want_w = ss_memory(hoard.pid)
            samples = h.parse(h.run_once().stdout.decode())
            self.assertEqual(ss_memory(hoard.pid), (want_r, want_w), "its queues moved")

            mem = {}
            for labels, v in h.select(samples, "socklife_process_socket_memory_bytes"):
                mem.setdefault(labels["direction"], {})[labels["process"]] = v
            receive, send = mem.get("receive", {}), mem.get("send", {})
            print(f"receive {receive}\nsend {send}")
            self.assertEqual(max(receive, key=receive.get), "sl-hoard")
            self.assertEqual(max(send, key=send.get), "sl-hoard")
            self.assertEqual((receive["sl-hoard"], send["sl-hoard"]), (want_r, want_w))
            self.assertGreater(receive["sl-hoard"], 4 * 65536)  # four full receive queues
            # The pool's idle connections hold nothing: no series, or 0.
            self.assertLess(receive.get("sl-pool", 0), 65536)
            # Kernel-wide TCP memory, in pages; its limit (net.ipv4.tcp_mem)
            # is only visible from the host's namespace, not this one.
            self.assertGreater(h.value(samples, "socklife_tcp_memory_pages"), 0)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
