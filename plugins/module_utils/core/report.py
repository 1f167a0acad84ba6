# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: findings of many hosts, as JSON for machines and Markdown for people.

Runs on the controller.  Input is what the ``preflight`` module returned per
host (or None for a host that gave no result: unreachable or failed).  The
JSON document is versioned (``report_version``) and documented in
``docs/report-schema.md``.  The input is checked once, here: a finding that
does not fit the schema is a :class:`ReportInputError` naming the host, the
finding and the key (issue 11: a string ``evidence`` crashed the report module
with a bare ValueError).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, List, Mapping, Optional
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.netmedic.network.plugins.module_utils.core import fleet
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import read_text_or_none
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import (
    SCHEMA_VERSION, SEVERITIES, Finding, FindingError, at_least, count_by_severity, kind_of, severity_rank,
    sort_findings, worst_severity)

# Version 1 since the start.  Added within version 1 (compatible: a field was added,
# none removed or changed): hosts.<h>.snapshots (the link counters the postflight
# compares with; absent in older reports, which the postflight still reads); fleet and
# summary.fleet (issue 15: findings across hosts, core/fleet.py).
REPORT_VERSION = 1
NO_RESULT = "no-result"


class ReportInputError(FindingError):
    """The per-host results are not what the preflight module returns; ``str()`` names host, finding and key."""


def _host_result(host: str, res: Any) -> Optional[Mapping[str, Any]]:
    """The host's result if it has findings, None when it gave no result; ReportInputError when malformed."""
    where = "results[%r]" % (host,)
    if res is None or res == {}:
        return None
    if not isinstance(res, Mapping):
        raise ReportInputError("%s must be the preflight module's result (a dictionary) or null, got %s"
                               % (where, kind_of(res)))
    if "findings" not in res:
        return None
    if not isinstance(res["findings"], list):
        raise ReportInputError("%s.findings must be a list, got %s" % (where, kind_of(res["findings"])))
    audits = res.get("audits")
    if audits is not None and (not isinstance(audits, list) or not all(isinstance(a, Mapping) for a in audits)):
        raise ReportInputError("%s.audits must be a list of dictionaries, got %s" % (where, kind_of(audits)))
    snapshots = res.get("snapshots")
    if snapshots is not None and not isinstance(snapshots, Mapping):
        raise ReportInputError("%s.snapshots must be a dictionary, got %s" % (where, kind_of(snapshots)))
    return res


def _findings(host: str, raw: List[Any]) -> List[Finding]:
    out = []
    for n, item in enumerate(raw):
        try:
            out.append(Finding.from_dict(item))
        except FindingError as exc:
            ident = item.get("id") if isinstance(item, Mapping) and isinstance(item.get("id"), str) else None
            raise ReportInputError("results[%r].findings[%d]%s: %s"
                                   % (host, n, (" (%s)" % ident[:40]) if ident else "", exc)) from None
    return out


def build_report(results: Mapping[str, Optional[Mapping[str, Any]]], generated: str,
                 tool: str = "netmedic.network") -> Dict[str, Any]:
    """Assemble the fleet report from per-host preflight results (ReportInputError when malformed)."""
    if not isinstance(results, Mapping):
        raise ReportInputError("results must be a dictionary keyed by host, got %s" % kind_of(results))
    hosts: Dict[str, Any] = {}
    all_findings: List[Finding] = []
    for host in sorted(results, key=str):
        raw = results[host]
        res = _host_result(host, raw)
        host = str(host)
        if res is None:
            msg = raw.get("msg") if isinstance(raw, Mapping) else None
            hosts[host] = {"status": NO_RESULT, "worst": None, "summary": count_by_severity([]),
                           "findings": [], "audits": [], "snapshots": {},
                           "error": str(msg) if msg else "no preflight result (unreachable or failed)"}
            continue
        findings = sort_findings(_findings(host, res["findings"]))
        all_findings.extend(findings)
        hosts[host] = {"status": "ok", "worst": worst_severity(findings), "summary": count_by_severity(findings),
                       "findings": [f.to_dict() for f in findings],
                       "audits": [dict(a) for a in res.get("audits") or []],
                       "snapshots": dict(res.get("snapshots") or {}), "error": None}
    summary = count_by_severity(all_findings)
    summary.update({
        "hosts": len(hosts),
        "hosts_with_findings": sum(1 for h in hosts.values() if h["findings"]),
        "hosts_without_result": sorted(h for h, v in hosts.items() if v["status"] == NO_RESULT),
    })
    across = fleet.findings(hosts)
    summary["fleet"] = count_by_severity(across)
    return {"report_version": REPORT_VERSION, "finding_schema_version": SCHEMA_VERSION, "generated": generated,
            "tool": tool, "summary": summary, "hosts": hosts,
            "fleet": {"checks": sorted(fleet.FLEET_CHECKS), "findings": [f.to_dict() for f in across]}}


