# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings as Prometheus metrics, for node_exporter's textfile collector.

Operators watch these conditions all the time, not only before maintenance
(ipmi_exporter issue #47 asks for exactly the BMC LAN-mode watch; node_exporter
exports a bond's slave counts but not its ``arp_validate``).  The preflight
role writes one host's metrics on that host (``host_metrics``); the report step
writes the fleet's on the controller, one ``host`` label per host
(``fleet_metrics``).  Text exposition format 0.0.4:
https://prometheus.io/docs/instrumenting/exposition_formats/

Series (every one a gauge):

- ``netmedic_finding{id, severity, subject, audit}``: the findings, 1 each (2 when the
  same check names the same subject twice); a clean host has none.
- ``netmedic_findings{severity}``: how many findings of each severity (0 included, so
  an alert on ``> 0`` sees a host that became clean).
- ``netmedic_audit_status{audit, status}``: 1 for the audit's status (ran, skipped,
  failed, excluded), 0 for the others: a state set.
- ``netmedic_audit_duration_seconds{audit}``: how long each audit took.
- ``netmedic_last_run_timestamp_seconds``: when the preflight ran (Unix time).
- fleet only: ``netmedic_host_result{host}``: 1 when the host gave a result, 0 when it
  was unreachable or its audit task failed (its other series are then absent).

Standard library only: the host's metrics are rendered on the managed host.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import read_text, write_atomic
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import SEVERITIES

PREFIX = "netmedic_"
AUDIT_STATUSES = ("ran", "skipped", "failed", "excluded")
NO_RESULT = "no-result"   # core/report.py's status of a host that gave no result

_HELP = {
    "finding": "A netmedic finding on the host (1; 2 or more when one check names the same subject again).",
    "findings": "Number of netmedic findings on the host, by severity.",
    "audit_status": "Status of each netmedic audit in the last run (1 for the current status).",
    "audit_duration_seconds": "Seconds each netmedic audit took in the last run.",
    "last_run_timestamp_seconds": "Unix time of the last netmedic preflight run.",
    "host_result": "1 when the host gave a preflight result, 0 when it was unreachable or its audit failed.",
}
_ORDER = ("host_result", "finding", "findings", "audit_status", "audit_duration_seconds", "last_run_timestamp_seconds")

Labels = Tuple[Tuple[str, str], ...]


class MetricsInputError(ValueError):
    """The result or report does not have the shape the preflight gives it."""


