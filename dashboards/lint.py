#!/usr/bin/env python3
"""Lint socklife's Grafana dashboards and Prometheus rules.

    python3 dashboards/lint.py [--promtool /usr/bin/promtool] [DIR]

DIR defaults to the directory of this script.  Checks:

  dashboards (DIR/*.json)
    - valid JSON; "uid" (<= 40 chars of [A-Za-z0-9_-]), "title" and an integer
      "schemaVersion" >= 39 are set; uids are unique across dashboards
    - "__inputs" declares DS_PROMETHEUS (a prometheus datasource), and the
      templating list has a variable "datasource" of type "datasource" with
      query "prometheus"
    - every panel (rows excepted) and every target, query variable and
      annotation query uses the datasource {"type": "prometheus",
      "uid": "${datasource}"}; no datasource uid is hard-coded anywhere
    - every panel has a title; every panel but rows has a description, a
      unit (fieldConfig.defaults.unit) and at least one target with an expr;
      panel ids and titles are unique within a dashboard
    - every panel lies on Grafana's 24-column grid: gridPos has integer x, y,
      w, h with x, y >= 0, w, h >= 1 and x + w <= 24; a row is x 0, w 24,
      h 1; no two panels overlap (the panels inside a collapsed row are
      checked among themselves, as Grafana places them under the row)
    - every $variable used in an expr is defined (or is a Grafana built-in)
    - every metric name in an expr or label_values() query is in
      DIR/metrics.txt, the machine-readable metric contract
  rules (DIR/rules/socklife.rules.yml)
    - every rule is a record or an alert with an expr; every metric name in
      an expr is in metrics.txt, recorded by another rule, or synthesised by
      Prometheus itself (up)
    - every alert has `for:`, labels.severity warning|critical, and the
      annotations summary, description and runbook_url; runbook_url is
      "dashboards/README.md#<anchor>" and DIR/README.md has that heading
  rule tests (DIR/rules/socklife.rules.test.yml)
    - every alert has at least one test where it fires and one where it is
      expected silent (exp_alerts: [])
  with --promtool, also: every dashboard expr parses as PromQL (Grafana
  variables replaced by sample values), via `promtool check rules`.

Python 3 and PyYAML (Debian: python3-yaml).  YAML is read as yaml.safe_load
reads it, except that a key given twice is an error (promtool rejects it
too); malformed YAML is reported at its file, line and column.  Exits 0 when
clean, 1 with one line per problem otherwise, 2 on bad usage.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("lint.py: needs PyYAML (Debian: apt-get install python3-yaml)", file=sys.stderr)
    sys.exit(2)

# ---------------------------------------------------------------------- YAML


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load's loader, except that a key given twice in a mapping is
    an error, as it is for promtool, rather than the last one silently winning."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" keys may be overridden by design
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_yaml(path):
    """The one YAML document in `path`; raises OSError or yaml.YAMLError."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_UniqueKeyLoader)


# ------------------------------------------------------------- PromQL names

AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar",
                "count", "count_values", "bottomk", "topk", "quantile",
                "limitk", "limit_ratio"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan", "atan2"}
FUNCTIONS = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh",
    "atan", "atanh", "avg_over_time", "ceil", "changes", "clamp", "clamp_max",
    "clamp_min", "cos", "cosh", "count_over_time", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv",
    "exp", "floor", "histogram_avg", "histogram_count", "histogram_fraction",
    "histogram_quantile", "histogram_stddev", "histogram_stdvar",
    "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate",
    "label_join", "label_replace", "last_over_time", "ln", "log10", "log2",
    "mad_over_time", "max_over_time", "min_over_time", "minute", "month",
    "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad",
    "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort",
    "sort_desc", "sort_by_label", "sort_by_label_desc", "sqrt",
    "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh",
    "time", "timestamp", "vector", "year", "start", "end",
}
# Grafana's built-in variables, and what to put in their place for promtool.
GRAFANA_BUILTINS = {"__rate_interval": "5m", "__interval": "1m",
                    "__range": "1h", "__range_s": "3600", "__range_ms": "3600000",
                    "__interval_ms": "60000", "__auto": ""}
