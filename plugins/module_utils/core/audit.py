# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit framework: what an audit is, its options, and running audits.

An audit is a plain function ``run(ctx) -> list[Finding]`` plus a cheap
``applies(ctx) -> bool`` that says whether the host has the thing at all (no
FRR, no tinc, no bond: skipped in microseconds).  :func:`run_audits` runs the
applicable ones in-process, times each, and turns an audit that crashes or
times out into a finding of its own instead of a failed play.

This file imports no area: each area's ``AUDIT = Audit(...)`` imports it, and
the table of every audit is core/registry.py (static imports there: Ansible
ships module_utils by scanning imports).  Declare every option the audit reads
in ``Audit.options``: :func:`check_options` refuses unknown keys (a typo must
not silently fall back to a default) and numbers that are not finite or out of
range, before any audit runs.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import math
import time
import traceback
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.findings import WARNING, Finding, Fix, short_repr
from ansible_collections.netmedic.network.plugins.module_utils.core.params import Range, range_error
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

AUDIT_FAILED_ID = "NM-CORE-001"
NOT_CHOSEN = "not chosen (checks, skip or --tags)"


@dataclasses.dataclass
class AuditContext:
    """What an audit may look at: a filesystem root, a command runner, options."""

    root: str = "/"
    runner: Runner = dataclasses.field(default_factory=Runner)
    options: Dict[str, Dict[str, Any]] = dataclasses.field(default_factory=dict)
    # What an audit recorded for a later comparison, by audit name (the link_flaps
    # counters): returned by the preflight module and kept in the controller's report,
    # so that the preflight writes nothing on the host (issue 11).
    snapshots: Dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def sysfs(self) -> Sysfs:
        return Sysfs(self.root)


@dataclasses.dataclass(frozen=True)
class Option:
    """One option of an audit (``options: {AUDIT: {KEY: value}}``).

    ``kind``: ``number`` (int or float), ``int``, ``str``, ``bool``, ``list``
    (of strings), ``dict``, or ``any`` (the audit checks it itself).  ``bounds``
    (numbers, both ends inclusive, see params.py) and ``choices`` (strings)
    narrow it down.  ``None`` is always accepted: it means the default.
    """

    kind: str = "any"
    bounds: Optional[Range] = None
    choices: Tuple[str, ...] = ()
    # What an audit gets when the option is not given, and one line for ansible-doc.
    default: Any = None
    description: str = ""


ANY = Option()


def number(bounds: Range, default: Any = None, description: str = "") -> Option:
    return Option("number", bounds, default=default, description=description)


def integer(bounds: Range, default: Any = None, description: str = "") -> Option:
    return Option("int", bounds, default=default, description=description)


@dataclasses.dataclass(frozen=True)
class Audit:
    """One audit: ``name`` is its area (``bond``) or ``AREA_ASPECT`` (``frr_drift``).

    The area is the one word an operator meets everywhere for it: check ids
    ``NM-<AREA>-NNN``, the tag, the role, the module_utils package, the docs page.
    ``aliases`` are earlier names still accepted (``bonding``), so existing
    playbooks, options and reports keep working.
    """

    name: str
    description: str
    run: Callable[[AuditContext], List[Finding]]
    applies: Callable[[AuditContext], bool] = lambda ctx: True
    area: str = ""
    aliases: Tuple[str, ...] = ()
    # Check ids this audit can emit, with a one-line title each (documentation, reports).
    checks: Dict[str, str] = dataclasses.field(default_factory=dict)
    # Every option the audit reads (see check_options); an audit without options takes none.
    options: Dict[str, Option] = dataclasses.field(default_factory=dict)
    # Options that no longer exist, with what to do instead (a clearer message than "unknown").
    retired: Dict[str, str] = dataclasses.field(default_factory=dict)
    # Check ids that are notes on the postflight's comparison, not conditions of the host
    # (link_flaps: "counters not compared"): never counted as new or gone.  The value is the
    # flag postflight-diff.json sets to false for a host with the note (``links_compared``).
    notes: Dict[str, str] = dataclasses.field(default_factory=dict)
    # Why the audit is skipped when ``applies`` says no, for the report ("no bond on this host"):
    # a clean host must not look checked when the audit had nothing to look at (issue 17).
    skip_reason: str = "it does not apply to this host"

    def option(self, ctx: "AuditContext", key: str) -> Any:
        """The value of option ``key`` for this audit: the operator's, else its declared default.

        The one way an audit reads its options; an undeclared key is a
        programming error (KeyError), caught by the unit tests.
        """
        spec = self.options[key]
        value = (ctx.options.get(self.name) or {}).get(key)
        return spec.default if value is None else value


@dataclasses.dataclass
class AuditRun:
    name: str
    status: str  # ran | skipped | failed | excluded
    duration: float = 0.0
    findings: int = 0
    error: Optional[str] = None
    # The check ids this run looked for (none when excluded): the postflight compares only these.
    checks: List[str] = dataclasses.field(default_factory=list)
    # Why it was skipped or excluded (the audit's skip_reason; "not chosen ..."); None when it ran or failed.
    reason: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


