"""Malformed and oversized requests: garbage, no request line, huge headers,
a 100 KB URL, unknown methods, HTTP/0.9 and 9.9, header injection, bodies,
smuggling, a request trickled byte by byte, one that stops midway: each
gets a clear HTTP error (or its answer) or a closed connection within
--web.timeout (and the header deadline), and the daemon stays healthy and
exits 0."""
import os
import threading
import time
import unittest

import harness as h
from hostile import PARTIAL, check_stopped_cleanly, exchange, response_headers, statuses


REQ = b"GET /metrics HTTP/1.1\r\nHost: socklife\r\n"
# A request hidden in a body: answered (404), it would have been smuggled.
INNER = b"GET /nope HTTP/1.1\r\nHost: socklife\r\n\r\n"
# name, what to send, what is acceptable as the first response's status
# (None: the connection closed without an answer), how many responses
MALFORMED = [
    ("garbage", [b"GARBAGE\r\n\r\n"], {None, 400}, None),
    ("binary", [b"\x00\xff\xfe\xfd\x80\r\n\r\n"], {None, 400}, None),
    ("a TLS ClientHello", [bytes.fromhex("16030100a5010000a10303") + os.urandom(160)],
     {None, 400}, None),
    ("only empty lines", [b"\r\n" * 100], {None, 400}, None),
    ("no request line", [b"Host: socklife\r\nAccept: */*\r\n\r\n"], {400}, 1),
    ("method only", [b"GET\r\n\r\n"], {None, 400}, None),
    ("HTTP/0.9", [b"GET /metrics\r\n\r\n"], {None, 400}, None),
    ("HTTP/9.9", [b"GET /metrics HTTP/9.9\r\nHost: socklife\r\n\r\n"], {505, 400}, 1),
    ("HTTP/2 preface", [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"], {505, 400}, 1),
    ("PROPFIND", [b"PROPFIND /metrics HTTP/1.1\r\nHost: socklife\r\nDepth: 1\r\n\r\n"],
     {405}, 1),
    ("BREW", [b"BREW /pot-0 HTTP/1.1\r\nHost: socklife\r\n\r\n"], {405}, 1),
    ("lowercase get", [b"get /metrics HTTP/1.1\r\nHost: socklife\r\n\r\n"], {405}, 1),
    ("TRACE", [b"TRACE /metrics HTTP/1.1\r\nHost: socklife\r\n\r\n"], {405}, 1),
    ("CONNECT", [b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"],
     {405, 400}, 1),
    ("a 100 KB URL", [b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: socklife\r\n\r\n"],
     {414}, 1),
    ("a 100 KB query", [b"GET /metrics?" + b"x=1&" * 25000 + b" HTTP/1.1\r\n\r\n"], {414}, 1),
    ("a 40 KB header", [REQ + b"X-Big: " + b"b" * 40000 + b"\r\n\r\n"], {431, 413}, 1),
    ("5,000 headers", [REQ + b"".join(b"X-%d: y\r\n" % i for i in range(5000)) + b"\r\n"],
     {431, 413}, 1),
    ("a header without colon", [REQ + b"NoColonHere\r\n\r\n"], {400}, 1),
    ("space in the URL", [b"GET /met rics HTTP/1.1\r\nHost: socklife\r\n\r\n"], {None, 404, 400},
     None),
    ("an absolute URL", [b"GET http://evil.example/metrics HTTP/1.1\r\nHost: x\r\n\r\n"],
     {404, 400}, 1),
    ("path traversal", [b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"],
     {404, 400}, 1),
    # Header injection: nothing of the request may come back as a header.
    ("CRLF in the URL", [b"GET /x%0d%0aSet-Cookie:%20a=1%0d%0aX-Injected:%201 HTTP/1.1\r\n"
                         b"Host: x\r\n\r\n"], {404, 400}, 1),
    ("CRLF in the query", [b"GET /metrics?a=%0d%0aSet-Cookie:%20a=1 HTTP/1.1\r\n"
                           b"Host: x\r\n\r\n"], {200, 400}, 1),
    ("bare CR in a header", [REQ + b"X-A: a\rSet-Cookie: a=1\rX-Injected: 1\r\n\r\n"],
     {200, 400}, 1),
    ("bare LF line ends", [b"GET /metrics HTTP/1.1\nHost: x\nX-A: a\nSet-Cookie: a=1\n\n"],
     {200, 400}, 1),
    ("obsolete line folding", [REQ + b"X-A: a\r\n Set-Cookie: a=1\r\n\r\n"], {200, 400}, 1),
    ("Accept-Encoding of 24 KB", [REQ + b"Accept-Encoding: " + b"gzip;q=0.5, " * 2000 +
                                  b"\r\n\r\n"], {200, 431}, 1),
    ("bad basic auth", [REQ + b"Authorization: Basic !!!!\r\n\r\n"], {200, 400}, 1),
    # Bodies: GET and HEAD carry none.  One is refused and the connection
    # closed, so nothing in it is ever read as a request; an empty one is fine.
    ("GET with Content-Length: 0", [REQ + b"Content-Length: 0\r\n\r\n"], {200}, 1),
    ("GET with a body", [REQ + b"Content-Length: 10\r\n\r\n0123456789"], {400}, 1),
    ("HEAD with a body", [b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"
                          b"abcd"], {400}, 1),
    ("GET with a chunked body", [REQ + b"Transfer-Encoding: chunked\r\n\r\n"
                                 b"5\r\nhello\r\n0\r\n\r\n"], {400}, 1),
    # refused while it is still being sent: the answer may be lost to the reset
    ("GET with a 1 MB body", [REQ + b"Content-Length: 1048576\r\n\r\n" + b"z" * 1048576],
     {400, 413, None}, None),
    ("a request inside a body", [REQ + b"Content-Length: %d\r\n\r\n" % len(INNER) + INNER],
     {400}, 1),
    ("a huge Content-Length", [REQ + b"Content-Length: 99999999999999999999999\r\n\r\n"],
     {413, 400}, None),
    ("a negative Content-Length", [REQ + b"Content-Length: -1\r\n\r\n"], {400}, None),
    ("a Content-Length list", [REQ + b"Content-Length: 0, %d\r\n\r\n" % len(INNER) + INNER],
     {400}, None),
    ("Transfer-Encoding: identity", [REQ + b"Transfer-Encoding: identity\r\n\r\n"],
     {None, 400, 501}, None),
    ("Transfer-Encoding: gzip, chunked", [REQ + b"Transfer-Encoding: gzip, chunked\r\n\r\n"
                                          b"0\r\n\r\n"], {None, 400, 501}, None),
    ("a bad chunk size", [REQ + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"],
     {400}, 1),
    ("POST with a body", [b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
                          b"0123456789"], {405}, 1),
    ("h2c upgrade", [REQ + b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                     b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"], {200}, 1),
    ("100 pipelined requests", [b"GET /healthz HTTP/1.1\r\nHost: socklife\r\n\r\n" * 100],
     {200}, 100),
    # Stopping midway: nothing to answer yet; closed when idle for the timeout.
    ("stops in the request line", [b"GET /metr"], {None, 408}, None),
    ("stops in the headers", [PARTIAL], {None, 408}, None),
    ("stops in the body", [REQ + b"Content-Length: 100\r\n\r\n0123456789"],
     {None, 408, 400}, None),
]


class Malformed(unittest.TestCase):
    """One daemon for every test here; each test leaves it healthy
    (tearDown), and it must stop cleanly after them all (tearDownClass),
    whatever order they run in."""
    TIMEOUT = 2  # --web.timeout, seconds

    @classmethod
    def setUpClass(cls):
        cls.ns = h.Netns().__enter__()
        try:
            # Every case comes from an address of its own, all at once: more
            # strangers than the default 48 places would make some wait.
            cls.daemon = h.Daemon(f"--web.timeout={cls.TIMEOUT}s", "--web.max-connections=128",
                                  interval="200ms").__enter__()
        except BaseException:
            cls.ns.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            check_stopped_cleanly(cls.daemon)
        finally:
            try:
                cls.daemon.__exit__(None, None, None)
            finally:
                cls.ns.__exit__(None, None, None)

    def tearDown(self):
        """After each test the daemon serves a valid exposition."""
        self.assertEqual(self.daemon.get("/healthz")[0], 200)
        h.promtool_check(h.metrics_text(self.daemon.port))

    def test_each_gets_an_error_or_a_closed_connection(self):
        """Every case at once, each from its own address: the first answer
        is a clear status (or none and a closed connection), there are no
        more answers than requests, nothing from the request comes back as
        a header, and the server closes the connection at once after an
        error and at the latest when it has been idle for --web.timeout."""
        results = {}

        def run(i, case):
            name, chunks, _, _ = case
            try:
                results[name] = exchange(self.daemon.port, f"127.0.2.{i + 1}", chunks,
                                         linger=self.TIMEOUT + 3)
            except Exception as e:
                results[name] = e

        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(MALFORMED)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, _, allowed, answers in MALFORMED:
            with self.subTest(name):
                r = results[name]
                if isinstance(r, Exception):
                    self.fail(f"{name}: {r!r}")
                got, closed, secs = r
                codes = statuses(got)
                first = codes[0] if codes else None
                self.assertIn(first, allowed, f"{name}: {got[:200]!r}")
                if answers is not None:
                    self.assertEqual(len(codes), answers, f"{name}: {got[:300]!r}")
                if codes and not got.startswith(b"HTTP/1.1 100 "):
                    self.assertTrue(got.startswith(b"HTTP/1.1 "), f"{name}: {got[:100]!r}")
                if first == 405:
                    self.assertIn(b"\r\nallow: get, head\r\n", response_headers(got))
                self.assertNotIn(404, codes[1:], f"{name}: a request was smuggled")
                for injected in (b"set-cookie", b"x-injected"):
                    self.assertNotIn(injected, response_headers(got), name)
                self.assertTrue(closed, f"{name}: still open {secs:.1f} s after the last byte")
                self.assertLess(secs, self.TIMEOUT + 2, name)
                if first is not None and first >= 400 and first != 404:
                    # After a refusal nothing more is read: closed at once.
                    # (A 404 answers a well-formed request: kept alive.)
                    self.assertLess(secs, 1.0, f"{name}: closed {secs:.1f} s after a {first}")
        self.assertEqual(self.daemon.get("/healthz")[0], 200)

    def test_ambiguous_framing_never_answers_a_hidden_request(self):
        """Requests whose body length could be read two ways: a proxy in front
        (for TLS or auth) may read it one way and the daemon the other, and
        then a request hidden in the body reaches the daemon unseen by the
        proxy (request smuggling).  RFC 9112 rules out each: different
        Content-Lengths are a 400 (6.3), whitespace before a field's colon
        is a 400 (5.1), and with both Transfer-Encoding and Content-Length
        the server may answer by Transfer-Encoding but MUST then close the
        connection (6.1).  Either way the hidden request is never answered."""
        n = len(INNER)
        cases = [
            ("two different Content-Lengths",
             REQ + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % n + INNER, {400}),
            ("Content-Length and Transfer-Encoding",
             REQ + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (n + 5)
             + INNER, {200, 400}),
            ("whitespace before a colon",
             REQ + b"Content-Length : %d\r\n\r\n" % n + INNER, {400}),
        ]
        results = {}

        def run(i, name, raw):
            results[name] = exchange(self.daemon.port, f"127.0.4.{i + 1}", [raw],
                                     linger=self.TIMEOUT + 3)

        threads = [threading.Thread(target=run, args=(i, name, raw))
                   for i, (name, raw, _) in enumerate(cases)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, raw, allowed in cases:
            with self.subTest(name):
                got, closed, secs = results[name]
                codes = statuses(got)
                self.assertIn(codes[0] if codes else None, allowed,
                              f"{name}: answered {codes} to {raw!r}")
                self.assertNotIn(404, codes, f"{name}: the hidden request was answered "
                                             f"({codes}) in {raw!r}")
                self.assertTrue(closed, name)
                self.assertLess(secs, 1.0 if codes and codes[0] >= 400 else self.TIMEOUT + 2,
                                name)

    def test_byte_by_byte(self):
        """A request sent one byte at a time, 35 ms apart (1.4 s in all):
        the idle timeout (2 s) measures silence, so it never fires, and the
        headers are complete within the header deadline (from accept, 5 s
        or --web.timeout if shorter: 2 s here), so it is served."""
        request = b"GET /metrics HTTP/1.1\r\nHost: socklife\r\n\r\n"
        t0 = time.monotonic()
        got, closed, secs = exchange(self.daemon.port, "127.0.3.1",
                                     [request[i:i + 1] for i in range(len(request))],
                                     pause=0.035, linger=self.TIMEOUT + 3, nodelay=True)
        trickle = time.monotonic() - t0 - secs
        self.assertGreater(trickle, 1.0)  # many idle gaps, none of them 2 s
        self.assertLess(trickle, self.TIMEOUT)
        self.assertEqual(statuses(got), [200])
        self.assertIn(b"\nsocklife_build_info{", got)
        self.assertTrue(closed)  # idle after the answer: closed at the timeout
        self.assertLess(secs, self.TIMEOUT + 2)

    def test_byte_by_byte_past_the_header_deadline_is_cut(self):
        """The same trickle, slower (100 ms a byte, 4 s in all): never idle
        for the 2 s idle timeout, but its headers are not complete within
        the header deadline (2 s here), so it is closed unanswered.  (Before
        the deadline, a trickle was served however long it took.)"""
        request = b"GET /metrics HTTP/1.1\r\nHost: socklife\r\n\r\n"
        t0 = time.monotonic()
        got, closed, _ = exchange(self.daemon.port, "127.0.3.3",
                                  [request[i:i + 1] for i in range(len(request))],
                                  pause=0.1, linger=self.TIMEOUT + 3, nodelay=True)
        self.assertEqual(statuses(got), [])
        self.assertTrue(closed)
        self.assertLess(time.monotonic() - t0, self.TIMEOUT + 2)

    def test_stopped_midway_is_held_until_the_timeout(self):
        """Half a request, then silence: the connection is held (the rest may
        still come) and closed when --web.timeout has passed, not before
        half of it and not long after."""
        got, closed, secs = exchange(self.daemon.port, "127.0.3.2", [PARTIAL],
                                     linger=self.TIMEOUT + 3)
        self.assertIn(statuses(got), ([], [408]))
        self.assertTrue(closed)
        self.assertGreater(secs, self.TIMEOUT / 2)
        self.assertLess(secs, self.TIMEOUT + 2)


if __name__ == "__main__":
    h.require_root()
    unittest.main()
