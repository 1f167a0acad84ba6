# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit registry: every audit netmedic runs in one preflight call.

An audit is a plain function ``run(ctx) -> list[Finding]`` plus a cheap
``applies(ctx) -> bool`` that says whether the host has the thing at all (no
FRR, no tinc, no bond: skipped in microseconds).  :func:`run_audits` runs the
applicable ones in-process, times each, and turns an audit that crashes or
times out into a finding of its own instead of a failed play.

To add an audit: write ``audit_<area>.py`` with a module-level ``AUDIT =
Audit(...)`` and add it to ``_registered()`` below (imports must be static:
Ansible ships module_utils by scanning imports).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.findings import WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.sysfs import Sysfs

AUDIT_FAILED_ID = "NM-CORE-001"


@dataclasses.dataclass
class AuditContext:
    """What an audit may look at: a filesystem root, a command runner, options."""

    root: str = "/"
    runner: Runner = dataclasses.field(default_factory=Runner)
    options: Dict[str, Dict[str, Any]] = dataclasses.field(default_factory=dict)

    @property
    def sysfs(self) -> Sysfs:
        return Sysfs(self.root)

    def opt(self, audit: str, key: str, default: Any) -> Any:
        """Option ``key`` of audit ``audit`` (``options: {bgp: {min_uptime: 300}}``)."""
        value = (self.options.get(audit) or {}).get(key)
        return default if value is None else value


@dataclasses.dataclass(frozen=True)
class Audit:
    name: str
    description: str
    run: Callable[[AuditContext], List[Finding]]
    applies: Callable[[AuditContext], bool] = lambda ctx: True
    # Check ids this audit can emit, with a one-line title each (documentation, reports).
    checks: Dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class AuditRun:
    name: str
    status: str  # ran | skipped | failed | excluded
    duration: float = 0.0
    findings: int = 0
    error: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


def _registered() -> List[Audit]:
    audits: List[Audit] = []
    # Each area appends its AUDIT here, e.g.:
    #   from ansible_collections.netmedic.network.plugins.module_utils import audit_bond
    #   audits.append(audit_bond.AUDIT)
    from ansible_collections.netmedic.network.plugins.module_utils import audit_bond
    audits.append(audit_bond.AUDIT)
    from ansible_collections.netmedic.network.plugins.module_utils import audit_bmc
    audits.append(audit_bmc.AUDIT)
    from ansible_collections.netmedic.network.plugins.module_utils import audit_bgp
    from ansible_collections.netmedic.network.plugins.module_utils import audit_frr_settings
    from ansible_collections.netmedic.network.plugins.module_utils import audit_ipv6_cache
    from ansible_collections.netmedic.network.plugins.module_utils import audit_link_flaps
    audits.extend([audit_bgp.AUDIT, audit_frr_settings.AUDIT, audit_ipv6_cache.AUDIT, audit_link_flaps.AUDIT])
    from ansible_collections.netmedic.network.plugins.module_utils import audit_tinc
    audits.append(audit_tinc.AUDIT)
    from ansible_collections.netmedic.network.plugins.module_utils import audit_frr_drift
    audits.append(audit_frr_drift.AUDIT)
    return audits


def registry() -> Dict[str, Audit]:
    return {a.name: a for a in _registered()}


def run_audits(ctx: AuditContext, audits: Iterable[Audit], only: Optional[Iterable[str]] = None,
               skip: Iterable[str] = ()) -> Tuple[List[Finding], List[AuditRun]]:
    """Run the applicable audits; return all findings and a record of each audit."""
    only = set(only) if only else None
    skip = set(skip)
    findings: List[Finding] = []
    runs: List[AuditRun] = []
    for audit in audits:
        if (only is not None and audit.name not in only) or audit.name in skip:
            runs.append(AuditRun(audit.name, "excluded"))
            continue
        start = time.monotonic()
        try:
            if not audit.applies(ctx):
                runs.append(AuditRun(audit.name, "skipped", time.monotonic() - start))
                continue
            found = list(audit.run(ctx))
        except Exception as exc:  # an audit must never fail the whole preflight
            error = _describe(exc)
            findings.append(audit_failed(audit.name, error, exc))
            runs.append(AuditRun(audit.name, "failed", time.monotonic() - start, 1, error))
            continue
        findings.extend(found)
        runs.append(AuditRun(audit.name, "ran", time.monotonic() - start, len(found)))
    return findings, runs


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CommandError):
        return str(exc)
    return "%s: %s" % (type(exc).__name__, exc)


def audit_failed(name: str, error: str, exc: Optional[BaseException] = None) -> Finding:
    evidence: Dict[str, Any] = {"audit": name, "error": error}
    if exc is not None and not isinstance(exc, CommandError):
        evidence["traceback"] = traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]
    return Finding(
        id=AUDIT_FAILED_ID, severity=WARNING, subject=name,
        summary="the %s audit could not run: %s" % (name, error.splitlines()[0] if error else "unknown error"),
        evidence=evidence,
        fix=Fix(manual="Run the audit's commands by hand on the host; a healthy host answers them. "
                       "Report a traceback in the evidence as a netmedic bug."),
    )