def same_content(report: Mapping[str, Any], other: Any) -> bool:
    """True when ``other`` (a parsed earlier report) says the same as ``report``, apart from ``generated``.

    The report module then keeps the earlier timestamp and files: a second run on
    the same results changes nothing (issue 11: every run rewrote them).
    """
    if not isinstance(other, Mapping):
        return False
    mine = json.loads(to_json(report))
    mine.pop("generated", None)
    theirs = dict(other)
    theirs.pop("generated", None)
    return mine == theirs


def read_previous(path: str) -> Any:
    """The JSON report already at ``path``, parsed, or None (missing, unreadable or not JSON: it will be
    replaced).  Its ``generated`` is kept when the new report says the same (``same_content``)."""
    text = read_text_or_none(path)
    try:
        return json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None


def hosts_at_or_above(report: Mapping[str, Any], threshold: str) -> List[str]:
    """Hosts with a finding at ``threshold`` severity or worse."""
    return sorted(h for h, v in report["hosts"].items() if v["worst"] and at_least(v["worst"], threshold))


def _host_order(item):
    host, data = item
    worst = data["worst"]
    rank = -1 if data["status"] == NO_RESULT else (severity_rank(worst) if worst else len(SEVERITIES))
    return (rank, -len(data["findings"]), host)


