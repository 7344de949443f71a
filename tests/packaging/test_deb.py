"""The Debian package for real: build it with CPack from the source tree in a
temporary directory, check its control data, install it with dpkg, check every
file it promises and the user it creates, run the installed daemon (as root,
and as user socklife with only the unit's capabilities), upgrade in place,
remove, purge, and check that nothing is left.  Needs root; refuses to touch a
machine where a socklife package or user already exists."""
import fnmatch
import glob
import gzip
import os
import pwd
import grp
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import pkgtest as p

FILES = ["/usr/sbin/socklife", "/lib/systemd/system/socklife.service",
         "/usr/share/man/man8/socklife.8.gz", "/etc/default/socklife"]
SHARE = "/usr/share/socklife"
TCP_STATES = ["established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
              "close", "close_wait", "last_ack", "listen", "closing"]
WANTS = "/etc/systemd/system/multi-user.target.wants/socklife.service"


def sh(*cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def installed():
    r = sh("dpkg-query", "-W", "-f=${db:Status-Status}", "socklife", check=False)
    return r.returncode == 0 and r.stdout.strip() not in ("", "not-installed")


def user_exists(name="socklife"):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name="socklife"):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def dpkg_excluded(path):
    """Whether dpkg's configuration keeps path off the disk (container images
    often path-exclude /usr/share/man/*); the last matching rule wins."""
    rules = []
    cfgs = ["/etc/dpkg/dpkg.cfg"] + sorted(glob.glob("/etc/dpkg/dpkg.cfg.d/*"))
    for cfg in cfgs:
        try:
            with open(cfg, encoding="utf-8", errors="replace") as f:
                for line in f:
                    w = line.split()
                    if len(w) == 2 and w[0] in ("path-exclude", "path-include"):
                        rules.append((w[0], w[1].lstrip("=")))
        except OSError:
            pass
    excluded = False
    for kind, pattern in rules:
        if fnmatch.fnmatchcase(path, pattern):
            excluded = kind == "path-exclude"
    return excluded


def metric(text, name):
    m = re.search(rf"(?m)^{re.escape(name)} (\d+)$", text)
    if not m:
        raise AssertionError(f"no {name} in the exposition")
    return int(m.group(1))


def leftovers():
    """Everything named socklife that the package or its scripts could leave."""
    found = [f for f in FILES + [SHARE] if os.path.lexists(f)]
    found += glob.glob("/etc/default/socklife*")
    for root in ("/etc/systemd", "/var/lib/systemd/deb-systemd-helper-enabled",
                 "/var/lib/systemd/deb-systemd-helper-masked"):
        for dirpath, dirnames, filenames in os.walk(root):
            found += [os.path.join(dirpath, n) for n in dirnames + filenames
                      if "socklife" in n]
    return found


