# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit link carrier state and flaps across a maintenance window (incident 000).

Incident 000 began with a configuration change (an OSPF cost) that made the
driver cycle a 40GE port.  Nobody noticed the flap until zebra fell over.
This audit reads the carrier counters of every interface (link/counters.py) and:

* reports interfaces that are administratively up without carrier (NM-LINK-001;
  bridges and tun/tap devices excepted: their carrier follows ports or a reader);
* records the counters in ``ctx.snapshots["link_flaps"]`` (link/snapshot.py):
  the preflight module returns them and the controller keeps them in its report.
  Nothing is written on the host (issue 11);
* with ``phase: post``, compares with ``baseline`` (the counters of the
  preflight report, passed by the postflight) and reports every interface whose
  ``carrier_changes`` moved (NM-LINK-002), that disappeared or was re-created
  (NM-LINK-003), or a host that rebooted in between (NM-LINK-004).

Options (``options.link_flaps``): see ``OPTIONS`` below, each with its default.

Checks:

* NM-LINK-001 warning: interface administratively up but without carrier.
* NM-LINK-002 warning: carrier_changes moved since the preflight (the link flapped).
* NM-LINK-003 warning: an interface of the preflight is gone or was re-created.
* NM-LINK-004 info: the host rebooted since the preflight (counters restarted).
* NM-LINK-006 info: ``phase: post`` without counters from the preflight (a report
  written before they were kept in it, or a host missing from it): not compared.
* NM-LINK-009 warning: the preflight's counters cannot be used (malformed).

NM-LINK-005 ("snapshot saved") is retired with the snapshot file.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext, Option
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import INFO, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.link.counters import boot_id, read_links
from ansible_collections.netmedic.network.plugins.module_utils.link.snapshot import (
    SnapshotError, check_baseline, make_snapshot)

NAME = "link_flaps"
INCIDENT = "000"

OPTIONS = {
    "phase": Option("str", choices=("pre", "post"), default="pre",
                    description="pre: record the counters; post: also compare them with baseline"),
    "baseline": Option("dict", default=None,
                       description="the counters the preflight recorded (its report's snapshots.link_flaps), "
                                   "for phase post"),
    "interfaces": Option("list", default=[], description="names or shell patterns of the interfaces to watch; "
                                                         "empty: all"),
    "ignore": Option("list", default=["lo"], description="names or shell patterns of interfaces to leave out"),
}

RETIRED = {
    "snapshot_path": "the preflight is read-only on the host: the link counters are returned by the module and "
                     "kept in the controller's report (preflight.json, hosts.<host>.snapshots.link_flaps); the "
                     "postflight passes them back as options.link_flaps.baseline",
}

CHECKS = {
    "NM-LINK-001": "interface administratively up without carrier",
    "NM-LINK-002": "interface carrier changed (flapped) since the preflight",
    "NM-LINK-003": "interface gone or re-created since the preflight",
    "NM-LINK-004": "host rebooted since the preflight",
    "NM-LINK-006": "link counters not compared: none recorded by the preflight",
    "NM-LINK-009": "the preflight's link counters cannot be used",
}


def applies(ctx: AuditContext) -> bool:
    return ctx.sysfs.exists("sys/class/net")