def to_json(report: Mapping[str, Any], indent: int = 2) -> str:
    """Strict JSON: a non-finite number in a host's evidence is written as a string.

    ``json.dumps`` writes ``NaN``/``Infinity`` by default, which jq, Go and
    JavaScript parsers (dashboards, AWX) refuse.
    """
    return json.dumps(_finite(report), indent=indent, sort_keys=True, separators=(",", ": "), allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'nan', 'inf', '-inf'
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _utf8(text: str) -> str:
    """``text`` that encodes as UTF-8: a lone surrogate from a host's output becomes ``\\udc80``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# Characters XML 1.0 forbids even escaped (control characters, surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def to_markdown(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    out = ["# netmedic preflight report", "",
           "Generated %s by %s." % (report["generated"], report["tool"]), "",
           "| hosts | with findings | without result | critical | warning | info |",
           "|---:|---:|---:|---:|---:|---:|",
           "| %d | %d | %d | %d | %d | %d |" % (
               s["hosts"], s["hosts_with_findings"], len(s["hosts_without_result"]),
               s["critical"], s["warning"], s["info"]), ""]
    if not report["hosts"]:
        out += ["No hosts were audited.", ""]
    across = fleet_findings(report)
    if across:
        out += ["## Across the fleet: %d finding(s)" % len(across), "",
                "| severity | check | subject | summary | fix |", "|---|---|---|---|---|"]
        for f in across:
            cells = (f["severity"], f["id"], _cell(f["subject"] or "-"), _cell(f["summary"]), _cell(_fix_text(f["fix"])))
            out.append("| %s | %s | %s | %s | %s |" % cells)
        out.append("")
    for host, data in sorted(report["hosts"].items(), key=_host_order):
        if data["status"] == NO_RESULT:
            out += ["## %s: no result" % _cell(host), "", _cell(data["error"]), ""]
            continue
        if not data["findings"]:
            out += ["## %s: clean%s" % (_cell(host), _audits_ran(data["audits"])), ""] + _audit_lines(data["audits"])
            continue
        counts = ", ".join("%d %s" % (data["summary"][sev], sev) for sev in SEVERITIES if data["summary"][sev])
        out += ["## %s: %s%s" % (_cell(host), counts, _audits_ran(data["audits"])), "",
                "| severity | check | subject | summary | fix |", "|---|---|---|---|---|"]
        for f in data["findings"]:
            cells = (f["severity"], f["id"], _cell(f["subject"] or "-"), _cell(f["summary"]), _cell(_fix_text(f["fix"])))
            out.append("| %s | %s | %s | %s | %s |" % cells)
        out.append("")
        out += _audit_lines(data["audits"])
    return _utf8("\n".join(out))


# Issue 17: "localhost: clean" while 6 of 8 audits were skipped. Each host says which audits ran,
# which were skipped and why, which failed, and which were not chosen.
_AUDIT_STATUSES = (("ran", "ran"), ("failed", "failed"), ("skipped", "skipped"), ("excluded", "not chosen"))


def _audits_ran(audits: List[Mapping[str, Any]]) -> str:
    if not audits:
        return ""
    return " (%d of %d audits ran)" % (sum(1 for a in audits if a.get("status") in ("ran", "failed")), len(audits))


def _seconds(value: Any) -> str:
    """``0.02 s``; what a hand-written result puts there otherwise, as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return "%.2f s" % value
    return "duration %s" % (value,)


def _audit_lines(audits: List[Mapping[str, Any]]) -> List[str]:
    lines = []
    for status, label in _AUDIT_STATUSES:
        names = []
        for a in audits:
            if a.get("status") != status:
                continue
            if status == "ran":
                names.append("%s (%s)" % (a.get("name"), _seconds(a.get("duration"))))
            elif status == "failed":
                names.append("%s (%s)" % (a.get("name"), str(a.get("error") or "see NM-CORE-001").splitlines()[0][:120]))
            elif status == "skipped" and a.get("reason"):
                names.append("%s (%s)" % (a.get("name"), a.get("reason")))
            else:
                names.append(str(a.get("name")))
        if names:
            lines.append("- %s: %s" % (label, _cell(", ".join(names))))
    return lines + [""] if lines else []


def _fix_text(fix: Optional[Mapping[str, Any]]) -> str:
    if not fix:
        return "-"
    if fix.get("module"):
        params = ", ".join("%s=%s" % (k, json.dumps(v)) for k, v in sorted((fix.get("params") or {}).items()))
        return "`%s`%s" % (fix["module"], (" (%s)" % params) if params else "")
    if fix.get("role"):
        return "role `%s`" % fix["role"]
    return fix.get("manual") or "-"


def fleet_findings(report: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """The fleet checks' findings of a report (none in reports written before issue 15)."""
    return (report.get("fleet") or {}).get("findings") or []


def summary_line(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    line = "%d host(s): %d critical, %d warning, %d info" % (s["hosts"], s["critical"], s["warning"], s["info"])
    across = s.get("fleet") or {}
    if any(across.values()):
        line += "; across the fleet: %s" % ", ".join("%d %s" % (across[sev], sev) for sev in SEVERITIES if across.get(sev))
    if s["hosts_without_result"]:
        line += "; no result from %s" % ", ".join(s["hosts_without_result"])
    return line


def to_junit(report: Mapping[str, Any], fail_on: str = "warning") -> str:
    """JUnit XML: a test suite per host, a test case per finding.

    Findings at ``fail_on`` or worse are failures; milder ones are passing
    cases carrying the summary; a host without result is an error.  CI systems
    (GitLab, Jenkins, GitHub test reporters) then show findings as test results.
    """
    suites = []
    total = failures = errors = 0
    across = fleet_findings(report)
    suites_in = sorted(report["hosts"].items()) + ([("(fleet)", {"status": "ok", "findings": across})] if across else [])
    for host, data in suites_in:
        cases = []
        h_fail = h_err = 0
        if data["status"] == NO_RESULT:
            h_err = 1
            cases.append('    <testcase classname=%s name="preflight"><error message=%s/></testcase>'
                         % (quoteattr(host), quoteattr(str(data["error"]))))
        elif not data["findings"]:
            cases.append('    <testcase classname=%s name="preflight"/>' % quoteattr(host))
        for f in data["findings"]:
            name = f["id"] + ((" " + f["subject"]) if f["subject"] else "")
            body = escape(json.dumps({"evidence": f["evidence"], "fix": f["fix"], "incident": f["incident"]},
                                     sort_keys=True))
            if fail_on != "never" and at_least(f["severity"], fail_on):
                h_fail += 1
                cases.append('    <testcase classname=%s name=%s><failure type=%s message=%s>%s</failure></testcase>'
                             % (quoteattr(host), quoteattr(name), quoteattr(f["severity"]),
                                quoteattr(f["summary"]), body))
            else:
                cases.append('    <testcase classname=%s name=%s><system-out>%s: %s</system-out></testcase>'
                             % (quoteattr(host), quoteattr(name), escape(f["severity"]), escape(f["summary"])))
        total += len(cases)
        failures += h_fail
        errors += h_err
        suites.append('  <testsuite name=%s tests="%d" failures="%d" errors="%d">\n%s\n  </testsuite>'
                      % (quoteattr(host), len(cases), h_fail, h_err, "\n".join(cases)))
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="netmedic preflight" tests="%d" '
            'failures="%d" errors="%d">\n%s\n</testsuites>\n' % (total, failures, errors, "\n".join(suites)))
    # a control character from a host's output would make the whole file unreadable to CI
    return _XML_INVALID.sub("\ufffd", text)
