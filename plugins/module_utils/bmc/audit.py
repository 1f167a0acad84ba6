# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit: is the BMC's LAN interface in the mode the operator wants (incident 004)?

A Supermicro BMC in "failover" mode moves onto the host's shared NIC when its
dedicated port loses link and sends DHCP there; an active-backup bond sees
that traffic as link and flaps.  Failover is therefore the worst finding; a
Dell iDRAC in "shared with failover" is on the host's LOMs and moves between
them, so it is one too.  Each vendor's summary and fix are its own (advice.py).

Why a BMC cannot be asked is told apart (issue 13): no answer (NM-BMC-004,
check the path) is not a refused login or privilege (NM-BMC-005, check the
account).

Options (``preflight`` ``options: {bmc: {...}}``): see ``OPTIONS`` below, each
with its default.  Passwords are never taken from audit options, which are not
secret: out-of-band, ``password_file`` names a file on the audited host.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.netmedic.network.plugins.module_utils.bmc import advice
from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import GENERATIONS, Reading, read_lan_mode
from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import (
    AUTH_FAILED, FAILOVER, MODES, PRIVILEGE, SESSION)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import (
    CIPHER_SUITE_RANGE, DEFAULT_CIPHER_SUITE, DEFAULT_PRIVILEGE, IPMITOOL, PORT_RANGE, PRIVILEGES, IpmiError, Ipmitool,
    Target)
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext, Option, integer, number
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, range_errors

NAME = "bmc"
FIX_MODULE = "netmedic.network.bmc_lan_mode"
ROLE = "netmedic.network.bmc"
INCIDENT = "004"

FAILOVER_ID = "NM-BMC-001"
MISMATCH_ID = "NM-BMC-002"
UNKNOWN_ID = "NM-BMC-003"
UNREACHABLE_ID = "NM-BMC-004"
LOGIN_ID = "NM-BMC-005"

CHECKS = {
    FAILOVER_ID: "BMC LAN interface in failover mode (moves onto or between the host's NICs when a port loses link)",
    MISMATCH_ID: "BMC LAN interface in another mode than the wanted one",
    UNKNOWN_ID: "BMC LAN interface mode cannot be read on this vendor or board",
    UNREACHABLE_ID: "BMC does not answer ipmitool",
    LOGIN_ID: "BMC refuses netmedic's login or the privilege it needs",
}

# How each failure kind of tool.py is reported: (check id, what to do).
FAILURES = {
    AUTH_FAILED: (LOGIN_ID, "Check the BMC user and the password file (a password changed on the BMC is the usual "
                            "cause); the BMC itself answered, the network is fine."),
    PRIVILEGE: (LOGIN_ID, "Give the account ADMINISTRATOR privilege on the BMC (reading a Supermicro LAN mode needs "
                          "it), or set options.bmc.privilege to what the account has."),
    SESSION: (LOGIN_ID, "The BMC refused the IPMI v2 session without saying why: check the user, the password and the "
                        "cipher suite (options.bmc.cipher_suite), then the network."),
    "timeout": (UNREACHABLE_ID, "The BMC took longer than options.bmc.timeout: it may be hung or rebooting. If it "
                                "stays so, reset it in-band ('ipmitool mc reset cold') and audit again."),
    "unreachable": (UNREACHABLE_ID, "Check the BMC's address and port, the network path and that IPMI over LAN is "
                                    "enabled on the BMC, then audit again."),
    "no_device": (UNREACHABLE_ID, "Load the ipmi_si and ipmi_devintf kernel modules (/dev/ipmi0), or audit "
                                  "out-of-band (interface: lanplus)."),
}
DEFAULT_FAILURE = (UNREACHABLE_ID, "Make the BMC answer ipmitool (kernel modules ipmi_si and ipmi_devintf in-band; "
                                   "address, user and password out-of-band), then audit again.")


# Every option this audit reads (issue 11: unknown keys and non-finite numbers fail the preflight).
# The text ones stay "any" (checked by run(), an audit failure naming the option) as before.
OPTIONS = {
    "wanted_mode": Option(default="dedicated", description="the LAN interface mode the BMC should be in: %s"
                                                           % ", ".join(MODES)),
    "interface": Option(default="open", description="open: in-band through /dev/ipmi0; lanplus: over the "
                                                    "network to host"),
    "host": Option(default=None, description="BMC address (lanplus)"),
    "port": integer(PORT_RANGE, 623, "BMC IPMI UDP port (lanplus)"),
    "user": Option(default=None, description="BMC account (lanplus)"),
    "password_file": Option(default=None, description="file on the audited host holding the BMC password "
                                                      "(lanplus); never the password itself"),
    "cipher_suite": integer(CIPHER_SUITE_RANGE, DEFAULT_CIPHER_SUITE, "IPMI 2.0 cipher suite (lanplus)"),
    "privilege": Option("str", choices=PRIVILEGES, default=DEFAULT_PRIVILEGE,
                        description="session privilege asked for (ipmitool -L, lanplus); reading a Supermicro LAN "
                                    "mode needs ADMINISTRATOR"),
    "generation": Option(default="auto", description="Supermicro command form: %s" % ", ".join(GENERATIONS)),
    "timeout": number(SECONDS, 10, "seconds each ipmitool call may take"),
}

