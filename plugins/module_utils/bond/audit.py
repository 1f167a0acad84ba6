# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``bond`` audit: ARP link monitoring that a stray broadcast can fool (incident 004).

Checks (one finding per bond and check):

- NM-BOND-001  ARP monitoring on (arp_interval > 0) with arp_validate ``none``:
  any received frame keeps a slave "up" (critical for active-backup).
- NM-BOND-002  active-backup with fewer than two arp_ip_targets and miimon off:
  one target's outage takes every slave down; no targets at all and no miimon
  means no link monitoring (critical).
- NM-BOND-003  the persisted arp_validate differs from the running one (drift):
  the next reboot or network restart changes the bond's behaviour.
- NM-BOND-004  802.3ad / balance-tlb / balance-alb: arp_validate does not apply
  (reported, never written); warning when miimon is off as well.
- NM-BOND-005  the bond's persisted configuration cannot be read or is
  ambiguous (several backends), so drift cannot be checked.

Options (``options: {bond: {...}}``, declared with their defaults in
``AUDIT.options``): ``value`` (the arp_validate the fix sets), ``backend``
(the configuration that owns the bonds), ``check_drift``.  The audit was
called ``bonding`` before issue 12; that name stays an alias.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import List

from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bond_persist
from ansible_collections.netmedic.network.plugins.module_utils.bond.fix import DEFAULT_VALUE
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import NotConfigured, PersistError
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import (
    ACTIVE_BACKUP, ARP_VALIDATE_VALUES, Bond, bond_names, discover)
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext, Option
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import (
    CRITICAL, INFO, WARNING, Finding, Fix)

NAME = "bond"
AREA = "bond"
INCIDENT = "004"
FIX_MODULE = "netmedic.network.bond_arp_validate"
ROLE = "netmedic.network.bond"

CHECKS = {
    "NM-BOND-001": "ARP monitoring with arp_validate=none: any received frame keeps a slave up",
    "NM-BOND-002": "active-backup bond with fewer than two ARP targets and miimon off",
    "NM-BOND-003": "persisted arp_validate differs from the running kernel (drift)",
    "NM-BOND-004": "bond mode without ARP monitoring (802.3ad, balance-tlb, balance-alb)",
    "NM-BOND-005": "the bond's persisted configuration cannot be read or is ambiguous",
}


def _evidence(bond: Bond) -> dict:
    return {k: v for k, v in bond.to_dict().items() if k != "name"}


def _fix(bond: str, value: str, backend: str) -> Fix:
    params = {"bonds": [bond], "value": value}
    if backend != "auto":
        params["backend"] = backend
    return Fix(module=FIX_MODULE, params=params, role=ROLE)


def check_bond(bond: Bond, ctx: AuditContext) -> List[Finding]:
    value = AUDIT.option(ctx, "value")
    backend = AUDIT.option(ctx, "backend")
    out: List[Finding] = []
    ev = _evidence(bond)
    if not bond.supports_arp_validate:
        severity = WARNING if bond.miimon <= 0 else INFO
        out.append(Finding(
            id="NM-BOND-004", severity=severity, subject=bond.name, incident=INCIDENT, evidence=ev,
            summary="%s runs %s: the kernel has no ARP monitoring there, arp_validate does not apply%s"
                    % (bond.name, bond.mode, "; miimon is off too, so no link is monitored"
                       if bond.miimon <= 0 else " (miimon %d ms watches the links)" % bond.miimon),
            fix=Fix(manual="Nothing to set for arp_validate. Make sure miimon is set (e.g. 100) and LACP "
                           "runs on the switch side") if bond.miimon <= 0 else None))
        return out
    if bond.arp_monitoring and bond.arp_validate == "none":
        out.append(Finding(
            id="NM-BOND-001", severity=CRITICAL if bond.mode == ACTIVE_BACKUP else WARNING,
            subject=bond.name, incident=INCIDENT, evidence=ev,
            summary="%s monitors ARP every %d ms with arp_validate=none: any frame a slave receives keeps it up"
                    % (bond.name, bond.arp_interval),
            fix=_fix(bond.name, value, backend)))
    if bond.mode == ACTIVE_BACKUP and bond.miimon <= 0 and len(bond.arp_ip_target) < 2:
        if not bond.arp_monitoring or not bond.arp_ip_target:
            out.append(Finding(
                id="NM-BOND-002", severity=CRITICAL, subject=bond.name, incident=INCIDENT, evidence=ev,
                summary="%s has neither miimon nor ARP monitoring with a target: a dead link is never noticed"
                        % bond.name,
                fix=Fix(manual="Set arp_interval with at least two arp_ip_target addresses on different "
                               "switches' paths, or miimon, in the bond's configuration")))
        else:
            out.append(Finding(
                id="NM-BOND-002", severity=WARNING, subject=bond.name, incident=INCIDENT, evidence=ev,
                summary="%s relies on one ARP target (%s) with miimon off: if that target stops answering, "
                        "every slave goes down" % (bond.name, bond.arp_ip_target[0]),
                fix=Fix(manual="Add a second arp_ip_target (e.g. the other core switch) to the bond's "
                               "configuration, or set miimon as well")))
    if AUDIT.option(ctx, "check_drift"):
        try:
            persisted = bond_persist.detect(ctx.root, bond.name, backend)
            saved = bond_persist.persisted_value(persisted)
        except NotConfigured:
            return out  # built by a script or another tool: nothing to compare with
        except PersistError as exc:
            text = str(exc)
            out.append(Finding(
                id="NM-BOND-005", severity=WARNING, subject=bond.name, incident=INCIDENT,
                evidence={"error": text},
                summary="cannot check %s's persisted arp_validate: %s" % (bond.name, text.splitlines()[0]),
                fix=Fix(manual="Fix the file named in the evidence, or name the owning backend in the audit's "
                               "options (options: {%s: {backend: ...}})" % NAME)))
            return out
        if bond.arp_validate is not None and saved != bond.arp_validate:
            out.append(Finding(
                id="NM-BOND-003", severity=WARNING, subject=bond.name, incident=INCIDENT,
                evidence=dict(ev, persisted=saved, backend=persisted.backend, files=persisted.paths),
                summary="%s runs with arp_validate=%s but %s configures %s: the next restart changes it"
                        % (bond.name, bond.arp_validate, persisted.backend, saved),
                fix=_fix(bond.name, bond.arp_validate if bond.arp_validate != "none" else value,
                         persisted.backend)))
    return out


def run(ctx: AuditContext) -> List[Finding]:
    findings: List[Finding] = []
    for bond in discover(ctx.sysfs):
        findings.extend(check_bond(bond, ctx))
    return findings


def applies(ctx: AuditContext) -> bool:
    return bool(bond_names(ctx.sysfs))


AUDIT = Audit(
    name=NAME,
    area=AREA,
    skip_reason="no bond on this host",
    aliases=("bonding",),
    description="Linux bonds whose ARP link monitoring can be fooled by stray traffic (incident 004)",
    run=run,
    applies=applies,
    checks=CHECKS,
    # Every option this audit reads (issue 11: unknown keys fail the preflight).
    options={
        "value": Option("str", choices=ARP_VALIDATE_VALUES, default=DEFAULT_VALUE,
                        description="The arp_validate value the fix of NM-BOND-001 sets (see bond_arp_validate)"),
        "backend": Option("str", choices=("auto",) + bond_persist.BACKEND_NAMES, default="auto",
                          description="The configuration that owns the bonds; auto detects it per bond"),
        "check_drift": Option("bool", default=True,
                              description="Compare the persisted arp_validate with the running one (NM-BOND-003)"),
    },
)
