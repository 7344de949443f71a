"""A FUSE file system that hangs on command, spoken raw over /dev/fuse.

It holds one file, a copy of a real executable.  Until armed it answers
like any file system, so a process can exec the file; armed, it answers
nothing more, the way a FUSE daemon or a network file system that has hung
does: whoever opens, stats or reads the file from then on waits in the
kernel, where no signal but a fatal one reaches it.  socklife meets such a
file when it reads a suspect's executable (/proc/PID/exe) to find its
language: a pass blocked there is the test of a bounded shutdown.

Leaving the block aborts the connection (every waiting request fails) and
detaches the mount."""
import ctypes
import errno
import os
import select
import struct
import threading
import time

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MS_NOSUID, MS_NODEV, MNT_DETACH = 2, 4, 2
# include/uapi/linux/fuse.h
IN_HEADER = struct.Struct("=IIQQIIII")  # len opcode unique nodeid uid gid pid padding
OUT_HEADER = struct.Struct("=IiQ")      # len error unique
ATTR = struct.Struct("=QQQQQQIIIIIIIIII")
LOOKUP, FORGET, GETATTR, OPEN, READ, RELEASE, FLUSH, INIT, INTERRUPT, DESTROY, BATCH_FORGET = \
    1, 2, 3, 14, 15, 18, 25, 26, 36, 38, 42
NO_REPLY = (FORGET, BATCH_FORGET, INTERRUPT, DESTROY)
ROOT, FILE = 1, 2


def available():
    return os.path.exists("/dev/fuse")


class HangFS:
    def __init__(self, where, source, name):
        self.where, self.name = where, name.encode()
        with open(source, "rb") as f:
            self.content = f.read()
        self.armed = False

    @property
    def path(self):
        return os.path.join(self.where, self.name.decode())

    def __enter__(self):
        os.makedirs(self.where, exist_ok=True)
        self.fd = os.open("/dev/fuse", os.O_RDWR | os.O_NONBLOCK)
        opts = f"fd={self.fd},rootmode=40000,user_id=0,group_id=0,allow_other".encode()
        if _libc.mount(b"hangfs", self.where.encode(), b"fuse", MS_NOSUID | MS_NODEV, opts):
            err = ctypes.get_errno()
            os.close(self.fd)
            os.rmdir(self.where)
            raise OSError(err, os.strerror(err))
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def arm(self):
        """From now on, read no request: each waits in the kernel, killable
        (a request the daemon had read and never answered would hold its
        caller even against SIGKILL, until the connection is aborted)."""
        self.armed = True

    def _attr(self, node):
        if node == ROOT:
            return ATTR.pack(ROOT, 0, 0, 0, 0, 0, 0, 0, 0, 0o40755, 2, 0, 0, 0, 4096, 0)
        size = len(self.content)
        return ATTR.pack(FILE, size, (size + 511) // 512, 0, 0, 0, 0, 0, 0, 0o100755, 1, 0, 0,
                         0, 4096, 0)

    def _answer(self, op, node, arg):
        """(errno, body) of a request."""
        if op == INIT:
            # 7.31, no flags: no readahead, max_write 4096
            return 0, struct.pack("=IIIIHHIIHHI7I", 7, 31, 0, 0, 0, 0, 4096, 1, 0, 0, 0,
                                  *[0] * 7)
        if op == LOOKUP:
            if node != ROOT or arg.rstrip(b"\0") != self.name:
                return errno.ENOENT, b""
            return 0, struct.pack("=QQQQII", FILE, 0, 3600, 3600, 0, 0) + self._attr(FILE)
        if op == GETATTR:
            return 0, struct.pack("=QII", 3600, 0, 0) + self._attr(node)
        if op == OPEN:
            return 0, struct.pack("=QII", 0, 0, 0)
        if op == READ:
            _, offset, size = struct.unpack_from("=QQI", arg)
            return 0, self.content[offset:offset + size]
        if op in (RELEASE, FLUSH):
            return 0, b""
        return errno.ENOSYS, b""

    def _serve(self):
        while not self.stop:
            if self.armed or not select.select([self.fd], [], [], 0.05)[0]:
                time.sleep(0.05)
                continue
            try:
                req = os.read(self.fd, (1 << 20) + 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            n, op, unique, node, _, _, _, _ = IN_HEADER.unpack_from(req)
            if op in NO_REPLY:
                continue
            err, body = self._answer(op, node, req[IN_HEADER.size:n])
            with_header = OUT_HEADER.pack(OUT_HEADER.size + len(body), -err, unique) + body
            try:
                os.write(self.fd, with_header)
            except OSError:
                pass

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()
        os.close(self.fd)  # aborts the connection: every waiting request fails
        _libc.umount2(self.where.encode(), MNT_DETACH)
        os.rmdir(self.where)
