"""A population with every kind of socket the two socket sources must agree
on, for test_sources.py.  Run as

    python3 sourcepop.py ROLE [ARG]

in the namespace it is to fill; it prints "ready {json}" once everything
is in place and holds until stdin closes.  Roles:

  tcp      every TCP state a namespace can hold: listeners, ESTABLISHED
           pairs, CLOSE_WAIT with the peer's EOF unread (rqueue 1) and
           read (rqueue 0), non-orphan FIN_WAIT2, an orphan in FIN_WAIT1
           (closed with unsent data towards a peer that stopped reading),
           an orphaned FIN_WAIT2 minisock, TIME_WAIT, and SYN_RECV request
           socks (TCP_DEFER_ACCEPT keeps them until data comes)
  quiet    no TIME_WAIT and nothing orphaned: listeners (one with request
           socks), pairs, CLOSE_WAIT, UDP and UNIX; a namespace the bpf
           walk answers for alone
  share    sockets with several holders: inherited over fork(), passed
           with SCM_RIGHTS
  nsmix    sockets made in other namespaces (ARG: their /run/netns names)
           by a process living here
  inflight a pair, and a listener no fd holds: sent over SCM_RIGHTS and
           never received, its own fd closed (the kernel counts it; the
           bpf walk cannot see it, a dump of listeners alone finds it)

Every process names itself (prctl) after its role, so its groups are its
own among the tests running next door."""
import ctypes
import json
import os
import signal
import socket
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME, PR_SET_PDEATHSIG = 15, 1
TCP_DEFER_ACCEPT = 9
keep = []


def name(comm):
    libc.prctl(PR_SET_NAME, comm.encode(), 0, 0, 0)


def state(s):
    return socket.socket.getsockopt(s, socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def wait_state(s, want, seconds=5):
    deadline = time.monotonic() + seconds
    while state(s) != want:
        if time.monotonic() > deadline:
            raise SystemExit(f"sourcepop: state {want} never reached (at {state(s)})")
        time.sleep(0.005)


def pair(listener):
    c = socket.create_connection(listener.getsockname()[:2])
    a, _ = listener.accept()
    keep.extend((c, a))
    return c, a


def listener(host="127.0.0.1", family=socket.AF_INET, backlog=16):
    l = socket.socket(family)
    l.bind((host, 0))
    l.listen(backlog)
    keep.append(l)
    return l


def request_socks(n):
    """A listener holding n request socks: TCP_DEFER_ACCEPT keeps a
    connection whose client sent nothing in SYN_RECV (a request sock, no
    fd) for the deferral, here far longer than the test."""
    l = socket.socket()
    l.setsockopt(socket.IPPROTO_TCP, TCP_DEFER_ACCEPT, 600)
    l.bind(("127.0.0.1", 0))
    l.listen(16)
    keep.append(l)
    for _ in range(n):
        keep.append(socket.create_connection(l.getsockname()))
    return l


def close_waits(l, unread, read, orphan_peer):
    """CLOSE_WAIT with the EOF unread (rqueue 1) and read (rqueue 0).  The
    peer closes (an orphan, then a FIN_WAIT2 minisock) or only shuts down
    its side (FIN_WAIT2, still held)."""
    for i in range(unread + read):
        c, a = pair(l)
        if orphan_peer:
            a.close()
        else:
            a.shutdown(socket.SHUT_WR)
        wait_state(c, 8)  # CLOSE_WAIT
        if i >= unread:
            assert c.recv(1) == b""


def fin_wait2(l, n):
    """Non-orphan FIN_WAIT2: shut down our side, the peer never closes."""
    for _ in range(n):
        c, a = pair(l)
        c.shutdown(socket.SHUT_WR)
        wait_state(c, 5)  # FIN_WAIT2
        keep.append(a)


def udp_and_unix():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v.bind(("::1", 0))
    v.connect(("::1", 9))
    x, y = socket.socketpair()
    gone, dead = socket.socketpair()
    dead.close()
    keep.extend((u, v, x, y, gone, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)))


def tcp():
    l = listener()
    l6 = listener("::1", socket.AF_INET6)
    for _ in range(3):
        pair(l)
    pair(l6)
    close_waits(l, unread=2, read=1, orphan_peer=True)
    fin_wait2(l, 2)
    # TIME_WAIT: we close first, the peer closes too.
    for _ in range(3):
        c, a = pair(l)
        c.close()
        a.close()
    # An orphaned FIN_WAIT2 minisock: we close, the peer never does.
    c, a = pair(l)
    c.close()
    # An orphan in FIN_WAIT1: unsent data towards a peer whose window is shut.
    small = socket.socket()
    small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    small.bind(("127.0.0.1", 0))
    small.listen(1)
    keep.append(small)
    c = socket.create_connection(small.getsockname())
    a, _ = small.accept()
    keep.append(a)  # never reads
    c.setblocking(False)
    try:
        while True:
            c.send(b"x" * 65536)
    except BlockingIOError:
        pass
    c.close()
    request_socks(2)
    udp_and_unix()


def quiet():
    l = listener()
    for _ in range(2):
        pair(l)
    close_waits(l, unread=1, read=1, orphan_peer=False)
    request_socks(3)
    udp_and_unix()


def share():
    l = listener()
    c, a = pair(l)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    keep.append(u)
    chan_p, chan_c = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # a child holding what it inherited, and an fd passed to it
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        name("slsrc-child")
        chan_p.close()
        _, fds, _, _ = socket.recv_fds(chan_c, 1, 1)
        keep.append(socket.socket(fileno=fds[0]))
        os.write(chan_c.fileno(), b"k")
        while True:
            signal.pause()
    chan_c.close()
    passed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    passed.bind(("127.0.0.1", 0))
    socket.send_fds(chan_p, [b"x"], [passed.fileno()])
    assert chan_p.recv(1) == b"k"
    keep.extend((chan_p, passed))
    return {"child": pid}


def inflight():
    l = listener()
    pair(l)
    gone = socket.socket()
    gone.bind(("127.0.0.1", 0))
    gone.listen(4)
    chan_a, chan_b = socket.socketpair()
    keep.extend((chan_a, chan_b))
    socket.send_fds(chan_a, [b"x"], [gone.fileno()])
    gone.close()  # in flight only, till chan_b is closed


def nsmix(others):
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    for other in others:
        fd = os.open(f"/run/netns/{other}", os.O_RDONLY)
        assert libc.setns(fd, 0x40000000) == 0  # CLONE_NEWNET
        os.close(fd)
        l = listener()
        pair(l)
        assert libc.setns(home, 0x40000000) == 0


def main():
    role = sys.argv[1]
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    name(f"slsrc-{role}")
    extra = {"tcp": tcp, "quiet": quiet, "share": share,
             "inflight": inflight}.get(role, lambda: None)() or {}
    if role == "nsmix":
        nsmix(sys.argv[2].split(","))
    print("ready " + json.dumps({"pid": os.getpid(), **extra}), flush=True)
    for _ in sys.stdin:
        pass


if __name__ == "__main__":
    main()
