"""Static checks of everything in packaging/: the systemd unit (its sandbox,
its exposure score, systemd-analyze verify), the man page against --help, the
/etc/default file, the maintainer scripts, the Kubernetes manifests against the
unit and the rules file, the PrometheusRule generator, the Containerfile.
No root needed."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

import pkgtest as p

CAPS = {"CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE", "CAP_SYS_ADMIN"}


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def k8s_docs():
    """{kind: [doc, ...]} of every manifest in packaging/kubernetes."""
    docs = {}
    for name in sorted(os.listdir(p.KUBERNETES)):
        if name.endswith((".yaml", ".yml")) and name != "kustomization.yaml":
            for d in load_all(os.path.join(p.KUBERNETES, name)):
                docs.setdefault(d["kind"], []).append(d)
    return docs


def one(kind):
    docs = k8s_docs().get(kind, [])
    if len(docs) != 1:
        raise AssertionError(f"expected one {kind}, found {len(docs)}")
    return docs[0]


class Unit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.u = p.parse_unit()

    def v(self, key):
        return p.unit_value(self.u, key)

    def test_identity_and_capabilities(self):
        self.assertEqual(self.v("User"), "socklife")
        self.assertEqual(self.v("Group"), "socklife")
        self.assertIsNone(self.v("DynamicUser"))
        self.assertEqual(p.unit_caps(self.u, "AmbientCapabilities"), CAPS)
        self.assertEqual(p.unit_caps(self.u, "CapabilityBoundingSet"), CAPS)
        self.assertEqual(self.v("NoNewPrivileges"), "yes")

    def test_sandbox(self):
        want = {"ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
                "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
                "ProtectControlGroups": "yes", "ProtectClock": "yes",
                "RestrictSUIDSGID": "yes", "RestrictRealtime": "yes",
                "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
                "SystemCallArchitectures": "native"}
        for k, v in want.items():
            self.assertEqual(self.v(k), v, k)
        fams = set(" ".join(p.unit_values(self.u, "RestrictAddressFamilies")).split())
        self.assertEqual(fams, {"AF_NETLINK", "AF_UNIX", "AF_INET", "AF_INET6"})

    def test_keeps_what_it_needs(self):
        # The host's network namespace, the host's whole /proc, host users.
        self.assertNotIn(self.v("PrivateNetwork"), ("yes", "true", "1", "on"))
        self.assertNotIn(self.v("PrivateUsers"), ("yes", "true", "1", "on"))
        self.assertIn(self.v("ProtectProc"), (None, "default"))
        self.assertIn(self.v("ProcSubset"), (None, "all"))
        self.assertIsNone(self.v("IPAddressDeny"), "Prometheus scrapes from anywhere")
        # setns() into network namespaces: RestrictNamespaces must allow net.
        rn = " ".join(p.unit_values(self.u, "RestrictNamespaces")).split()
        self.assertTrue(rn, "RestrictNamespaces= missing")
        self.assertFalse(rn[0].startswith("~"), rn)
        self.assertIn("net", rn)
        self.assertNotIn("user", rn)

    def test_syscall_filter_allows_what_it_uses(self):
        allowed = p.allowed_syscalls(self.u)
        needed = {"setns", "socket", "bind", "listen", "accept4", "sendto", "recvmsg",
                  "sendmsg", "setsockopt", "getsockname", "epoll_create1", "epoll_ctl",
                  "epoll_wait", "clone3", "clone", "futex", "getdents64", "readlinkat",
                  "openat", "newfstatat", "statx", "getxattr", "lgetxattr", "prlimit64",
                  "rt_sigtimedwait", "mmap", "close", "read", "write", "exit_group",
                  "bpf"}  # the bpf socket source
        self.assertEqual(needed - allowed, set())
        # And it does take things away.
        for gone in ("mount", "reboot", "init_module", "ptrace", "setuid", "capset",
                     "setrlimit", "settimeofday", "swapon", "kexec_load"):
            self.assertNotIn(gone, allowed)
        self.assertEqual(self.v("SystemCallErrorNumber"), "EPERM")

    def test_command_and_environment(self):
        self.assertEqual(self.v("ExecStart"), "/usr/sbin/socklife $SOCKLIFE_ARGS")
        self.assertEqual(self.v("EnvironmentFile"), "-/etc/default/socklife")
        self.assertEqual(p.unit_value(self.u, "WantedBy", "Install"), "multi-user.target")

    def test_exposure_score(self):
        score, out = p.exposure()
        print(f"systemd-analyze security --offline=yes: {score}")
        self.assertLessEqual(score, p.MAX_EXPOSURE, out)
        # The README states the score; keep it true.
        with open(os.path.join(p.PACKAGING, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertRegex(readme, rf"(?<![\d.]){re.escape(str(score))}(?![\d])",
                         "packaging/README.md does not state the measured score")

    def test_exposure_check_can_fail(self):
        # The same unit without its sandbox must score worse than the limit,
        # or the check above proves nothing.
        keep = ("Description", "ExecStart", "User", "Group", "WantedBy", "Type")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "socklife.service")
            with open(path, "w") as f:
                for sec, items in self.u.items():
                    f.write(f"[{sec}]\n")
                    f.writelines(f"{k}={v}\n" for k, v in items if k in keep)
            score, out = p.exposure(path)
        self.assertGreater(score, p.MAX_EXPOSURE, out)

    def test_systemd_analyze_verify(self):
        # verify wants ExecStart to exist: point it at a binary that does.
        exe = shutil.which("true")
        with open(p.UNIT, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("/usr/sbin/socklife", text)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "socklife.service")
            with open(path, "w") as f:
                f.write(text.replace("/usr/sbin/socklife", exe))
            r = subprocess.run([p.tool("systemd-analyze"), "verify", "--man=no", path],
                               capture_output=True, text=True)
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
            # A typo is caught, so the empty output above means something.
            with open(path, "a") as f:
                f.write("[Service]\nProtectSytem=strict\n")
            r = subprocess.run([p.tool("systemd-analyze"), "verify", "--man=no", path],
                               capture_output=True, text=True)
            self.assertIn("ProtectSytem", r.stdout + r.stderr)


class ManAndDefaults(unittest.TestCase):
    def test_man_page_documents_every_flag(self):
        longs, shorts = p.help_flags()
        self.assertIn("--once", longs)
        with open(p.MANPAGE, encoding="utf-8") as f:
            man = f.read()
        # The text as a reader sees it: no font escapes, no quotes, plain -.
        text = re.sub(r"\\f[RBIP]", "", man).replace("\\-", "-").replace('"', "")
        for flag in sorted(longs | shorts):
            self.assertTrue(re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w.-])", text),
                            f"socklife(8) does not document {flag}")
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                        "FILES", "PRIVILEGES", "SEE ALSO"):
            self.assertRegex(man, rf"(?m)^\.SH \"?{section}\"?$", section)

    def test_man_page_renders_without_warnings(self):
        r = subprocess.run([p.tool("groff"), "-man", "-ww", "-z", p.MANPAGE],
                           capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_default_file(self):
        with open(p.DEFAULT_FILE, encoding="utf-8") as f:
            text = f.read()
        live = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
        self.assertEqual(len(live), 1, live)
        self.assertRegex(live[0], r'^SOCKLIFE_ARGS="[^"]*"$')
        # Every flag it mentions exists.
        longs, _ = p.help_flags()
        for flag in set(re.findall(r"(?<![\w-])--[a-z][a-z0-9.-]*[a-z]", text)):
            self.assertIn(flag, longs, f"/etc/default/socklife mentions unknown {flag}")
        # The value and the example parse as a command line.
        for line in [live[0]] + [l.lstrip("#") for l in text.splitlines()
                                 if l.startswith("#SOCKLIFE_ARGS=")]:
            args = line.split("=", 1)[1].strip('"').split()
            r = subprocess.run([p.SOCKLIFE, *args, "--help"], capture_output=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, (args, r.stderr))


class MaintainerScripts(unittest.TestCase):
    SCRIPTS = ("postinst", "prerm", "postrm")

    def path(self, name):
        return os.path.join(p.PACKAGING, "debian", name)

    def test_syntax_and_shellcheck(self):
        for s in self.SCRIPTS:
            self.assertTrue(os.access(self.path(s), os.X_OK), s)
            r = subprocess.run(["sh", "-n", self.path(s)], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        sc = shutil.which("shellcheck")
        if sc:
            r = subprocess.run([sc, "-s", "sh", *map(self.path, self.SCRIPTS)],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout)
        else:
            print("note: shellcheck not installed; only sh -n ran")

    def test_contents(self):
        with open(self.path("postinst")) as f:
            post = f.read()
        self.assertRegex(post, r"adduser [^\n]*--system[^\n]*--group[^\n]*--no-create-home")
        self.assertIn("[ -d /run/systemd/system ]", post)
        with open(self.path("postrm")) as f:
            rm = f.read()
        self.assertIn("deluser", rm)
        self.assertIn("deb-systemd-helper purge", rm)
        with open(self.path("conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/default/socklife"])


class Kubernetes(unittest.TestCase):
    def test_every_yaml_parses_and_is_an_object(self):
        names = [n for n in os.listdir(p.KUBERNETES) if n.endswith((".yaml", ".yml"))]
        self.assertGreaterEqual(len(names), 6, names)
        for n in names:
            docs = load_all(os.path.join(p.KUBERNETES, n))
            self.assertTrue(docs, n)
            for d in docs:
                self.assertIsInstance(d, dict, n)
                self.assertIn("apiVersion", d, n)
                self.assertIn("kind", d, n)
                if d["kind"] != "Kustomization":
                    self.assertIn("name", d.get("metadata", {}), n)
                if d["kind"] not in ("Namespace", "Kustomization"):
                    self.assertEqual(d["metadata"].get("namespace"), "socklife", n)

    def test_kustomization_lists_every_manifest(self):
        k = load_all(os.path.join(p.KUBERNETES, "kustomization.yaml"))[0]
        files = {n for n in os.listdir(p.KUBERNETES)
                 if n.endswith((".yaml", ".yml")) and n != "kustomization.yaml"}
        self.assertEqual(set(k["resources"]), files)

    def container(self):
        ds = one("DaemonSet")
        cs = ds["spec"]["template"]["spec"]["containers"]
        self.assertEqual(len(cs), 1)
        return ds["spec"]["template"]["spec"], cs[0]

    def test_daemonset_sees_the_host(self):
        pod, c = self.container()
        self.assertIs(pod.get("hostPID"), True)
        self.assertIs(pod.get("hostNetwork"), True)
        self.assertEqual(pod.get("dnsPolicy"), "ClusterFirstWithHostNet")
        args = c.get("args", [])
        roots = [a.split("=", 1)[1] for a in args if a.startswith("--proc-root=")]
        self.assertEqual(len(roots), 1, args)
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        self.assertIn(roots[0], mounts)
        self.assertIs(mounts[roots[0]].get("readOnly"), True)
        vols = {v["name"]: v for v in pod["volumes"]}
        self.assertEqual(vols[mounts[roots[0]]["name"]]["hostPath"]["path"], "/proc")
        for m in c["volumeMounts"]:
            self.assertIs(m.get("readOnly"), True, m)

    def test_capabilities_match_the_unit(self):
        _, c = self.container()
        sc = c["securityContext"]
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        added = p.normalize_caps(sc["capabilities"]["add"])
        self.assertEqual(len(added), len(sc["capabilities"]["add"]))
        u = p.parse_unit()
        self.assertEqual(added, p.unit_caps(u, "AmbientCapabilities"))
        self.assertEqual(added, p.unit_caps(u, "CapabilityBoundingSet"))
        self.assertIs(sc["readOnlyRootFilesystem"], True)
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        self.assertIs(sc.get("privileged", False), False)
        self.assertEqual(sc["runAsUser"], 0)

    def test_probes_resources_ports(self):
        _, c = self.container()
        ports = {pt["name"]: pt["containerPort"] for pt in c["ports"]}
        self.assertEqual(ports, {"metrics": 9917})
        self.assertIn("--web.listen-address=:9917", c["args"])
        for probe in ("livenessProbe", "readinessProbe"):
            g = c[probe]["httpGet"]
            self.assertEqual(g["path"], "/healthz", probe)
            self.assertIn(g["port"], (9917, "metrics"), probe)
        r = c["resources"]

        def cpu(v):
            v = str(v)
            return float(v[:-1]) / 1000 if v.endswith("m") else float(v)

        def mem(v):
            units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
            return int(v[:-2]) * units[v[-2:]] if v[-2:] in units else int(v)
        for k, f in (("cpu", cpu), ("memory", mem)):
            self.assertLessEqual(f(r["requests"][k]), f(r["limits"][k]), k)

    def test_service_and_servicemonitor_select_the_pods(self):
        ds = one("DaemonSet")
        pod_labels = ds["spec"]["template"]["metadata"]["labels"]
        self.assertEqual(ds["spec"]["selector"]["matchLabels"].items() - pod_labels.items(),
                         set())
        svc = one("Service")
        self.assertEqual(svc["spec"]["selector"].items() - pod_labels.items(), set())
        port_names = {pt["name"] for pt in svc["spec"]["ports"]}
        sm = one("ServiceMonitor")
        self.assertEqual(sm["spec"]["selector"]["matchLabels"].items()
                         - svc["metadata"]["labels"].items(), set())
        for ep in sm["spec"]["endpoints"]:
            self.assertIn(ep["port"], port_names)
            self.assertEqual(ep.get("path", "/metrics"), "/metrics")

    def test_prometheusrule_is_the_rules_file(self):
        if not os.path.exists(p.RULES):
            self.fail(f"{p.RULES} does not exist")
        with open(p.RULES, encoding="utf-8") as f:
            rules = yaml.safe_load(f)
        pr = one("PrometheusRule")
        self.assertEqual(pr["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(pr["spec"]["groups"], rules["groups"])
        r = subprocess.run([sys.executable, p.GENERATOR, "--check"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Generator(unittest.TestCase):
    FIXTURE = os.path.join(p.HERE, "fixtures", "sample.rules.yml")

    def gen(self, *args):
        return subprocess.run([sys.executable, p.GENERATOR, *args],
                              capture_output=True, text=True)

    def test_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "pr.yaml")
            r = self.gen("-o", out, "--namespace", "mon", self.FIXTURE)
            self.assertEqual(r.returncode, 0, r.stderr)
            doc = load_all(out)
            self.assertEqual(len(doc), 1)
            with open(self.FIXTURE) as f:
                src = yaml.safe_load(f)
            self.assertEqual(doc[0]["kind"], "PrometheusRule")
            self.assertEqual(doc[0]["metadata"]["namespace"], "mon")
            self.assertEqual(doc[0]["spec"]["groups"], src["groups"])
            with open(out) as f:
                text = f.read()
            self.assertTrue(text.startswith("# GENERATED"), text[:80])
            self.assertIn("expr: |\n", text)  # multi-line PromQL kept as a block
            self.assertEqual(self.gen("--check", "-o", out, "--namespace", "mon",
                                      self.FIXTURE).returncode, 0)
            # --check notices a stale file.
            with open(out, "a") as f:
                f.write("# edited by hand\n")
            r = self.gen("--check", "-o", out, "--namespace", "mon", self.FIXTURE)
            self.assertEqual(r.returncode, 1)
            self.assertIn("stale", r.stderr)

    def test_rejects_what_is_not_a_rules_file(self):
        bad = {"no-groups.yml": "rules: []\n",
               "not-yaml.yml": "groups: [\n",
               "no-name.yml": "groups:\n  - rules: []\n",
               "bad-rule.yml": "groups:\n  - name: g\n    rules:\n      - expr: up\n",
               "dup.yml": "groups:\n  - {name: g, rules: []}\n  - {name: g, rules: []}\n"}
        with tempfile.TemporaryDirectory() as d:
            for name, text in bad.items():
                path = os.path.join(d, name)
                with open(path, "w") as f:
                    f.write(text)
                r = self.gen("-o", os.path.join(d, "out.yaml"), path)
                self.assertEqual(r.returncode, 2, (name, r.stderr))
                self.assertIn("gen-prometheusrule:", r.stderr)
                self.assertFalse(os.path.exists(os.path.join(d, "out.yaml")), name)


class Containerfile(unittest.TestCase):
    def test_stages(self):
        with open(p.CONTAINERFILE) as f:
            text = f.read().replace("\\\n", " ")
        froms = re.findall(r"(?m)^FROM\s+(\S+)", text)
        self.assertEqual(froms, ["debian:12-slim", "debian:12-slim"])
        stages = re.split(r"(?m)^FROM\s", text)[1:]
        runtime = stages[-1]
        installs = re.findall(r"apt-get install ([^&\n]*)", runtime)
        self.assertEqual(len(installs), 1)
        pkgs = {w for w in installs[0].split() if not w.startswith("-")}
        self.assertEqual(pkgs, {"libmnl0", "libmicrohttpd12", "zlib1g", "libcap2", "libyaml-0-2",
                                "libcrypt1", "libncursesw6", "libtinfo6", "libbpf1"})
        self.assertRegex(runtime, r"COPY --from=\S+ \S+/socklife /usr/sbin/socklife")
        self.assertRegex(runtime, r'ENTRYPOINT \["/usr/sbin/socklife"\]')
        self.assertIn("cmake", stages[0])


if __name__ == "__main__":
    unittest.main()