def escape_label(value: Any) -> str:
    """A label value: backslash, double quote and line feed escaped; valid UTF-8 (a host's odd bytes kept visible)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetricsInputError("not a number: %r" % (value,))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if float(value).is_integer() and abs(value) < 2 ** 53 else repr(float(value))


class _Series:
    """Samples by metric name and label set; a repeated label set adds up (Prometheus refuses duplicates)."""

    def __init__(self) -> None:
        self.samples: Dict[str, Dict[Labels, float]] = {}

    def add(self, name: str, labels: Mapping[str, Any], value: float, accumulate: bool = False) -> None:
        key = tuple((k, "" if labels[k] is None else str(labels[k])) for k in sorted(labels))
        metric = self.samples.setdefault(name, {})
        metric[key] = metric.get(key, 0) + value if accumulate else value

    def render(self) -> str:
        out: List[str] = []
        for name in _ORDER:
            if name not in self.samples:
                continue
            full = PREFIX + name
            out.append("# HELP %s %s" % (full, _HELP[name]))
            out.append("# TYPE %s gauge" % full)
            for labels, value in sorted(self.samples[name].items()):
                text = ",".join('%s="%s"' % (k, escape_label(v)) for k, v in labels)
                out.append("%s%s %s" % (full, "{%s}" % text if text else "", _number(value)))
        return "\n".join(out) + "\n"


def _finding_audits(audits: Iterable[Mapping[str, Any]]) -> Dict[str, str]:
    """Check id -> the audit that looks for it (from each audit's ``checks``)."""
    owner: Dict[str, str] = {}
    for a in audits:
        checks = a.get("checks")
        for check in checks if isinstance(checks, list) else []:
            if isinstance(check, str):
                owner.setdefault(check, str(a.get("name")))
    return owner


def _add_host(series: _Series, result: Mapping[str, Any], base: Mapping[str, str]) -> None:
    findings = result.get("findings")
    audits = result.get("audits") or []
    if not isinstance(findings, list) or not all(isinstance(f, Mapping) for f in findings):
        raise MetricsInputError("findings must be a list of findings (the preflight module's result)")
    if not isinstance(audits, list) or not all(isinstance(a, Mapping) for a in audits):
        raise MetricsInputError("audits must be a list of dictionaries (the preflight module's result)")
    owner = _finding_audits(audits)
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        severity = f.get("severity")
        if not isinstance(severity, str) or severity not in counts:
            raise MetricsInputError("finding %r has severity %r, not one of %s"
                                    % (f.get("id"), severity, ", ".join(SEVERITIES)))
        counts[severity] += 1
        check = str(f.get("id"))
        labels = dict(base, id=check, severity=severity, subject=f.get("subject") or "",
                      audit=owner.get(check, "core" if check.startswith("NM-CORE-") else ""))
        series.add("finding", labels, 1, accumulate=True)
    for severity, n in counts.items():
        series.add("findings", dict(base, severity=severity), n)
    for a in audits:
        name = str(a.get("name"))
        status = a.get("status")
        for s in AUDIT_STATUSES:
            series.add("audit_status", dict(base, audit=name, status=s), 1 if status == s else 0)
        duration = a.get("duration")
        if isinstance(duration, (int, float)) and not isinstance(duration, bool) and math.isfinite(duration):
            series.add("audit_duration_seconds", dict(base, audit=name), duration)


def host_metrics(result: Mapping[str, Any], now: Optional[float] = None) -> str:
    """One host's metrics (the preflight module's result), for that host's textfile collector."""
    if not isinstance(result, Mapping):
        raise MetricsInputError("the result must be the preflight module's result (a dictionary)")
    series = _Series()
    _add_host(series, result, {})
    series.add("last_run_timestamp_seconds", {}, round(time.time() if now is None else now, 3))
    return series.render()


def fleet_metrics(report: Mapping[str, Any], now: Optional[float] = None) -> str:
    """The fleet's metrics from a preflight report (core/report.py's JSON), a ``host`` label on each series."""
    hosts = report.get("hosts") if isinstance(report, Mapping) else None
    if not isinstance(hosts, Mapping):
        raise MetricsInputError("the report must be a preflight JSON report (with a hosts dictionary)")
    series = _Series()
    for host in sorted(hosts, key=str):
        data = hosts[host]
        if not isinstance(data, Mapping):
            raise MetricsInputError("hosts[%r] must be a dictionary" % (host,))
        ok = data.get("status") != NO_RESULT
        series.add("host_result", {"host": host}, 1 if ok else 0)
        if ok:
            try:
                _add_host(series, data, {"host": str(host)})
            except MetricsInputError as exc:
                raise MetricsInputError("hosts[%r]: %s" % (host, exc)) from None
    series.add("last_run_timestamp_seconds", {}, round(time.time() if now is None else now, 3))
    return series.render()


def path_error(path: str, option: str = "path") -> Optional[str]:
    """A sentence naming ``option`` when ``path`` cannot be the textfile, else None."""
    if "\x00" in path:
        return "%s contains a NUL byte: %r" % (option, path)
    if not path.endswith(".prom") or os.path.basename(path) == ".prom":
        return "%s must name a file ending in .prom (node_exporter's textfile collector reads only those), got %r" % (
            option, path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return "%s: the directory %s does not exist (create node_exporter's textfile directory first)" % (
            option, directory)
    if os.path.isdir(path):
        return "%s %s is a directory; give the file to write in it, e.g. %s" % (
            option, path, os.path.join(path, "netmedic.prom"))
    if os.path.lexists(path) and not os.path.isfile(path):
        return "%s %s exists and is not a regular file" % (option, path)
    return None


def write_textfile(path: str, text: str, check_mode: bool) -> Tuple[bool, Optional[str]]:
    """(changed, the text before) for the metrics file at ``path``, written atomically unless ``check_mode``.

    Atomic (a temporary file renamed over the old one): node_exporter never reads half a file.
    Raises fileops.FileOpError or ValueError (an unreadable or undecodable old file).
    """
    before = read_text(path, missing_ok=True)
    changed = before != text
    if changed and not check_mode:
        write_atomic(path, text, backup=False)
    return changed, before