def _int(value: Any) -> Optional[int]:
    """A counter of the recorded snapshot: an int, or None (bools and other types are not counters)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def compare(before: Dict[str, Any], links: Dict[str, Dict[str, Any]], boot: Optional[str],
            now: Optional[float] = None) -> List[Finding]:
    """Findings for what moved between the preflight's counters (checked by check_baseline) and now."""
    now = time.time() if now is None else now
    taken = before.get("taken")
    elapsed = round(now - taken, 1) if isinstance(taken, (int, float)) else None
    if before.get("boot_id") and boot and before["boot_id"] != boot:
        return [Finding(
            id="NM-LINK-004", severity=INFO, incident=INCIDENT, subject="host",
            summary="the host rebooted since the preflight: carrier counters restarted, flaps cannot be compared",
            evidence={"boot_id_before": before["boot_id"], "boot_id_now": boot, "preflight_taken": taken},
            fix=Fix(manual="Check interface state by hand after the reboot."))]
    findings: List[Finding] = []
    for name, old in sorted(before["interfaces"].items()):
        cur = links.get(name)
        if cur is None:
            findings.append(Finding(
                id="NM-LINK-003", severity=WARNING, incident=INCIDENT, subject=name,
                summary="interface %s existed at the preflight and is gone now" % name,
                evidence={"before": old, "seconds_since_preflight": elapsed},
                fix=Fix(manual="Find out what removed %s during the maintenance." % name)))
            continue
        index_then, index_now = _int(old.get("ifindex")), cur.get("ifindex")
        if index_then is not None and index_now is not None and index_then != index_now:
            findings.append(Finding(
                id="NM-LINK-003", severity=WARNING, incident=INCIDENT, subject=name,
                summary="interface %s was re-created since the preflight (ifindex %d -> %d): it went down meanwhile"
                        % (name, index_then, index_now),
                evidence={"before": old, "now": cur, "seconds_since_preflight": elapsed},
                fix=Fix(manual="Find out what re-created %s; check the routing daemons noticed." % name)))
            continue
        a, b = _int(old.get("carrier_changes")), cur.get("carrier_changes")
        if a is not None and b is not None and b != a:
            downs = None
            if _int(old.get("carrier_down_count")) is not None and cur.get("carrier_down_count") is not None:
                downs = cur["carrier_down_count"] - old["carrier_down_count"]
            findings.append(Finding(
                id="NM-LINK-002", severity=WARNING, incident=INCIDENT, subject=name,
                summary="interface %s changed carrier %d time(s) since the preflight%s (carrier now %s)"
                        % (name, b - a, "" if downs is None else ", %d down" % downs,
                           "up" if cur.get("carrier") == 1 else "down" if cur.get("carrier") == 0 else "unknown"),
                evidence={"carrier_changes_before": a, "carrier_changes_now": b, "carrier_down_events": downs,
                          "carrier_now": cur.get("carrier"), "operstate_now": cur.get("operstate"),
                          "seconds_since_preflight": elapsed},
                fix=Fix(manual="Check the kernel log for %s around the maintenance; make sure routing sessions "
                               "over it re-converged (run the bgp audit)." % name)))
    return findings


def run(ctx: AuditContext) -> List[Finding]:
    phase = str(AUDIT.option(ctx, "phase"))
    baseline = AUDIT.option(ctx, "baseline")
    include = list(AUDIT.option(ctx, "interfaces") or [])
    ignore = list(AUDIT.option(ctx, "ignore") or [])
    if phase not in ("pre", "post"):
        raise ValueError("options.link_flaps.phase must be 'pre' or 'post', not %r" % phase)
    if baseline is not None and phase != "post":
        raise ValueError("options.link_flaps.baseline is compared with only in phase: post")
    links = read_links(ctx.sysfs, include, ignore)
    findings: List[Finding] = []
    for name, cur in sorted(links.items()):
        if cur["admin_up"] and cur["carrier"] == 0 and not cur.get("virtual_carrier"):
            findings.append(Finding(
                id="NM-LINK-001", severity=WARNING, incident=INCIDENT, subject=name,
                summary="interface %s is administratively up but has no carrier" % name,
                evidence=dict(cur),
                fix=Fix(manual="Check the cable/optic and the far end of %s, or set it down if unused." % name)))
    boot = boot_id(ctx.root)
    # returned to the controller, which keeps it in the report: nothing is written here
    ctx.snapshots[NAME] = make_snapshot(links, boot)
    if phase == "pre":
        return findings
    if baseline is None:
        findings.append(Finding(
            id="NM-LINK-006", severity=INFO, incident=INCIDENT, subject="links",
            summary="link counters not compared: the preflight report has none for this host (a report written "
                    "before netmedic kept them there, or the host was not in it)",
            evidence={"interfaces_now": sorted(links)},
            fix=Fix(manual="Run the preflight before the next maintenance; its report keeps the link counters.")))
        return findings
    try:
        findings += compare(check_baseline(baseline), links, boot)
    except SnapshotError as exc:
        findings.append(Finding(
            id="NM-LINK-009", severity=WARNING, incident=INCIDENT, subject="links",
            summary=str(exc).splitlines()[0],
            evidence={"phase": phase, "error": str(exc)},
            fix=Fix(manual="Run the postflight with the preflight report this netmedic wrote "
                           "(postflight_baseline); check links by hand meanwhile.")))
    return findings


AUDIT = Audit(
    name=NAME,
    area="link",
    skip_reason="no /sys/class/net",
    description="Link carrier state and flaps between the preflight and the postflight (incident 000)",
    run=run, applies=applies, checks=CHECKS, options=OPTIONS, retired=RETIRED,
    # "counters not compared" is a note on the postflight's comparison, not a condition
    notes={"NM-LINK-006": "links_compared"})
