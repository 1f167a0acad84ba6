# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one finding schema shared by every netmedic audit.

An audit is a plain function that looks at a host and returns a list of
:class:`Finding`.  A finding says *what* is wrong (a stable check ``id``),
*how bad* it is (``severity``), *why we believe it* (``evidence``: the raw
values that prove it), *how to repair it* (``fix``: the module or role and the
parameters to call it with) and *which real outage it comes from*
(``incident``).  Findings are plain data: they serialise to JSON for the
controller-side report and compare by value in tests.

Python 3.8+ standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, Iterable, List, Optional

SCHEMA_VERSION = 1

CRITICAL = "critical"
WARNING = "warning"
INFO = "info"

# Ordered worst first; the index is the rank used for sorting and thresholds.
SEVERITIES = (CRITICAL, WARNING, INFO)

# NM-<AREA>-<NNN>, e.g. NM-FRR-001, NM-BOND-002.
CHECK_ID_RE = re.compile(r"^NM-[A-Z][A-Z0-9]{1,11}-[0-9]{3}$")

# The incidents this collection exists for (see README, "Incidents").
INCIDENTS = {
    "000": "FRR daemons back with partial config after watchfrr 'restart all'",
    "001": "ARP storm through a tinc layer-2 port in a Linux bridge",
    "002": "BGP route reflectors overloaded, hold timers expiring, flap cascade",
    "003": "sticky 'unreachable' IPv6 route cache entry shadowing a valid route",
    "004": "active-backup bond flapping with arp_validate=none, BMC in failover LAN mode",
}


class FindingError(ValueError):
    """A finding that does not fit the schema (a programming error in an audit)."""


def kind_of(value: Any) -> str:
    """``str 'abc'`` for error messages about input: the type, and the value cut short."""
    return "%s %s" % (type(value).__name__, short_repr(value))


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def severity_rank(severity: str) -> int:
    """Rank of a severity: 0 is the worst.  Unknown severities raise FindingError."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise FindingError(
            "unknown severity %r (expected one of %s)" % (severity, ", ".join(SEVERITIES))
        ) from None


def at_least(severity: str, threshold: str) -> bool:
    """True when ``severity`` is as bad as ``threshold`` or worse."""
    return severity_rank(severity) <= severity_rank(threshold)


@dataclasses.dataclass(frozen=True)
class Fix:
    """How to repair a finding.

    ``module`` (an FQCN) with ``params`` is what remediation calls; ``role`` is
    the maintenance step that wraps it; ``manual`` is a sentence for the operator
    when no module repairs the condition (or before one does).
    """

    module: Optional[str] = None
    params: Dict[str, Any] = dataclasses.field(default_factory=dict)
    role: Optional[str] = None
    manual: Optional[str] = None

    def __post_init__(self):
        for key in ("module", "role", "manual"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise FindingError("fix.%s must be a string or null, got %s" % (key, kind_of(value)))
        if not (self.module or self.role or self.manual):
            raise FindingError("a fix needs a module, a role or a manual instruction")
        if not isinstance(self.params, dict):
            raise FindingError("fix.params must be a dictionary, got %s" % kind_of(self.params))

    def to_dict(self) -> Dict[str, Any]:
        return {"module": self.module, "params": dict(self.params), "role": self.role, "manual": self.manual}

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]) -> Optional["Fix"]:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise FindingError("fix must be a dictionary or null, got %s" % kind_of(data))
        params = data.get("params")
        return cls(module=data.get("module"), params={} if params is None else params,
                   role=data.get("role"), manual=data.get("manual"))


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem an audit found on one host.

    :param id: stable check id, ``NM-<AREA>-<NNN>``; the same condition always
        carries the same id so reports compare across runs and hosts.
    :param severity: ``critical`` (do not start maintenance), ``warning``
        (fix soon) or ``info`` (worth knowing).
    :param summary: one line an operator understands without the evidence.
    :param evidence: the raw values that prove it (JSON-serialisable dict).
    :param fix: a :class:`Fix` (or its dict form), or None when there is nothing to do.
    :param incident: the incident this check comes from (``"000"``..), or None.
    :param subject: what the finding is about on the host (``bond0``,
        ``peer 192.0.2.1``); findings of one check differ by subject.
    """

    id: str
    severity: str
    summary: str
    evidence: Dict[str, Any] = dataclasses.field(default_factory=dict)
    fix: Optional[Fix] = None
    incident: Optional[str] = None
    subject: str = ""

    def __post_init__(self):
        if not isinstance(self.id, str) or not CHECK_ID_RE.match(self.id):
            raise FindingError("check id %r does not match NM-<AREA>-<NNN>" % (self.id,))
        if not isinstance(self.severity, str):
            raise FindingError("finding %s: severity must be a string, got %s" % (self.id, kind_of(self.severity)))
        severity_rank(self.severity)
        if not self.summary or not isinstance(self.summary, str) or "\n" in self.summary:
            raise FindingError("finding %s needs a one-line summary" % self.id)
        if self.incident is not None and (not isinstance(self.incident, str) or self.incident not in INCIDENTS):
            raise FindingError("finding %s names unknown incident %r" % (self.id, self.incident))
        if isinstance(self.fix, dict):
            try:
                object.__setattr__(self, "fix", Fix.from_dict(self.fix))
            except FindingError as exc:
                raise FindingError("finding %s: %s" % (self.id, exc)) from None
        elif self.fix is not None and not isinstance(self.fix, Fix):
            raise FindingError("finding %s: fix must be a dictionary or null, got %s" % (self.id, kind_of(self.fix)))
        if self.evidence is not None and not isinstance(self.evidence, dict):
            raise FindingError("finding %s: evidence must be a dictionary, got %s" % (self.id, kind_of(self.evidence)))
        if self.subject is not None and not isinstance(self.subject, str):
            raise FindingError("finding %s: subject must be a string, got %s" % (self.id, kind_of(self.subject)))
        object.__setattr__(self, "evidence", dict(self.evidence or {}))
        object.__setattr__(self, "subject", self.subject or "")

    @property
    def key(self):
        """Identity of the finding on a host: check id and subject."""
        return (self.id, self.subject)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "summary": self.summary,
            "subject": self.subject,
            "evidence": dict(self.evidence),
            "fix": self.fix.to_dict() if self.fix else None,
            "incident": self.incident,
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Finding":
        if not isinstance(data, dict):
            raise FindingError("a finding must be a dictionary, got %s" % kind_of(data))
        missing = [k for k in ("id", "severity", "summary") if k not in data]
        if missing:
            raise FindingError("finding lacks %s: %s" % (", ".join(missing), short_repr(data)))
        return cls(id=data["id"], severity=data["severity"], summary=data["summary"],
                   evidence=data.get("evidence"), fix=data.get("fix"),
                   incident=data.get("incident"), subject=data.get("subject"))

    __hash__ = None  # evidence is a dict: findings are values, not set members


def sort_findings(findings: Iterable[Finding]) -> List[Finding]:
    """Worst first, then by check id and subject: a stable order for reports."""
    return sorted(findings, key=lambda f: (severity_rank(f.severity), f.id, f.subject))


def count_by_severity(findings: Iterable[Finding]) -> Dict[str, int]:
    counts = {s: 0 for s in SEVERITIES}
    for f in findings:
        counts[f.severity] += 1
    return counts


def worst_severity(findings: Iterable[Finding]) -> Optional[str]:
    """The worst severity among findings, or None when there are none."""
    ranks = [severity_rank(f.severity) for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None