# Grafana lays a dashboard out on a grid this many columns wide.
GRID_COLUMNS = 24
# Series Prometheus itself writes for every target or rule.
SYNTHETIC_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                    "scrape_samples_post_metric_relabeling",
                    "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE"}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\]\]")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def grafana_variables(expr):
    return {a or b or c for a, b, c in _VAR.findall(expr)}


def substitute_variables(expr):
    """Replace Grafana variables by values that keep the PromQL valid."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return GRAFANA_BUILTINS.get(name, "x")
    return _VAR.sub(repl, expr)


def metric_names(expr):
    """Metric names an expression selects (a light lexer, not a parser).

    Skips strings, label matchers {...}, ranges [...], numbers and durations,
    keywords, label lists of by/without/on/ignoring/group_*, and function and
    aggregation names.  Returns (names, unknown_functions).
    """
    src = substitute_variables(expr)
    names, unknown = set(), set()
    i, n = 0, len(src)

    def skip_balanced(i, open_ch, close_ch):
        depth, quote = 0, None
        while i < n:
            ch = src[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = None
            elif ch in "\"'`":
                quote = ch
            elif ch == open_ch:
                depth += 1
            elif ch == close_ch:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i

    def next_nonspace(i):
        while i < n and src[i].isspace():
            i += 1
        return i

    while i < n:
        ch = src[i]
        if ch == "#":  # PromQL comment
            while i < n and src[i] != "\n":
                i += 1
        elif ch in "\"'`":
            j = i + 1
            while j < n and src[j] != ch:
                j += 2 if src[j] == "\\" and ch != "`" else 1
            i = j + 1
        elif ch == "{":
            i = skip_balanced(i, "{", "}")
        elif ch == "[":
            i = skip_balanced(i, "[", "]")
        elif ch.isdigit() or (ch == "." and i + 1 < n and src[i + 1].isdigit()):
            i += 1
            while i < n and (src[i].isalnum() or src[i] in "._"):
                i += 1
        elif _IDENT.match(src, i):
            word = _IDENT.match(src, i).group(0)
            i += len(word)
            j = next_nonspace(i)
            nxt = src[j] if j < n else ""
            low = word.lower()
            if low in LABEL_LIST_KEYWORDS:
                if nxt == "(":
                    i = skip_balanced(j, "(", ")")
            elif low in KEYWORDS:
                pass
            elif word in AGGREGATIONS and (nxt == "(" or src.startswith(("by", "without"), j)):
                pass
            elif nxt == "(":
                if word not in FUNCTIONS:
                    unknown.add(word)
            else:
                names.add(word)
        else:
            i += 1
    return names, unknown


def label_values_metric(query):
    """The metric part of a Grafana label_values() variable query."""
    m = re.fullmatch(r"\s*label_values\(\s*(?:(.+?)\s*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", query)
    if not m:
        return None
    return m.group(1) or ""


# ------------------------------------------------------------------ checks


class Linter:
    def __init__(self, root, promtool=None):
        self.root = root
        self.promtool = promtool
        self.problems = []
        self.contract = set()
        self.recorded = set()
        self.dashboard_exprs = []  # (where, expr) for the promtool pass

    def fail(self, where, msg):
        self.problems.append(f"{where}: {msg}")

    def rel(self, path):
        return os.path.relpath(path, os.path.dirname(self.root) or ".")

    def fail_unreadable(self, where, e):
        """Report a YAML file that cannot be read, at the line and column of a
        yaml.MarkedYAMLError, with its context (e.g. where a mapping began)."""
        mark = getattr(e, "problem_mark", None)
        if isinstance(e, OSError):
            self.fail(where, f"cannot read: {e.strerror}")
        elif mark is None:
            self.fail(where, f"invalid YAML: {one_line(e)}")
        else:
            msg = f"invalid YAML: {e.problem}"
            if e.context and e.context_mark and e.context_mark.line != mark.line:
                msg += f" ({e.context} at line {e.context_mark.line + 1})"
            elif e.context:
                msg += f" ({e.context})"
            self.fail(f"{where}:{mark.line + 1}:{mark.column + 1}", msg)

    # metrics.txt
    def load_contract(self):
        path = os.path.join(self.root, "metrics.txt")
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except OSError as e:
            self.fail(self.rel(path), f"cannot read the metric contract: {e.strerror}")
            return
        for no, line in enumerate(lines, 1):
            name = line.split("#", 1)[0].strip()
            if not name:
                continue
            if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", name):
                self.fail(f"{self.rel(path)}:{no}", f"not a metric name: {name!r}")
            elif name in self.contract:
                self.fail(f"{self.rel(path)}:{no}", f"{name} listed twice")
            self.contract.add(name)
        if not self.contract:
            self.fail(self.rel(path), "no metric names")

    def check_expr(self, where, expr, allowed_extra=()):
        if not isinstance(expr, str) or not expr.strip():
            self.fail(where, "empty expr")
            return
        names, unknown = metric_names(expr)
        for fn in sorted(unknown):
            self.fail(where, f"unknown PromQL function {fn}() in: {one_line(expr)}")
        for name in sorted(names):
            if name in self.contract or name in allowed_extra or name in SYNTHETIC_SERIES:
                continue
            self.fail(where, f"metric {name} is not in the metric contract (metrics.txt): {one_line(expr)}")

    # dashboards
    def check_datasource_ref(self, where, ds):
        if ds != {"type": "prometheus", "uid": "${datasource}"}:
            self.fail(where, 'datasource must be {"type": "prometheus", "uid": "${datasource}"}, '
                      f"got {json.dumps(ds)}")

    def walk_datasources(self, where, node, path="$"):
        """No datasource anywhere may name a concrete uid."""
        if isinstance(node, dict):
            for k, v in node.items():
                p = f"{path}.{k}"
                if k == "datasource" and v is not None:
                    grafana_builtin = v == {"type": "grafana", "uid": "-- Grafana --"}
                    ok = grafana_builtin or v in ("${datasource}", "$datasource") or (
                        isinstance(v, dict) and v.get("uid") in ("${datasource}", "$datasource"))
                    if not ok:
                        self.fail(where, f"{p}: hard-coded datasource {json.dumps(v)}; use ${{datasource}}")
                self.walk_datasources(where, v, p)
        elif isinstance(node, list):
            for idx, v in enumerate(node):
                self.walk_datasources(where, v, f"{path}[{idx}]")

    def check_dashboard(self, path, uids):
        where = self.rel(path)
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            self.fail(where, f"not valid JSON: {e}")
            return
        if not isinstance(d, dict):
            self.fail(where, "top level is not a JSON object")
            return
        uid = d.get("uid")
        if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
            self.fail(where, f'"uid" must be 1-40 characters of [A-Za-z0-9_-], got {uid!r}')
        elif uid in uids:
            self.fail(where, f'uid {uid!r} is also used by {uids[uid]}')
        else:
            uids[uid] = where
        if not (isinstance(d.get("title"), str) and d["title"].strip()):
            self.fail(where, 'dashboard has no "title"')
        sv = d.get("schemaVersion")
        if not isinstance(sv, int) or isinstance(sv, bool) or sv < 39:
            self.fail(where, f'"schemaVersion" must be an integer >= 39, got {sv!r}')
        if d.get("id") is not None:
            self.fail(where, '"id" must be null so that importing never overwrites another dashboard')

        inputs = d.get("__inputs") or []
        if not any(isinstance(x, dict) and x.get("name") == "DS_PROMETHEUS"
                   and x.get("type") == "datasource" and x.get("pluginId") == "prometheus"
                   for x in inputs):
            self.fail(where, '"__inputs" must declare DS_PROMETHEUS (type datasource, pluginId prometheus)')

        variables = (d.get("templating") or {}).get("list") or []
        defined = set(GRAFANA_BUILTINS)
        ds_vars = [v for v in variables if isinstance(v, dict) and v.get("name") == "datasource"]
        if not ds_vars:
            self.fail(where, 'no template variable named "datasource"')
        elif ds_vars[0].get("type") != "datasource" or ds_vars[0].get("query") != "prometheus":
            self.fail(where, 'variable "datasource" must have type "datasource" and query "prometheus"')
        for v in variables:
            if not isinstance(v, dict) or not v.get("name"):
                self.fail(where, f"template variable without a name: {v!r}")
                continue
            defined.add(v["name"])
        for v in variables:
            if not isinstance(v, dict) or v.get("type") != "query":
                continue
            vw = f"{where}: variable {v.get('name')}"
            self.check_datasource_ref(vw, v.get("datasource"))
            q = v.get("query")
            if isinstance(q, dict):
                q = q.get("query")
            if not isinstance(q, str) or not q.strip():
                self.fail(vw, "query variable without a query")
                continue
            self.check_variables_used(vw, q, defined)
            lv = label_values_metric(q)
            if lv is None:
                self.fail(vw, f"expected a label_values(...) query, got {q!r}")
            elif lv:
                self.check_expr(vw, lv)
                self.dashboard_exprs.append((vw, lv))

        for ann in (d.get("annotations") or {}).get("list") or []:
            if not isinstance(ann, dict) or ann.get("builtIn"):
                continue
            aw = f"{where}: annotation {ann.get('name')!r}"
            self.check_datasource_ref(aw, ann.get("datasource"))
            expr = ann.get("expr") or (ann.get("target") or {}).get("expr")
            self.check_expr(aw, expr)
            if expr:
                self.check_variables_used(aw, expr, defined)
                self.dashboard_exprs.append((aw, expr))

        panels = list(iter_panels(d.get("panels") or []))
        if not panels:
            self.fail(where, "no panels")
        self.check_grid(where, d.get("panels") or [])
        ids, titles = {}, {}
        for p in panels:
            title = p.get("title")
            pw = f"{where}: {panel_name(p)}"
            if not (isinstance(title, str) and title.strip()):
                self.fail(pw, "panel has no title")
            elif title in titles:
                self.fail(pw, "two panels have this title")
            titles[title] = True
            pid = p.get("id")
            if not isinstance(pid, int) or pid in ids:
                self.fail(pw, f"panel id {pid!r} missing or not unique")
            ids[pid] = True
            if p.get("type") == "row":
                continue  # rows only group panels: no query, no unit
            if not (isinstance(p.get("description"), str) and p["description"].strip()):
                self.fail(pw, "panel has no description")
            unit = ((p.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
            if not (isinstance(unit, str) and unit.strip()):
                self.fail(pw, "panel has no unit (fieldConfig.defaults.unit)")
            self.check_datasource_ref(pw, p.get("datasource"))
            targets = p.get("targets") or []
            if not targets:
                self.fail(pw, "panel has no targets")
            refids = set()
            for t in targets:
                tw = f"{pw} target {t.get('refId')!r}"
                if t.get("refId") in refids or not t.get("refId"):
                    self.fail(tw, "refId missing or not unique")
                refids.add(t.get("refId"))
                self.check_datasource_ref(tw, t.get("datasource"))
                expr = t.get("expr")
                self.check_expr(tw, expr)
                if isinstance(expr, str) and expr.strip():
                    self.check_variables_used(tw, expr, defined)
                    self.dashboard_exprs.append((tw, expr))
        self.walk_datasources(where, d)

    def check_grid(self, where, panels):
        """Every panel lies on Grafana's grid and no two panels of `panels`
        overlap.  `panels` is a dashboard's top-level list, where a row is a
        line of its own, or the panels a collapsed row holds: Grafana moves
        those under the row, all by the same amount, when it is expanded, so
        they only need to fit among themselves."""
        placed = []  # (panel name, (x, y, w, h))
        for p in panels:
            if not isinstance(p, dict):
                continue
            pw = f"{where}: {panel_name(p)}"
            rect = self.grid_rect(pw, p)
            if rect:
                for other_name, other in placed:
                    if rects_overlap(rect, other):
                        self.fail(pw, "gridPos x {} y {} w {} h {} overlaps ".format(*rect)
                                  + other_name)
                placed.append((panel_name(p), rect))
            if p.get("type") == "row":
                self.check_grid(where, p.get("panels") or [])

    def grid_rect(self, pw, p):
        """(x, y, w, h) of a panel's gridPos, or None after reporting why it
        is not a place on the grid."""
        gp = p.get("gridPos")
        if not (isinstance(gp, dict) and all(type(gp.get(k)) is int for k in "hwxy")):
            self.fail(pw, "gridPos {h, w, x, y} missing or not integers")
            return None
        x, y, w, h = (gp[k] for k in "xywh")
        if p.get("type") == "row" and (x, w, h) != (0, GRID_COLUMNS, 1):
            self.fail(pw, f"a row's gridPos must be x 0, w {GRID_COLUMNS}, h 1, got x {x} w {w} h {h}")
        elif x < 0 or y < 0 or w < 1 or h < 1:
            self.fail(pw, f"gridPos needs x >= 0, y >= 0, w >= 1, h >= 1, got x {x} y {y} w {w} h {h}")
        elif x + w > GRID_COLUMNS:
            self.fail(pw, f"gridPos x {x} w {w} ends at column {x + w}, "
                      f"past the {GRID_COLUMNS} columns of Grafana's grid")
        else:
            return x, y, w, h
        return None

    def check_variables_used(self, where, expr, defined):
        for name in sorted(grafana_variables(expr) - defined):
            self.fail(where, f"uses ${name}, which is not a template variable: {one_line(expr)}")

    # rules
    def check_rules(self, path, readme_anchors):
        """The alert names, or None when there are no rules to read."""
        where = self.rel(path)
        try:
            doc = load_yaml(path)
        except (OSError, yaml.YAMLError) as e:
            self.fail_unreadable(where, e)
            return None
        groups = doc.get("groups") if isinstance(doc, dict) else None
        if not isinstance(groups, list) or not groups:
            self.fail(where, "no rule groups")
            return None
        rules = []
        for g in groups:
            if not isinstance(g, dict) or not isinstance(g.get("rules"), list):
                self.fail(where, f"group {g!r} has no rules list")
                continue
            for r in g["rules"]:
                if isinstance(r, dict):
                    rules.append((g.get("name"), r))
        self.recorded = {r["record"] for _, r in rules if isinstance(r.get("record"), str)}
        alerts = []
        for gname, r in rules:
            kind = "record" if "record" in r else "alert" if "alert" in r else None
            name = r.get(kind) if kind else None
            rw = f"{where}: {kind or 'rule'} {name or '?'}"
            if not kind or not (isinstance(name, str) and name):
                self.fail(rw, f"rule in group {gname} is neither a record nor an alert")
                continue
            self.check_expr(rw, r.get("expr"), self.recorded)
            if kind != "alert":
                continue
            alerts.append(name)
            if not r.get("for"):
                self.fail(rw, "alert without `for:` fires on a single evaluation")
            sev = (r.get("labels") or {}).get("severity")
            if sev not in ("warning", "critical"):
                self.fail(rw, f"labels.severity must be warning or critical, got {sev!r}")
            ann = r.get("annotations") or {}
            for key in ("summary", "description", "runbook_url"):
                if not (isinstance(ann.get(key), str) and ann[key].strip()):
                    self.fail(rw, f"annotation {key} missing")
            url = ann.get("runbook_url")
            if isinstance(url, str) and url.strip():
                m = re.fullmatch(r"dashboards/README\.md#([a-z0-9_-]+)", url)
                if not m:
                    self.fail(rw, f'runbook_url must be "dashboards/README.md#<anchor>", got {url!r}')
                elif m.group(1) not in readme_anchors:
                    self.fail(rw, f"runbook_url anchor #{m.group(1)} has no heading in dashboards/README.md")
                elif m.group(1) != name.lower():
                    self.fail(rw, f"runbook_url anchor should be #{name.lower()}")
        if len(set(alerts)) != len(alerts):
            self.fail(where, "an alert name is used twice")
        return alerts

    def check_rule_tests(self, path, alerts):
        where = self.rel(path)
        try:
            doc = load_yaml(path)
        except (OSError, yaml.YAMLError) as e:
            self.fail_unreadable(where, e)
            return
        if alerts is None:
            return  # no rules to hold the tests against; that is reported
        fires, silent = set(), set()
        for t in (doc or {}).get("tests") or []:
            for a in (t or {}).get("alert_rule_test") or []:
                name = (a or {}).get("alertname")
                exp = (a or {}).get("exp_alerts")
                if exp in (None, [], ""):
                    silent.add(name)
                else:
                    fires.add(name)
        for name in alerts:
            if name not in fires:
                self.fail(where, f"no test in which {name} fires")
            if name not in silent:
                self.fail(where, f"no test in which {name} stays silent (exp_alerts: [])")
        for name in sorted((fires | silent) - set(alerts)):
            self.fail(where, f"tests an alert that the rules do not define: {name}")

    def check_promql_syntax(self):
        """Let promtool parse every dashboard expression."""
        rules = ["groups:", "  - name: dashboard-exprs", "    rules:"]
        for k, (_, expr) in enumerate(self.dashboard_exprs):
            rules.append(f"      - record: dashboard_expr_{k}")
            rules.append(f"        expr: {json.dumps(substitute_variables(expr))}")
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write("\n".join(rules) + "\n")
            tmp = f.name
        try:
            out = subprocess.run([self.promtool, "check", "rules", tmp],
                                 capture_output=True, text=True, timeout=60)
        except OSError as e:
            self.fail("promtool", f"cannot run {self.promtool}: {e.strerror}")
            return
        finally:
            os.unlink(tmp)
        if out.returncode != 0:
            text = out.stdout + out.stderr
            bad = {int(k) for k in re.findall(r"dashboard_expr_(\d+)", text)}
            for k in sorted(bad):
                w, expr = self.dashboard_exprs[k]
                self.fail(w, f"promtool cannot parse: {one_line(expr)}")
            if not bad:
                self.fail("promtool", "check rules failed: " + one_line(text))

    def run(self):
        self.load_contract()
        readme = os.path.join(self.root, "README.md")
        anchors = readme_anchors(readme)
        if anchors is None:
            self.fail(self.rel(readme), "cannot read")
            anchors = set()
        dashboards = sorted(f for f in os.listdir(self.root) if f.endswith(".json"))
        if not dashboards:
            self.fail(self.rel(self.root), "no dashboards (*.json)")
        uids = {}
        for name in dashboards:
            self.check_dashboard(os.path.join(self.root, name), uids)
        rules = os.path.join(self.root, "rules", "socklife.rules.yml")
        alerts = self.check_rules(rules, anchors)
        self.check_rule_tests(os.path.join(self.root, "rules", "socklife.rules.test.yml"), alerts)
        if self.promtool and self.dashboard_exprs:
            self.check_promql_syntax()
        return dashboards, alerts or []


def panel_name(p):
    title = p.get("title")
    return f"panel {title!r}" if title else f"panel id {p.get('id')}"


def rects_overlap(a, b):
    """Whether two (x, y, w, h) rectangles of grid cells share a cell."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def iter_panels(panels):
    for p in panels:
        if isinstance(p, dict):
            yield p
            yield from iter_panels(p.get("panels") or [])


