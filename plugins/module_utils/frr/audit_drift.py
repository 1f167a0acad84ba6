# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit: is FRR running the configuration in frr.conf?  (incident 000, read-only)

After watchfrr's ``restart all`` killed ``vtysh -b`` half-way, the daemons ran
with part of their configuration and nothing said so.  This audit compares
``show running-config`` with frr.conf using the reconcile engine's parser and
normaliser (so FRR's never-converging lines are not reported), and looks for
policies the running config uses but does not define.

When the parser sees a difference, frr.conf is rendered by a throwaway
instance of the router's own FRR and compared again in FRR's words
(:mod:`frr.compare`; option ``render``: ``frr`` by default, ``parser`` to start
nothing): a line written differently from FRR's printing is not drift.  Every
finding says the FRR version in its evidence.

Checks (options under ``options.frr_drift``: ``pathspaces``, a list of FRR
pathspaces to audit, default the default instance only; ``examples``, how
many differing lines to show, default 10; ``render``):

* NM-FRR-001 (critical): lines of frr.conf are missing from the running config.
* NM-FRR-002 (warning): the running config has lines frr.conf does not
  (changes never saved, or made by hand).
* NM-FRR-003 (critical): the running config uses a route-map, prefix-list,
  community-list or as-path list it does not define (a BGP neighbour whose
  route-map is missing denies every route).
* NM-FRR-004 (warning): the comparison could not be made (frr.conf unreadable
  or unparseable, vtysh not answering).

Runs one vtysh command per pathspace.  Standard library only: this file runs
on managed hosts.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Dict, List, Optional, Set

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext, Option, integer
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.frr import instances, render, version as frr_version
from ansible_collections.netmedic.network.plugins.module_utils.frr.compare import RENDER_HELP, compare, instance_daemons
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import Config, FrrConfigError
from ansible_collections.netmedic.network.plugins.module_utils.frr.files import UnreadableFile, read_frr_file
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import frr_conf_path, vtysh_argv
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import counts_by_area
from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import ReconcileError, Target, running_config

NAME = "frr_drift"
INCIDENT = "000"
FIX_MODULE = "netmedic.network.frr_reconcile"
FIX_ROLE = "netmedic.network.frr"

CHECKS = {
    "NM-FRR-001": "lines of frr.conf are missing from FRR's running config",
    "NM-FRR-002": "FRR's running config has lines frr.conf does not have",
    "NM-FRR-003": "the running config uses a route-map or list it does not define",
    "NM-FRR-004": "the running config could not be compared with frr.conf",
}

# Uses of named policies inside contexts, and what defines them at top level.
_USES = [
    ("route-map", re.compile(r"\broute-map (\S+)")),
    ("prefix-list", re.compile(r"\bprefix-list (\S+)")),
    ("community-list", re.compile(r"^match (?:community|large-community|extcommunity) (\S+)")),
    ("as-path", re.compile(r"^match as-path (\S+)|\bfilter-list (\S+)")),
]
_DEFINES = [
    ("route-map", re.compile(r"^route-map (\S+) (?:permit|deny) \d+$")),
    ("prefix-list", re.compile(r"^(?:ip|ipv6) prefix-list (\S+) ")),
    ("community-list", re.compile(r"^bgp (?:large-|ext)?community-list (?:standard |expanded )?(\S+) ")),
    ("as-path", re.compile(r"^bgp as-path access-list (\S+) ")),
]


def _has_frr_conf(ctx: AuditContext, pathspace: Optional[str]) -> bool:
    """An frr.conf, in an instance where FRR is meant to run (not a package installed and unused)."""
    return os.path.exists(frr_conf_path(ctx.root, pathspace)) and instances.meant_to_run(ctx.root, pathspace)


def applies(ctx: AuditContext) -> bool:
    """vtysh is installed and FRR with an frr.conf is meant to run (cheap: no command runs)."""
    return ctx.runner.available("vtysh") and instances.applies_to_any_instance(AUDIT, ctx, _has_frr_conf)


_subject = instances.instance_subject


def dangling_references(running: Config) -> Dict[str, List[str]]:
    """Policies used in the running config but not defined there: ``{kind: [names]}``."""
    defined: Dict[str, Set[str]] = {kind: set() for kind, _rx in _DEFINES}
    for e in running.entries:
        if not e.path:
            for kind, rx in _DEFINES:
                m = rx.match(e.line)
                if m:
                    defined[kind].add(m.group(1))
    used: Dict[str, List[str]] = {}
    for e in running.entries:
        if not e.path or e.line.startswith("no "):
            continue
        for kind, rx in _USES:
            for m in rx.finditer(e.line):
                name = next((g for g in m.groups() if g), None)
                if name and name not in defined[kind] and name not in used.get(kind, []):
                    used.setdefault(kind, []).append(name)
    return used


def run(ctx: AuditContext) -> List[Finding]:
    findings: List[Finding] = []
    try:
        spaces = instances.instances(AUDIT, ctx)
    except ValueError as exc:
        return [Finding(id="NM-FRR-004", severity=WARNING, incident=INCIDENT, subject="options.frr_drift",
                        summary="cannot audit FRR drift: %s" % exc, evidence={"error": str(exc)},
                        fix=Fix(manual="Give options.frr_drift.pathspaces as a list of pathspace names."))]
    for pathspace in spaces:
        findings += _audit_one(ctx, pathspace)
    return findings


def _audit_one(ctx: AuditContext, pathspace: Optional[str]) -> List[Finding]:
    conf_path = frr_conf_path(ctx.root, pathspace)
    if not os.path.exists(conf_path):
        return []
    subject = _subject(pathspace, conf_path)
    examples = int(AUDIT.option(ctx, "examples"))
    params = {"pathspace": pathspace} if pathspace else {}
    target = Target(pathspace=pathspace, root=ctx.root, runner=ctx.runner)
    try:
        intended = read_frr_file(conf_path)
        running_text = running_config(target)
        cmp = compare(intended, running_text, conf_path, mode=AUDIT.option(ctx, "render"),
                      daemons=instance_daemons(ctx.root, pathspace), runner=ctx.runner, root=ctx.root)
        d, running = cmp.plan.diff, cmp.running
    except (UnreadableFile, FrrConfigError, CommandError, ReconcileError) as exc:
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [Finding(id="NM-FRR-004", severity=WARNING, incident=INCIDENT, subject=subject,
                        summary="cannot compare FRR's running config with %s: %s" % (conf_path, error),
                        evidence={"frr_conf": conf_path, "error": str(exc)},
                        fix=Fix(manual="Check that %s is readable FRR configuration and that \"%s\" answers."
                                       % (conf_path, shlex.join(vtysh_argv(pathspace, "show running-config")))))]

    findings: List[Finding] = []
    by_area = counts_by_area(d)
    fix = Fix(module=FIX_MODULE, params=params, role=FIX_ROLE,
              manual="Run %s in check mode to see the exact vtysh commands, then without it to apply them."
                     % FIX_MODULE)
    if d.adds:
        areas = ", ".join("%s %d" % (a, c["add"]) for a, c in sorted(by_area.items()) if c["add"])
        findings.append(Finding(
            id="NM-FRR-001", severity=CRITICAL, incident=INCIDENT, subject=subject,
            summary="FRR runs without %d line(s) of %s (%s)" % (len(d.adds), conf_path, areas),
            evidence={"frr_conf": conf_path, "missing": len(d.adds),
                      "by_area": {a: c["add"] for a, c in by_area.items() if c["add"]},
                      "examples": [" > ".join(e.path + (e.line,)) for e in d.adds[:examples]]},
            fix=fix))
    if d.deletes:
        areas = ", ".join("%s %d" % (a, c["delete"]) for a, c in sorted(by_area.items()) if c["delete"])
        findings.append(Finding(
            id="NM-FRR-002", severity=WARNING, incident=INCIDENT, subject=subject,
            summary="FRR runs %d line(s) that %s does not have (%s)" % (len(d.deletes), conf_path, areas),
            evidence={"frr_conf": conf_path, "extra": len(d.deletes),
                      "by_area": {a: c["delete"] for a, c in by_area.items() if c["delete"]},
                      "examples": [" > ".join(e.path + (e.line,)) for e in d.deletes[:examples]]},
            fix=Fix(module=FIX_MODULE, params=params, role=FIX_ROLE,
                    manual="If these running lines are wanted, save them (%s); otherwise frr_reconcile removes "
                           "them." % shlex.join(vtysh_argv(pathspace, "write memory")))))
    dangling = dangling_references(running)
    if dangling:
        names = "; ".join("%s %s" % (k, ", ".join(v[:5])) for k, v in sorted(dangling.items()))
        findings.append(Finding(
            id="NM-FRR-003", severity=CRITICAL, incident=INCIDENT, subject=_subject(pathspace, "running config"),
            summary="FRR's running config uses undefined policies (%s)" % names,
            evidence={"undefined": dangling},
            fix=fix if d.adds else Fix(manual="Define the missing route-maps/lists in %s and reconcile, or "
                                              "remove the lines that use them." % conf_path)))
    frr_version.annotate(findings, cmp.version)
    for f in findings:
        f.evidence.update(cmp.how)
    return findings


AUDIT = Audit(
    name=NAME,
    area="frr",
    skip_reason="no FRR with an frr.conf, or no vtysh",
    description="FRR's running config against frr.conf (incident 000: partial config after a restart)",
    run=run,
    applies=applies,
    checks=CHECKS,
    # Every option this audit reads (issue 11: unknown keys and non-finite numbers fail the preflight).
    options={
        "pathspaces": Option(description=instances.PATHSPACES_HELP),
        "pathspace": Option(description=instances.PATHSPACE_HELP),
        "examples": integer((0, 10000), default=10, description="how many differing lines a finding shows"),
        "render": Option("str", choices=render.MODES, default="frr", description=RENDER_HELP),
    },
)
