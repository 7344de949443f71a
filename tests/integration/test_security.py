"""Least privilege, TLS and basic auth, as an operator deploys them.

Started as root, socklife keeps exactly CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE
and CAP_SYS_ADMIN (effective, permitted and bounding sets) and can become
another user; with --web.config.file it serves TLS 1.2+ only and asks for a
bcrypt-checked password, and a flood of wrong passwords costs it little
CPU and tells nothing through timing."""
import base64
import http.client
import os
import socket
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
import warnings

import harness as h
from hostile import cpu_seconds, latency_report, percentile

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


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def timed_auth_get(port, source, headers, timeout=10):
    """(status, seconds from sending the request to its answer), on a
    connection made beforehand so that only the answer is timed; the
    exception's name for status when it failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0))
    t0 = time.monotonic()
    try:
        conn.connect()
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        t0 = time.monotonic()
        conn.request("GET", "/metrics", headers=headers)
        r = conn.getresponse()
        r.read()
        return r.status, time.monotonic() - t0
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__, time.monotonic() - t0
    finally:
        conn.close()


class PasswordFlood(unittest.TestCase):
    """Basic auth without TLS (the checks are the same): `prometheus` has a
    bcrypt hash of cost 4, `slowpoke` one of cost 12 (a check 40 times
    slower, about 170 ms here)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        fast = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4))
        slow = crypt.crypt("other", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 12))
        cls.config = os.path.join(cls.dir.name, "web.yml")
        with open(cls.config, "w") as f:
            f.write(f"basic_auth_users:\n  prometheus: '{fast}'\n  slowpoke: '{slow}'\n")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def daemon(self):
        return AuthDaemon(self.config, basic("prometheus", "s3cret"))

    def test_wrong_password_flood_costs_little_cpu(self):
        """32 clients on 8 addresses send wrong passwords, a new one each
        time, for the slow user (half of them), the fast one and users that
        do not exist, for 8 s (before: every one a bcrypt check, both cores
        busy, Prometheus' scrapes taking seconds).  Guesses
        not seen before are checked only as the throttle allows (about 0.1
        of a core), the rest answered 429; each refusal comes a second
        after its request, so each client makes one guess a second.  The
        daemon uses under half a core, and Prometheus, with the right
        password, scrapes as usual."""
        seconds = 8
        with h.Netns(), self.daemon() as d:
            self.assertEqual(d.get("/metrics")[0], 200)  # Prometheus' password is remembered
            stop = threading.Event()
            lock = threading.Lock()
            statuses = {}
            errors = []

            def guesser(i):
                src = f"127.0.10.{1 + i % 8}"
                user = ("slowpoke", "slowpoke", f"nobody{i}", "prometheus")[i % 4]
                conn = None
                while not stop.is_set():
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10,
                                                          source_address=(src, 0))
                    try:
                        conn.request("GET", "/metrics", headers=basic(user, uuid.uuid4().hex))
                        r = conn.getresponse()
                        r.read()
                        with lock:
                            statuses[r.status] = statuses.get(r.status, 0) + 1
                    except (OSError, http.client.HTTPException) as e:
                        with lock:  # counted, and the guessing goes on
                            errors.append(repr(e))
                        conn.close()
                        conn = None
                if conn and conn.sock:
                    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                         b"\1\0\0\0\0\0\0\0")
                if conn:
                    conn.close()

            threads = [threading.Thread(target=guesser, args=(i,)) for i in range(32)]
            cpu0, t0 = cpu_seconds(d.proc.pid), time.monotonic()
            for t in threads:
                t.start()
            scrapes = []
            try:
                while time.monotonic() - t0 < seconds:
                    scrapes.append(timed_auth_get(d.port, "127.0.0.1",
                                                  basic("prometheus", "s3cret")))
                    time.sleep(0.5)
                cpu1, t1 = cpu_seconds(d.proc.pid), time.monotonic()
            finally:
                stop.set()
                for t in threads:
                    t.join()
            cores = (cpu1 - cpu0) / (t1 - t0)
            print(f"wrong-password flood: {statuses} in {t1 - t0:.1f} s, {len(errors)} "
                  f"errors, daemon CPU {cores:.2f} cores; Prometheus: {latency_report(scrapes)}")
            self.assertEqual(errors[:5], [])
            self.assertLess(cores, 0.5)
            self.assertEqual(set(statuses), {401, 429})
            self.assertEqual([st for st, _ in scrapes if st != 200], [])
            self.assertLess(percentile([s for _, s in scrapes], 95), 1.0)
            self.assertEqual(d.get("/healthz")[0], 200)
            self.assertEqual(d.stop(), 0)

    def test_refusal_time_does_not_depend_on_the_user(self):
        """Wrong passwords for the cost-4 user and the cost-12 user, in
        turn, each from an address of its own (so each address' throttle
        allows the check): every refusal comes a fixed delay (1 s) after
        its request, whether bcrypt took 1 ms, 170 ms or did not run
        (429).  Before, the answer came when bcrypt was done: about 1 ms
        for one, 170 ms for the other."""
        times = {"prometheus": [], "slowpoke": []}
        statuses = {"prometheus": [], "slowpoke": []}
        with h.Netns(), self.daemon() as d:
            for i in range(12):
                user = ("prometheus", "slowpoke")[i % 2]
                status, secs = timed_auth_get(d.port, f"127.0.11.{i + 1}",
                                              basic(user, f"wrong{i}"))
                times[user].append(secs)
                statuses[user].append(status)
                time.sleep(0.5)
        for user in times:
            print(f"{user}: {statuses[user]}, "
                  f"{', '.join(f'{t:.3f}' for t in times[user])} s")
        for user in times:
            self.assertIn(401, statuses[user], f"{user} was never checked")
            self.assertTrue(set(statuses[user]) <= {401, 429}, statuses[user])
        diff = abs(statistics.median(times["prometheus"]) - statistics.median(times["slowpoke"]))
        self.assertLess(diff, 0.05)
        for t in times["prometheus"] + times["slowpoke"]:
            self.assertGreater(t, 0.95)
            self.assertLess(t, 1.3)


class AuthDaemon(h.Daemon):
    """The daemon with basic auth (no TLS): health is polled with a password."""

    def __init__(self, config, auth_headers):
        super().__init__(f"--web.config.file={config}")
        self.auth_headers = auth_headers

    def get(self, path, headers=None, method="GET"):
        return h.get(self.port, path, {**self.auth_headers, **(headers or {})}, method)


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
