# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: findings of many hosts, as JSON for machines and Markdown for people.

Runs on the controller.  Input is what the ``preflight`` module returned per
host (or None for a host that gave no result: unreachable or failed).  The
JSON document is versioned (``report_version``) and documented in
``docs/report-schema.md``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.netmedic.network.plugins.module_utils.findings import (
    SCHEMA_VERSION, SEVERITIES, Finding, at_least, count_by_severity, severity_rank, sort_findings, worst_severity)

REPORT_VERSION = 1
NO_RESULT = "no-result"


def build_report(results: Mapping[str, Optional[Mapping[str, Any]]], generated: str,
                 tool: str = "netmedic.network") -> Dict[str, Any]:
    """Assemble the fleet report from per-host preflight results."""
    hosts: Dict[str, Any] = {}
    all_findings: List[Finding] = []
    for host in sorted(results):
        res = results[host]
        if not res or "findings" not in res:
            hosts[host] = {"status": NO_RESULT, "worst": None, "summary": count_by_severity([]),
                           "findings": [], "audits": [],
                           "error": (res or {}).get("msg") or "no preflight result (unreachable or failed)"}
            continue
        findings = sort_findings(Finding.from_dict(f) for f in res["findings"])
        all_findings.extend(findings)
        hosts[host] = {"status": "ok", "worst": worst_severity(findings), "summary": count_by_severity(findings),
                       "findings": [f.to_dict() for f in findings], "audits": list(res.get("audits") or []),
                       "error": None}
    summary = count_by_severity(all_findings)
    summary.update({
        "hosts": len(hosts),
        "hosts_with_findings": sum(1 for h in hosts.values() if h["findings"]),
        "hosts_without_result": sorted(h for h, v in hosts.items() if v["status"] == NO_RESULT),
    })
    return {"report_version": REPORT_VERSION, "finding_schema_version": SCHEMA_VERSION, "generated": generated,
            "tool": tool, "summary": summary, "hosts": hosts}


def hosts_at_or_above(report: Mapping[str, Any], threshold: str) -> List[str]:
    """Hosts with a finding at ``threshold`` severity or worse."""
    return sorted(h for h, v in report["hosts"].items() if v["worst"] and at_least(v["worst"], threshold))


def _host_order(item):
    host, data = item
    worst = data["worst"]
    rank = -1 if data["status"] == NO_RESULT else (severity_rank(worst) if worst else len(SEVERITIES))
    return (rank, -len(data["findings"]), host)


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


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
    for host, data in sorted(report["hosts"].items(), key=_host_order):
        if data["status"] == NO_RESULT:
            out += ["## %s: no result" % host, "", _cell(data["error"]), ""]
            continue
        if not data["findings"]:
            out += ["## %s: clean" % host, ""]
            continue
        counts = ", ".join("%d %s" % (data["summary"][sev], sev) for sev in SEVERITIES if data["summary"][sev])
        out += ["## %s: %s" % (host, counts), "",
                "| severity | check | subject | summary | fix |", "|---|---|---|---|---|"]
        for f in data["findings"]:
            cells = (f["severity"], f["id"], _cell(f["subject"] or "-"), _cell(f["summary"]), _cell(_fix_text(f["fix"])))
            out.append("| %s | %s | %s | %s | %s |" % cells)
        out.append("")
    return "\n".join(out)


def _fix_text(fix: Optional[Mapping[str, Any]]) -> str:
    if not fix:
        return "-"
    if fix.get("module"):
        params = ", ".join("%s=%s" % (k, json.dumps(v)) for k, v in sorted((fix.get("params") or {}).items()))
        return "`%s`%s" % (fix["module"], (" (%s)" % params) if params else "")
    if fix.get("role"):
        return "role `%s`" % fix["role"]
    return fix.get("manual") or "-"


def summary_line(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    line = "%d host(s): %d critical, %d warning, %d info" % (s["hosts"], s["critical"], s["warning"], s["info"])
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
    for host, data in sorted(report["hosts"].items()):
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
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="netmedic preflight" tests="%d" '
            'failures="%d" errors="%d">\n%s\n</testsuites>\n' % (total, failures, errors, "\n".join(suites)))