def check_options(audits: Mapping[str, Audit], options: Any) -> Tuple[Dict[str, Dict[str, Any]], List[str]]:
    """(the options keyed by audit name, numbers as numbers; a message per bad option naming it ``options.AUDIT.KEY``).

    Unknown audits and keys, values of the wrong kind and numbers that are not
    finite or out of range are errors: ``{bgp: {min_established_secs: 600}}``
    used to run with the default threshold, and ``nan`` made comparisons false.
    Options given under an earlier name of an audit (``bonding``) are kept under
    its name (``bond``); the messages name the key as the operator wrote it.
    """
    if not isinstance(options, Mapping):
        return {}, ["options must be a dictionary keyed by audit name, got %s" % type(options).__name__]
    aliases = {alias: audit.name for audit in audits.values() for alias in audit.aliases}
    known_audits = ", ".join(sorted(audits)) or "none yet"
    if aliases:
        known_audits += " (earlier names: %s)" % ", ".join(sorted(aliases))
    clean: Dict[str, Dict[str, Any]] = {}
    given: Dict[str, str] = {}
    errors: List[str] = []
    for key_given in sorted(options, key=str):
        values = options[key_given]
        name = aliases.get(key_given, key_given)
        if name not in audits:
            errors.append("options given for unknown audit %r. Known audits: %s" % (key_given, known_audits))
            continue
        if name in given:
            errors.append("options.%s and options.%s are the same audit (%s): give its options once, under %s"
                          % (given[name], key_given, name, name))
            continue
        given[name] = key_given
        if values is None:
            continue
        if not isinstance(values, Mapping):
            errors.append("options.%s must be a dictionary of that audit's settings, got %s"
                          % (key_given, type(values).__name__))
            continue
        audit = audits[name]
        clean[name] = {}
        for key in sorted(values, key=str):
            label = "options.%s.%s" % (key_given, key)
            if key in audit.retired:
                errors.append("%s is no longer used: %s" % (label, audit.retired[key]))
                continue
            spec = audit.options.get(key)
            if spec is None:
                errors.append("%s is not an option of the %s audit. Its options: %s"
                              % (label, name, ", ".join(sorted(audit.options)) or "none"))
                continue
            value, error = _option_value(label, values[key], spec)
            if error:
                errors.append(error)
            else:
                clean[name][key] = value
    return clean, errors


def _option_value(label: str, value: Any, spec: Option) -> Tuple[Any, Optional[str]]:
    """(the value, converted when it is a number given as text; or an error message)."""
    if value is None or spec.kind == "any":
        return value, None
    if spec.kind in ("number", "int"):
        if isinstance(value, str):
            # "300" from a templated string is a number; "nan" and "inf" are caught below
            try:
                value = float(value.strip())
            except ValueError:
                return None, "%s must be a number, got %s" % (label, short_repr(value))
        if spec.kind == "int" and isinstance(value, float) and math.isfinite(value):
            if not value.is_integer():
                return None, "%s must be a whole number, got %s" % (label, short_repr(value))
            value = int(value)
        return value, range_error(label, value, spec.bounds or (None, None))
    if spec.kind == "str":
        if not isinstance(value, str):
            return None, "%s must be a string, got %s" % (label, short_repr(value))
        if spec.choices and value not in spec.choices:
            return None, "%s must be one of %s, got %s" % (label, ", ".join(spec.choices), short_repr(value))
        return value, None
    if spec.kind == "bool":
        if not isinstance(value, bool):
            return None, "%s must be true or false, got %s" % (label, short_repr(value))
        return value, None
    if spec.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "%s must be a list of strings, got %s" % (label, short_repr(value))
        return list(value), None
    if spec.kind == "dict":
        if not isinstance(value, Mapping):
            return None, "%s must be a dictionary, got %s" % (label, type(value).__name__)
        return value, None
    raise ValueError("%s: unknown option kind %r (a netmedic bug)" % (label, spec.kind))


def run_audits(ctx: AuditContext, audits: Iterable[Audit], only: Optional[Iterable[str]] = None,
               skip: Iterable[str] = (), wanted: Optional[Iterable[str]] = None) -> Tuple[List[Finding], List[AuditRun]]:
    """Run the applicable audits; return all findings and a record of each audit.

    ``only``: names of the audits to run (None: all; empty: none); ``skip``: names not to run.
    ``wanted``: the check ids looked for (None: every check of each audit); an audit's findings
    of its other declared checks are dropped (``checks=[NM-FRR-001]`` returns only those).
    """
    only = None if only is None else set(only)
    skip = set(skip)
    wanted = None if wanted is None else set(wanted)
    findings: List[Finding] = []
    runs: List[AuditRun] = []
    for audit in audits:
        if (only is not None and audit.name not in only) or audit.name in skip:
            runs.append(AuditRun(audit.name, "excluded", reason=NOT_CHOSEN))
            continue
        checks = sorted(audit.checks if wanted is None else wanted.intersection(audit.checks))
        start = time.monotonic()
        try:
            if not audit.applies(ctx):
                runs.append(AuditRun(audit.name, "skipped", time.monotonic() - start, checks=checks,
                                     reason=audit.skip_reason))
                continue
            found = list(audit.run(ctx))
        except Exception as exc:  # an audit must never fail the whole preflight
            error = _describe(exc)
            findings.append(audit_failed(audit.name, error, exc))
            runs.append(AuditRun(audit.name, "failed", time.monotonic() - start, 1, error, checks))
            continue
        if wanted is not None:
            found = [f for f in found if f.id in wanted or f.id not in audit.checks]
        findings.extend(found)
        runs.append(AuditRun(audit.name, "ran", time.monotonic() - start, len(found), checks=checks))
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
