# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit: is the BMC's LAN interface in the mode the operator wants (incident 004)?

A Supermicro BMC in "failover" mode moves onto the host's shared NIC when its
dedicated port loses link and sends DHCP there; an active-backup bond sees
that traffic as link and flaps.  Failover is therefore the worst finding.

Options (``preflight`` ``options: {bmc: {...}}``): ``wanted_mode`` (dedicated),
``interface`` (open | lanplus), ``host``, ``port``, ``user``, ``password_file``
(a file on the audited host; passwords are never taken from audit options,
which are not secret), ``cipher_suite`` (3), ``generation`` (auto | x9 | x8),
``timeout`` (seconds per ipmitool call, 10).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import ANY, Audit, AuditContext, integer, number
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import Reading, read_lan_mode
from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import FAILOVER, MODES
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import (
    CIPHER_SUITE_RANGE, IPMITOOL, PORT_RANGE, IpmiError, Ipmitool, Target)
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, range_errors

NAME = "bmc"
MODULE = "netmedic.network.ipmi_lan_mode"
ROLE = "netmedic.network.ipmi"
INCIDENT = "004"

FAILOVER_ID = "NM-BMC-001"
MISMATCH_ID = "NM-BMC-002"
UNKNOWN_ID = "NM-BMC-003"
UNREACHABLE_ID = "NM-BMC-004"

CHECKS = {
    FAILOVER_ID: "BMC LAN interface in failover mode (moves onto the host NIC when its port loses link)",
    MISMATCH_ID: "BMC LAN interface in another mode than the wanted one",
    UNKNOWN_ID: "BMC LAN interface mode cannot be read on this vendor or board",
    UNREACHABLE_ID: "BMC does not answer ipmitool",
}


# The audit's numeric options (preflight ``options: {bmc: {...}}``), checked before ipmitool runs.
RANGES = {"port": PORT_RANGE, "cipher_suite": CIPHER_SUITE_RANGE, "timeout": SECONDS}


def _number(value: Any, kind: type) -> Any:
    """Options templated by Ansible can arrive as strings ("623"): read those, leave the rest to the range check."""
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            return value
    return value


def _numbers(ctx: AuditContext) -> Dict[str, Any]:
    """The numeric options, or ValueError naming each bad one."""
    values = {"port": _number(ctx.opt(NAME, "port", 623), int),
              "cipher_suite": _number(ctx.opt(NAME, "cipher_suite", 3), int),
              "timeout": _number(ctx.opt(NAME, "timeout", 10), float)}
    errors = range_errors(values, RANGES)
    if errors:
        raise ValueError("options.bmc: " + "; ".join(errors))
    return values


def _target(ctx: AuditContext, numbers: Dict[str, Any]) -> Target:
    interface = ctx.opt(NAME, "interface", "open")
    return Target(interface=interface, host=ctx.opt(NAME, "host", None), port=numbers["port"],
                  user=ctx.opt(NAME, "user", None), password_file=ctx.opt(NAME, "password_file", None),
                  cipher_suite=numbers["cipher_suite"])


def applies(ctx: AuditContext) -> bool:
    """Cheap: ipmitool is installed and there is a BMC to ask (/dev/ipmi0, or a host given)."""
    if not ctx.runner.available(IPMITOOL):
        return False
    if ctx.opt(NAME, "interface", "open") == "lanplus":
        return bool(ctx.opt(NAME, "host", None))
    return ctx.sysfs.exists("dev", "ipmi0") or ctx.sysfs.exists("dev", "ipmi", "0")


def _fix_params(target: Target, wanted: str) -> Dict[str, Any]:
    params: Dict[str, Any] = {"mode": wanted}
    if target.remote:
        params.update(interface="lanplus", host=target.host, port=target.port, user=target.user,
                      allow_remote_change=True)
    return params


def findings_for(reading: Reading, wanted: str, target: Target) -> List[Finding]:
    """Findings for one reading (pure: unit tests call this directly)."""
    subject = target.describe().replace("the ", "", 1)
    evidence: Dict[str, Any] = {"mode": reading.mode, "wanted_mode": wanted, "vendor": reading.vendor,
                                "manufacturer_id": reading.manufacturer_id,
                                "manufacturer_name": reading.manufacturer_name,
                                "product_id": reading.product_id, "method": reading.method,
                                "raw_answer": reading.raw, "interface": target.interface}
    if not reading.known:
        evidence["reason"] = reading.reason
        return [Finding(
            id=UNKNOWN_ID, severity=WARNING, subject=subject, incident=INCIDENT, evidence=evidence,
            summary="%s: LAN interface mode unknown (%s)" % (subject, reading.vendor),
            fix=Fix(manual="Check the LAN interface setting in the BMC's web interface or BIOS; it must be %s. "
                           "Reason netmedic cannot read it: %s" % (wanted, reading.reason)))]
    if reading.mode == wanted:
        return []
    fix = Fix(module=MODULE, params=_fix_params(target, wanted), role=ROLE,
              manual="Set the BMC LAN interface to %s (in-band on the host is safest)." % wanted)
    if reading.mode == FAILOVER:
        return [Finding(
            id=FAILOVER_ID, severity=CRITICAL, subject=subject, incident=INCIDENT, evidence=evidence, fix=fix,
            summary="%s is in failover LAN mode: when its port loses link it sends DHCP on the host NIC "
                    "and can make the bond flap" % subject)]
    return [Finding(
        id=MISMATCH_ID, severity=WARNING, subject=subject, incident=INCIDENT, evidence=evidence, fix=fix,
        summary="%s is in %s LAN mode, wanted %s" % (subject, reading.mode, wanted))]


def run(ctx: AuditContext) -> List[Finding]:
    wanted = ctx.opt(NAME, "wanted_mode", "dedicated")
    if wanted not in MODES:
        raise ValueError("options.bmc.wanted_mode must be one of %s" % ", ".join(MODES))
    numbers = _numbers(ctx)
    target = _target(ctx, numbers)
    problems = target.problems()
    if problems:
        raise ValueError("options.bmc: " + "; ".join(problems))
    tool = Ipmitool(target, runner=ctx.runner, timeout=numbers["timeout"])
    try:
        reading = read_lan_mode(tool, ctx.opt(NAME, "generation", "auto"))
    except IpmiError as exc:
        subject = target.describe().replace("the ", "", 1)
        return [Finding(
            id=UNREACHABLE_ID, severity=WARNING, subject=subject, incident=INCIDENT,
            summary="%s: cannot read the LAN mode (%s)" % (subject, exc.kind),
            evidence={"error": str(exc), "interface": target.interface},
            fix=Fix(manual="Make the BMC answer ipmitool (kernel modules ipmi_si and ipmi_devintf in-band; "
                           "address, user and password out-of-band), then audit again."))]
    return findings_for(reading, wanted, target)


# Every option this audit reads (issue 11: unknown keys and non-finite numbers fail the preflight).
OPTIONS = {"wanted_mode": ANY, "interface": ANY, "host": ANY, "user": ANY, "password_file": ANY, "generation": ANY,
           "port": integer((1, 65535)), "cipher_suite": integer((0, 17)), "timeout": number(SECONDS)}

AUDIT = Audit(name=NAME, description="BMC LAN interface mode (dedicated, not failover)", run=run,
              applies=applies, checks=CHECKS, options=OPTIONS)