# The numeric options, checked again before ipmitool runs (an audit run without the preflight's check).
RANGES = {key: OPTIONS[key].bounds for key in ("port", "cipher_suite", "timeout")}


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
    values = {"port": _number(AUDIT.option(ctx, "port"), int),
              "cipher_suite": _number(AUDIT.option(ctx, "cipher_suite"), int),
              "timeout": _number(AUDIT.option(ctx, "timeout"), float)}
    errors = range_errors(values, RANGES)
    if errors:
        raise ValueError("options.bmc: " + "; ".join(errors))
    return values


def _target(ctx: AuditContext, numbers: Dict[str, Any]) -> Target:
    return Target(interface=AUDIT.option(ctx, "interface"), host=AUDIT.option(ctx, "host"), port=numbers["port"],
                  user=AUDIT.option(ctx, "user"), password_file=AUDIT.option(ctx, "password_file"),
                  cipher_suite=numbers["cipher_suite"], privilege=AUDIT.option(ctx, "privilege"))


def applies(ctx: AuditContext) -> bool:
    """Cheap: ipmitool is installed and there is a BMC to ask (/dev/ipmi0, or a host given)."""
    if not ctx.runner.available(IPMITOOL):
        return False
    if AUDIT.option(ctx, "interface") == "lanplus":
        return bool(AUDIT.option(ctx, "host"))
    return ctx.sysfs.exists("dev", "ipmi0") or ctx.sysfs.exists("dev", "ipmi", "0")


def _fix_params(target: Target, wanted: str) -> Dict[str, Any]:
    params: Dict[str, Any] = {"mode": wanted}
    if target.remote:
        params.update(interface="lanplus", host=target.host, port=target.port, user=target.user,
                      privilege=target.privilege, allow_remote_change=True)
    return params


def evidence_of(reading: Reading, wanted: str, target: Target) -> Dict[str, Any]:
    """What a finding shows of a reading: the mode, and vendor, generation, command form and why."""
    return {"mode": reading.mode, "wanted_mode": wanted, "vendor": reading.vendor,
            "manufacturer_id": reading.manufacturer_id, "manufacturer_name": reading.manufacturer_name,
            "product_id": reading.product_id, "generation": reading.generation, "form": reading.form,
            "why": reading.why, "detail": reading.detail, "method": reading.method, "raw_answer": reading.raw,
            "settable": list(reading.settable), "interface": target.interface}


def findings_for(reading: Reading, wanted: str, target: Target) -> List[Finding]:
    """Findings for one reading (pure: unit tests call this directly)."""
    subject = target.describe().replace("the ", "", 1)
    evidence = evidence_of(reading, wanted, target)
    if not reading.known:
        evidence["reason"] = reading.reason
        return [Finding(
            id=UNKNOWN_ID, severity=WARNING, subject=subject, incident=INCIDENT, evidence=evidence,
            summary="%s: LAN interface mode unknown (%s)" % (subject, reading.vendor),
            fix=Fix(manual=advice.unknown(reading, wanted)))]
    if reading.mode == wanted:
        return []
    summary, manual = advice.mismatch(reading, subject, wanted)
    if wanted in reading.settable:
        fix = Fix(module=FIX_MODULE, params=_fix_params(target, wanted), role=ROLE, manual=manual)
    else:
        evidence["not_settable"] = reading.not_settable
        fix = Fix(manual=manual)
    if reading.mode == FAILOVER:
        return [Finding(id=FAILOVER_ID, severity=CRITICAL, subject=subject, incident=INCIDENT, evidence=evidence,
                        fix=fix, summary=summary)]
    return [Finding(id=MISMATCH_ID, severity=WARNING, subject=subject, incident=INCIDENT, evidence=evidence, fix=fix,
                    summary=summary)]


def failure_finding(exc: IpmiError, target: Target) -> Finding:
    """NM-BMC-004 (no answer) or NM-BMC-005 (login or privilege refused), with advice that fits the kind."""
    subject = target.describe().replace("the ", "", 1)
    check, todo = FAILURES.get(exc.kind, DEFAULT_FAILURE)
    what = "refuses the login or privilege" if check == LOGIN_ID else "cannot read the LAN mode"
    return Finding(id=check, severity=WARNING, subject=subject, incident=INCIDENT,
                   summary="%s: %s (%s)" % (subject, what, exc.kind),
                   evidence={"error": str(exc), "kind": exc.kind, "interface": target.interface,
                             "privilege": target.privilege if target.remote else None},
                   fix=Fix(manual=todo))


def run(ctx: AuditContext) -> List[Finding]:
    wanted = AUDIT.option(ctx, "wanted_mode")
    if wanted not in MODES:
        raise ValueError("options.bmc.wanted_mode must be one of %s" % ", ".join(MODES))
    numbers = _numbers(ctx)
    target = _target(ctx, numbers)
    problems = target.problems()
    if problems:
        raise ValueError("options.bmc: " + "; ".join(problems))
    tool = Ipmitool(target, runner=ctx.runner, timeout=numbers["timeout"])
    try:
        reading = read_lan_mode(tool, AUDIT.option(ctx, "generation"))
    except IpmiError as exc:
        return [failure_finding(exc, target)]
    return findings_for(reading, wanted, target)


AUDIT = Audit(name=NAME, area="bmc", skip_reason="no BMC to ask (no ipmitool, or no /dev/ipmi0 and no lanplus host)",
              description="BMC LAN interface mode (dedicated, not failover)", run=run,
              applies=applies, checks=CHECKS, options=OPTIONS)