def one_line(text):
    return " ".join(str(text).split())


def readme_anchors(path):
    """GitHub-style anchors of the Markdown headings in `path`."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    anchors, seen = set(), {}
    in_code = False
    for line in text.split("\n"):
        if line.startswith("```"):
            in_code = not in_code
            continue
        m = None if in_code else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
        if slug in seen:
            seen[slug] += 1
            slug = f"{slug}-{seen[slug]}"
        else:
            seen[slug] = 0
        anchors.add(slug)
    return anchors


def main(argv):
    args, promtool = [], None
    it = iter(argv[1:])
    for a in it:
        if a == "--promtool":
            promtool = next(it, None)
            if not promtool:
                print("usage: lint.py [--promtool PATH] [DIR]", file=sys.stderr)
                return 2
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-"):
            print(f"lint.py: unknown option {a}\nusage: lint.py [--promtool PATH] [DIR]", file=sys.stderr)
            return 2
        else:
            args.append(a)
    if len(args) > 1:
        print("usage: lint.py [--promtool PATH] [DIR]", file=sys.stderr)
        return 2
    root = os.path.abspath(args[0] if args else os.path.dirname(os.path.abspath(__file__)))
    linter = Linter(root, promtool)
    dashboards, alerts = linter.run()
    if linter.problems:
        for p in linter.problems:
            print(f"lint: {p}", file=sys.stderr)
        print(f"lint: FAILED, {len(linter.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"lint: OK: {len(dashboards)} dashboards, {len(linter.dashboard_exprs)} dashboard queries, "
          f"{len(alerts)} alerts, {len(linter.recorded)} recording rules, "
          f"{len(linter.contract)} contract metrics"
          + (", PromQL parsed by promtool" if promtool else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
