"""The HTTP surface: routes, methods, HEAD, keep-alive, the landing page."""
import http.client
import socket
import unittest

import harness as h


class Http(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = h.Daemon("--web.timeout=2s", interval="200ms").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.__exit__(None, None, None)
        assert cls.daemon.returncode == 0, cls.daemon.stderr

    def test_routes_and_methods(self):
        d = self.daemon
        self.assertEqual(d.get("/metrics")[0], 200)
        self.assertEqual(d.get("/metrics?debug=1")[0], 200)  # a query string is ignored
        self.assertEqual(d.get("/healthz")[0], 200)
        self.assertEqual(d.get("/nope")[0], 404)
        self.assertEqual(d.get("/metrics/")[0], 404)
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
            status, headers, _ = d.get("/metrics", method=method)
            self.assertEqual(status, 405, method)
            self.assertEqual(headers.get("allow"), "GET, HEAD")

    def test_head_has_headers_and_no_body(self):
        status, headers, body = self.daemon.get("/metrics", method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], h.CONTENT_TYPE)
        self.assertEqual(body, b"")
        self.assertGreater(int(headers["content-length"]), 100)

    def test_gzip_negotiation(self):
        d = self.daemon
        for ae, gz in (("gzip", True), ("gzip;q=0", False), ("identity", False),
                       ("deflate, br", False), ("*", True), ("br, gzip;q=0.8", True)):
            _, headers, _ = d.get("/metrics", {"Accept-Encoding": ae})
            self.assertEqual(headers.get("content-encoding") == "gzip", gz, ae)
            self.assertIn("Accept-Encoding", headers["vary"])

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=5)
        for path in ("/metrics", "/healthz", "/", "/metrics"):
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        conn.close()

    def test_landing_page(self):
        status, headers, body = self.daemon.get("/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        page = body.decode()
        self.assertIn('href="/metrics"', page)
        self.assertIn("Last scan:", page)
        self.assertNotIn("<script", page)

    def test_malformed_requests_do_not_hurt(self):
        """Each gets an error status or a closed connection, at the latest
        when the idle timeout (2 s here) expires; the daemon keeps serving."""
        for raw, expect in ((b"GARBAGE\r\n\r\n", b""),
                            (b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n", b"HTTP/1.1 414"),
                            (b"GET /metrics HTTP/9.9\r\n\r\n", b"HTTP/1.1 505"),
                            (b"\x00\xff\r\n\r\n", b"")):
            with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5) as s:
                try:
                    s.sendall(raw)
                    got = s.recv(4096)
                except (ConnectionResetError, BrokenPipeError):
                    got = b""
                self.assertTrue(got.startswith(expect), (raw[:20], got[:40]))
        self.assertEqual(self.daemon.get("/healthz")[0], 200)


if __name__ == "__main__":
    unittest.main()
