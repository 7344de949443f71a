"""Least privilege, TLS and basic auth, as an operator deploys them.

Started as root, socklife keeps exactly CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE
and CAP_SYS_ADMIN (effective, permitted and bounding sets) and can become
another user; with --web.config.file it serves TLS 1.2+ only and asks for a
bcrypt-checked password."""
import base64
import http.client
import os
import socket
import ssl
import subprocess
import tempfile
import unittest
import warnings

import harness as h

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # the system's libcrypt, as socklife uses it

THREE = (1 << 2) | (1 << 19) | (1 << 21)  # DAC_READ_SEARCH, SYS_PTRACE, SYS_ADMIN


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


class Privileges(unittest.TestCase):
    def check_three(self, pid):
        st = status(pid)
        for key in ("CapEff", "CapPrm", "CapBnd"):
            self.assertEqual(int(st[key], 16), THREE, f"{key} {st[key]}")
        self.assertEqual(int(st["CapInh"], 16), 0)
        self.assertEqual(int(st["CapAmb"], 16), 0)
        self.assertEqual(st["NoNewPrivs"], "1")
        return st

    def test_root_keeps_exactly_three(self):
        with h.Netns(), h.Population(established=2, close_wait=1, time_wait=0) as pop, \
                h.Daemon() as d:
            self.check_three(d.proc.pid)
            samples = h.parse(h.metrics_text(d.port))
            for cap in ("cap_dac_read_search", "cap_sys_ptrace", "cap_sys_admin"):
                self.assertEqual(h.value(samples, "socklife_capability", capability=cap), 1)
            self.assertIn("with capabilities: cap_dac_read_search cap_sys_ptrace cap_sys_admin",
                          d.read_log())
            self.assertEqual(h.value(samples, "socklife_process_sockets", process="sl-cwait",
                                     state="close_wait"), 1)

    def test_user_switch_keeps_the_three(self):
        with h.Netns(), h.Population(established=3, close_wait=2, time_wait=0) as pop, \
                h.Daemon("--user=nobody") as d:
            st = self.check_three(d.proc.pid)
            self.assertEqual(st["Uid"].split(), ["65534"] * 4)
            self.assertEqual(st["Gid"].split()[0], "65534")
            # Still reads root's processes: attribution is complete.
            samples = h.parse(h.metrics_text(d.port))
            for group, states in pop.group_counts().items():
                for state, want in states.items():
                    self.assertEqual(h.value(samples, "socklife_process_sockets",
                                             process=group, proto="tcp", state=state), want)

    def test_unknown_user_is_a_start_up_error(self):
        r = subprocess.run([h.SOCKLIFE, "--once", "--user=no-such-user-here"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot become no-such-user-here", r.stderr)


class TlsAndAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        cls.cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cls.cert,
                        "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        hashed = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4))
        cls.config = os.path.join(d, "web.yml")
        with open(cls.config, "w") as f:
            f.write(f"tls_server_config:\n  cert_file: {cls.cert}\n  key_file: {key}\n"
                    f"basic_auth_users:\n  prometheus: '{hashed}'\n")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def get(self, port, password=None, tls_max=None):
        ctx = ssl.create_default_context(cafile=self.cert)
        if tls_max:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = tls_max
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        headers = {}
        if password is not None:
            token = base64.b64encode(f"prometheus:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        try:
            conn.request("GET", "/metrics", headers=headers)
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def test_tls_and_passwords(self):
        with h.Netns(), TlsDaemon(self.config) as d:
            status, _, body = self.get(d.port, "s3cret")
            self.assertEqual(status, 200)
            h.promtool_check(body.decode())
            self.assertEqual(self.get(d.port, "s3cret")[0], 200)  # cached
            status, headers, _ = self.get(d.port, "wrong")
            self.assertEqual(status, 401)
            self.assertIn('Basic realm="socklife"', headers.get("WWW-Authenticate", ""))
            self.assertEqual(self.get(d.port, None)[0], 401)

            # Plain HTTP to the TLS port gets no HTTP answer.
            with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    reply = s.recv(100)
                except ConnectionResetError:
                    reply = b""
                self.assertFalse(reply.startswith(b"HTTP/"), reply)
            # TLS 1.1 is refused.
            with self.assertRaises((ssl.SSLError, ConnectionResetError)):
                self.get(d.port, "s3cret", tls_max=ssl.TLSVersion.TLSv1_1)

    def test_bad_config_is_a_start_up_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write("tls_server_config:\n  cert_file: /nonexistent.pem\n")
            f.flush()
            r = subprocess.run([h.SOCKLIFE, "--listen=127.0.0.1:0", f"--web.config.file={f.name}"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("needs both cert_file and key_file", r.stderr)


class TlsDaemon(h.Daemon):
    """The daemon over TLS: health is polled with TLS and a password."""

    def __init__(self, config):
        super().__init__(f"--web.config.file={config}")

    def get(self, path, headers=None, method="GET"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=10)
        token = base64.b64encode(b"prometheus:s3cret").decode()
        try:
            conn.request(method, path, headers={"Authorization": f"Basic {token}",
                                                **(headers or {})})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()


if __name__ == "__main__":
    h.require_root()
    unittest.main()