class Deb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        p.require_root("install and purge a package and create a system user")
        for t in ("cmake", "cpack", "dpkg", "dpkg-deb", "dpkg-shlibdeps", "adduser",
                  "setpriv"):
            p.tool(t)
        if installed() or user_exists() or group_exists():
            print("SKIP: a socklife package, user or group is already on this machine; "
                  "this test installs and purges its own and will not touch them",
                  flush=True)
            sys.exit(p.SKIP)
        cls.tmp = tempfile.TemporaryDirectory(prefix="socklife-deb-")
        build = os.path.join(cls.tmp.name, "build")
        sh("cmake", "-S", p.SOURCE_DIR, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
           "-DSOCKLIFE_TESTS=OFF", "-DSOCKLIFE_SANITIZE=OFF")
        r = sh("cmake", "--build", build, "--target", "package", "-j2", check=False)
        debs = glob.glob(os.path.join(build, "socklife_*.deb"))
        if r.returncode != 0 or len(debs) != 1:
            raise AssertionError(
                "cmake --build --target package made no .deb (is add_subdirectory(packaging) "
                f"in the top-level CMakeLists.txt?):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
        cls.deb = debs[0]

    @classmethod
    def tearDownClass(cls):
        # Leave the machine as it was, whatever failed (setUpClass made sure
        # no socklife package, user or group was there before).
        if installed():
            sh("dpkg", "--purge", "socklife", check=False)
        if user_exists():
            sh("userdel", "socklife", check=False)
        if group_exists():
            sh("groupdel", "socklife", check=False)
        cls.tmp.cleanup()

    def field(self, name):
        return sh("dpkg-deb", "-f", self.deb, name).stdout.strip()

    def test_package(self):
        self.control()
        self.install()
        self.run_installed()
        self.upgrade_in_place()
        self.remove_then_purge()

    def control(self):
        self.assertEqual(self.field("Package"), "socklife")
        depends = {d.split()[0] for d in self.field("Depends").split(", ")}
        # From dpkg-shlibdeps, plus adduser for the maintainer scripts.
        self.assertTrue({"libc6", "libmnl0", "libmicrohttpd12", "zlib1g", "adduser"}
                        <= depends, depends)
        # The container image installs exactly the same runtime libraries.
        with open(p.CONTAINERFILE) as f:
            runtime = re.split(r"(?m)^FROM\s", f.read().replace("\\\n", " "))[-1]
        image = {w for w in re.search(r"apt-get install ([^&\n]*)", runtime).group(1).split()
                 if not w.startswith("-")}
        self.assertEqual(image, depends - {"libc6", "adduser"})
        ctrl = os.path.join(self.tmp.name, "control")
        sh("dpkg-deb", "-e", self.deb, ctrl)
        with open(os.path.join(ctrl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/default/socklife"])
        for s in ("postinst", "prerm", "postrm"):
            self.assertTrue(os.access(os.path.join(ctrl, s), os.X_OK), s)
        listing = sh("dpkg-deb", "-c", self.deb).stdout
        for line in listing.splitlines():
            self.assertIn(" root/root ", line)
        # No promtool test file in the package.
        self.assertNotRegex(listing, r"test[^/\s]*\.yml")

    def install(self):
        sh("dpkg", "-i", self.deb)
        self.assertTrue(installed())
        listing = sh("dpkg-deb", "-c", self.deb).stdout
        for f in FILES:
            self.assertIn(" ." + f + "\n", listing + "\n", f"{f} not in the package")
            if not dpkg_excluded(f):
                self.assertTrue(os.path.isfile(f), f)
        self.assertTrue(os.access("/usr/sbin/socklife", os.X_OK))
        for installed_path, source in (
                ("/lib/systemd/system/socklife.service", p.UNIT),
                ("/etc/default/socklife", p.DEFAULT_FILE)):
            with open(installed_path, "rb") as a, open(source, "rb") as b:
                self.assertEqual(a.read(), b.read(), installed_path)
        man = "/usr/share/man/man8/socklife.8.gz"
        if dpkg_excluded(man):
            print(f"note: dpkg's configuration excludes {man}; checked in the package only")
        else:
            with gzip.open(man, "rb") as a, open(p.MANPAGE, "rb") as b:
                self.assertEqual(a.read(), b.read())
            if shutil.which("man"):
                r = sh("man", "-P", "cat", "8", "socklife", check=False,
                       env=dict(os.environ, MANWIDTH="80"))
                self.assertIn("--web.listen-address", r.stdout)
        # Dashboards and rules: what dashboards/ holds, promtool tests left out.
        src = os.path.join(p.SOURCE_DIR, "dashboards")
        want_dash = sorted(os.path.basename(f) for f in glob.glob(os.path.join(src, "*.json")))
        want_rules = sorted(os.path.basename(f)
                            for f in glob.glob(os.path.join(src, "rules", "*.yml"))
                            if not re.search(r"test[^/]*\.yml$", f))
        got_dash = sorted(os.path.basename(f) for f in glob.glob(f"{SHARE}/dashboards/*"))
        got_rules = sorted(os.path.basename(f) for f in glob.glob(f"{SHARE}/rules/*"))
        self.assertEqual(got_dash, want_dash)
        self.assertEqual(got_rules, want_rules)
        self.assertIn("socklife.rules.yml", got_rules)
        # The user: a system user with its own group, no home, no shell.
        u = pwd.getpwnam("socklife")
        self.assertLess(u.pw_uid, 1000)
        self.assertEqual(grp.getgrgid(u.pw_gid).gr_name, "socklife")
        self.assertFalse(os.path.exists(u.pw_dir), u.pw_dir)
        self.assertIn(u.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
        # Enabled (a symlink) even without a running systemd; not started then.
        if shutil.which("deb-systemd-helper"):
            self.assertEqual(os.readlink(WANTS), "/lib/systemd/system/socklife.service")

    def run_installed(self):
        r = sh("/usr/sbin/socklife", "--once", "--metrics.all-states")
        lines = [l for l in r.stdout.splitlines() if l.startswith("socklife_sockets{")]
        # With --metrics.all-states, every TCP state of the host's namespace,
        # zeros included, but "close": no table lists a closed TCP socket.
        states = {m.group(1) for l in lines
                  if 'netns="host"' in l and 'proto="tcp"' in l
                  for m in [re.search(r'state="([a-z_0-9]+)"', l)] if m}
        self.assertEqual(states, set(TCP_STATES) - {"close"}, r.stdout[:2000])
        root_denied = metric(r.stdout, "socklife_scan_denied_processes")

        # As the unit runs it: user socklife, the unit's capabilities as
        # ambient, bounding set the same, no_new_privs.
        caps = sorted(p.unit_caps(p.parse_unit(), "AmbientCapabilities"))
        spec = "-all," + ",".join("+" + c[4:].lower() for c in caps)

        def as_socklife(capspec):
            return sh("setpriv", "--reuid=socklife", "--regid=socklife", "--clear-groups",
                      f"--inh-caps={capspec}", f"--ambient-caps={capspec}",
                      f"--bounding-set={capspec}", "--no-new-privs",
                      "/usr/sbin/socklife", "--once")
        with_caps = metric(as_socklife(spec).stdout, "socklife_scan_denied_processes")
        # This test's own processes are root's and come and go: allow a little.
        self.assertLessEqual(with_caps, root_denied + 2,
                             "the unit's capabilities read fewer processes than root")
        # Without them the same user is denied root's processes (this one,
        # at least): the comparison above is meaningful.
        without = metric(as_socklife("-all").stdout, "socklife_scan_denied_processes")
        self.assertGreater(without, with_caps)

    def upgrade_in_place(self):
        uid = pwd.getpwnam("socklife").pw_uid
        with open("/etc/default/socklife", "a") as f:
            f.write('SOCKLIFE_ARGS="--interval 30s"\n')
        sh("dpkg", "-i", "--force-confold", self.deb)
        self.assertEqual(pwd.getpwnam("socklife").pw_uid, uid, "user recreated")
        with open("/etc/default/socklife") as f:
            self.assertIn('SOCKLIFE_ARGS="--interval 30s"', f.read(), "conffile edit lost")

    def remove_then_purge(self):
        sh("dpkg", "-r", "socklife")
        self.assertFalse(os.path.exists("/usr/sbin/socklife"))
        self.assertFalse(os.path.exists("/lib/systemd/system/socklife.service"))
        self.assertFalse(os.path.exists(SHARE))
        self.assertTrue(os.path.exists("/etc/default/socklife"), "remove kept no config")
        self.assertTrue(user_exists(), "remove deleted the user")
        sh("dpkg", "--purge", "socklife")
        self.assertFalse(installed())
        self.assertEqual(leftovers(), [])
        self.assertFalse(user_exists(), "purge left the user")
        self.assertFalse(group_exists(), "purge left the group")


if __name__ == "__main__":
    unittest.main()
