"""Helpers for the packaging tests: where things are, the systemd unit parsed,
systemd's syscall groups expanded.

Tools the tests use (python3-yaml, systemd-analyze, dpkg, ...) are installed
by scripts/deps.sh --test; a missing one is a failure, not a skip.  Only a
test that needs root is skipped without it (exit 77, which ctest reports as
skipped).
"""
import os
import re
import shutil
import subprocess
import sys

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..", "..")))
PACKAGING = os.path.join(SOURCE_DIR, "packaging")
KUBERNETES = os.path.join(PACKAGING, "kubernetes")
UNIT = os.path.join(PACKAGING, "systemd", "socklife.service")
DEFAULT_FILE = os.path.join(PACKAGING, "default", "socklife")
MANPAGE = os.path.join(PACKAGING, "socklife.8")
CONTAINERFILE = os.path.join(PACKAGING, "Containerfile")
RULES = os.path.join(SOURCE_DIR, "dashboards", "rules", "socklife.rules.yml")
GENERATOR = os.path.join(KUBERNETES, "gen-prometheusrule.py")
SOCKLIFE = os.environ.get("SOCKLIFE", os.path.join(SOURCE_DIR, "build", "socklife"))
SANITIZED = os.environ.get("SL_SANITIZED") == "1"
MAX_EXPOSURE = 2.5


def tool(name):
    path = shutil.which(name)
    if not path:
        raise AssertionError(f"{name} is not installed (scripts/deps.sh --test installs it)")
    return path


def require_root(why):
    if os.geteuid() != 0:
        print(f"SKIP: this test needs root to {why}", flush=True)
        sys.exit(SKIP)


def parse_unit(path=UNIT):
    """{section: [(key, value), ...]} in file order; repeated keys kept, as
    systemd reads them (an empty assignment resets a list)."""
    sections = {}
    cur = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    for line in lines:
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        m = re.fullmatch(r"\[(\w+)\]", s)
        if m:
            cur = sections.setdefault(m.group(1), [])
            continue
        if cur is None or "=" not in s:
            raise AssertionError(f"{path}: cannot parse line: {line!r}")
        k, v = s.split("=", 1)
        cur.append((k.strip(), v.strip()))
    return sections


def unit_values(sections, key, section="Service"):
    """Every value assigned to key, honouring systemd's empty-resets rule."""
    vals = []
    for k, v in sections.get(section, []):
        if k == key:
            if v == "":
                vals = []
            else:
                vals.append(v)
    return vals


def unit_value(sections, key, section="Service"):
    vals = unit_values(sections, key, section)
    return vals[-1] if vals else None


def normalize_caps(caps):
    """'CAP_SYS_ADMIN', 'sys_admin', 'SYS_ADMIN' -> 'CAP_SYS_ADMIN'."""
    out = set()
    for c in caps:
        c = c.strip().upper()
        out.add(c if c.startswith("CAP_") else "CAP_" + c)
    return out


def unit_caps(sections, key):
    """The capability set a unit's CapabilityBoundingSet=/AmbientCapabilities=
    lines give (no ~ inversion is used in ours; refuse it rather than guess)."""
    caps = set()
    for v in unit_values(sections, key):
        if v.startswith("~"):
            raise AssertionError(f"{key}= uses ~; the tests do not model that")
        caps |= normalize_caps(v.split())
    return caps


_groups_cache = None


def syscall_groups():
    """{'@name': [members, including @subgroups]} from systemd-analyze."""
    global _groups_cache
    if _groups_cache is None:
        out = subprocess.run([tool("systemd-analyze"), "syscall-filter"],
                             capture_output=True, text=True, check=True).stdout
        groups, cur = {}, None
        for line in out.splitlines():
            if line.startswith("@"):
                cur = groups.setdefault(line.split()[0], [])
            elif cur is not None and line.strip() and not line.strip().startswith("#"):
                cur.append(line.strip())
        _groups_cache = groups
    return _groups_cache


def expand(names):
    """Syscall names and @groups -> the set of syscall names."""
    groups = syscall_groups()
    out, todo, seen = set(), list(names), set()
    while todo:
        n = todo.pop()
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            if n not in groups:
                raise AssertionError(f"unknown syscall group {n}")
            todo.extend(groups[n])
        else:
            out.add(n)
    return out


def allowed_syscalls(sections):
    """What the unit's SystemCallFilter= lines allow: an allow list, then
    ~deny lists taken away (systemd applies them in order)."""
    allowed = None
    for v in unit_values(sections, "SystemCallFilter"):
        deny = v.startswith("~")
        names = v.lstrip("~").split()
        if deny:
            if allowed is None:
                raise AssertionError("SystemCallFilter= starts with a deny list; "
                                     "expected an allow list first")
            allowed -= expand(names)
        else:
            allowed = (allowed or set()) | expand(names)
    if allowed is None:
        raise AssertionError("the unit has no SystemCallFilter=")
    return allowed


def exposure(unit_path=UNIT):
    """systemd-analyze security --offline=yes: (score, full output)."""
    r = subprocess.run([tool("systemd-analyze"), "security", "--offline=yes", "--no-pager",
                        unit_path], capture_output=True, text=True,
                       env=dict(os.environ, SYSTEMD_COLORS="0", LC_ALL="C.UTF-8"))
    out = r.stdout + r.stderr
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    if not m:
        raise AssertionError(f"no exposure level in systemd-analyze output:\n{out}")
    return float(m.group(1)), out


def help_flags():
    """Every flag `socklife --help` prints, long and short."""
    r = subprocess.run([SOCKLIFE, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"{SOCKLIFE} --help exited {r.returncode}: {r.stderr}")
    longs = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9.-]*)", r.stdout))
    shorts = set(re.findall(r"^\s+(-[A-Za-z0-9]),", r.stdout, re.M))
    return longs, shorts
