# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit link carrier state and flaps across a maintenance window (incident 000).

Incident 000 began with a configuration change (an OSPF cost) that made the
driver cycle a 40GE port.  Nobody noticed the flap until zebra fell over.
This audit reads ``/sys/class/net/<if>/{carrier,carrier_changes,operstate,
flags,ifindex}`` for every interface and:

* reports interfaces that are administratively up without carrier (NM-LINK-001;
  bridges and tun/tap devices excepted: their carrier follows ports or a reader);
* records the counters in ``ctx.snapshots["link_flaps"]``: the preflight module
  returns them and the controller keeps them in its report (``preflight.json``,
  ``hosts.<h>.snapshots.link_flaps``).  Nothing is written on the host: the
  preflight is read-only there, check mode included (issue 11: it used to save a
  snapshot file, even under ``--check``);
* with ``phase: post``, compares with ``baseline`` (the counters of the
  preflight report, passed by the postflight) and reports every interface whose
  ``carrier_changes`` moved (NM-LINK-002), that disappeared or was re-created
  (NM-LINK-003), or a host that rebooted in between (NM-LINK-004).

Options (``options.link_flaps``): ``phase`` (``pre``/``post``, default
``pre``), ``baseline`` (the recorded counters, for ``post``), ``interfaces``
(list of names or shell patterns to watch; default all but ``lo``), ``ignore``
(patterns to leave out).

Recorded counters (the value of ``baseline``)::

    {"format": "netmedic-link-snapshot", "version": 1, "taken": <epoch seconds>,
     "boot_id": "<kernel boot id>", "hostname": "...",
     "interfaces": {"eth0": {"ifindex": 2, "carrier": 1, "carrier_changes": 4,
                             "carrier_up_count": 2, "carrier_down_count": 2,
                             "operstate": "up", "admin_up": true}}}

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

import fnmatch
import math
import os
import socket
import time
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext, Option
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import INFO, WARNING, Finding, Fix, short_repr
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import SysfsError

NAME = "link_flaps"
INCIDENT = "000"
FORMAT = "netmedic-link-snapshot"
VERSION = 1
IFF_UP = 0x1

DEFAULTS = {"phase": "pre", "baseline": None, "interfaces": [], "ignore": ["lo"]}

OPTIONS = {
    "phase": Option("str", choices=("pre", "post")),
    "baseline": Option("dict"),
    "interfaces": Option("list"),
    "ignore": Option("list"),
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


class SnapshotError(ValueError):
    """The recorded counters cannot be used; ``str()`` is for operators."""


def _opt(ctx: AuditContext, key: str):
    return ctx.opt(NAME, key, DEFAULTS[key])


def applies(ctx: AuditContext) -> bool:
    return ctx.sysfs.exists("sys/class/net")


def _selected(name: str, include: List[str], ignore: List[str]) -> bool:
    if any(fnmatch.fnmatchcase(name, p) for p in ignore):
        return False
    return not include or any(fnmatch.fnmatchcase(name, p) for p in include)


def _value(sysfs, *parts: str, number: bool = False) -> Any:
    """One attribute, or None when it cannot be read (a device that vanished meanwhile, EIO):
    one odd attribute must not cost the audit of every other link."""
    try:
        return sysfs.read_int(*parts) if number else sysfs.read(*parts)
    except SysfsError:
        return None


def read_links(sysfs, include: List[str] = (), ignore: List[str] = ("lo",)) -> Dict[str, Dict[str, Any]]:
    """Carrier counters of every selected interface, from sysfs."""
    out: Dict[str, Dict[str, Any]] = {}
    for name in sysfs.net_devices():
        if not _selected(name, list(include), list(ignore)):
            continue
        base = ("sys", "class", "net", name)
        flags = _value(sysfs, *base, "flags")
        try:
            admin_up = bool(int(flags, 16) & IFF_UP) if flags else None
        except ValueError:
            admin_up = None
        out[name] = {key: _value(sysfs, *base, key, number=True)
                     for key in ("ifindex", "carrier", "carrier_changes", "carrier_up_count", "carrier_down_count")}
        out[name].update(operstate=_value(sysfs, *base, "operstate"), admin_up=admin_up)
        # a bridge's carrier follows its ports, a tap's its reader: not a cable problem of their own
        if sysfs.exists(*base, "bridge") or sysfs.exists(*base, "tun_flags"):
            out[name]["virtual_carrier"] = True
    return out


def boot_id(root: str) -> Optional[str]:
    try:
        with open(os.path.join(root or "/", "proc/sys/kernel/random/boot_id"), "r") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def make_snapshot(links: Dict[str, Dict[str, Any]], boot: Optional[str], now: Optional[float] = None,
                  hostname: Optional[str] = None) -> Dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "taken": round(time.time() if now is None else now, 3),
            "boot_id": boot, "hostname": hostname if hostname is not None else socket.gethostname(),
            "interfaces": links}


def _interface_name(name: Any) -> bool:
    """What the kernel accepts as a name (dev_valid_name): 1-15 characters, no '/', ':' or whitespace."""
    return isinstance(name, str) and 0 < len(name) < 16 and name not in (".", "..") and \
        all(c.isprintable() and not c.isspace() and c not in "/:" for c in name)


def check_baseline(data: Any) -> Dict[str, Any]:
    """The recorded counters if they can be compared with, else SnapshotError saying why.

    They travel host -> controller report -> postflight options, so anything can
    happen to them on the way (an edited report, a report of another version).
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise SnapshotError("the preflight's link counters are not a netmedic link snapshot (format %s)"
                            % short_repr(data.get("format") if isinstance(data, Mapping) else type(data).__name__))
    if data.get("version") != VERSION:
        raise SnapshotError("the preflight's link counters have version %s; this netmedic reads version %d"
                            % (short_repr(data.get("version")), VERSION))
    interfaces = data.get("interfaces")
    if not isinstance(interfaces, Mapping) or not all(isinstance(v, Mapping) for v in interfaces.values()):
        raise SnapshotError("the preflight's link counters: 'interfaces' must map names to counters")
    bad = [k for k in interfaces if not _interface_name(k)]
    if bad:
        raise SnapshotError("the preflight's link counters name interfaces Linux cannot have: %s"
                            % ", ".join(short_repr(k, 40) for k in bad[:5]))
    taken = data.get("taken")
    if taken is not None and (isinstance(taken, bool) or not isinstance(taken, (int, float))
                              or not math.isfinite(taken)):
        raise SnapshotError("the preflight's link counters: 'taken' must be a time in seconds, got %s" % short_repr(taken))
    boot = data.get("boot_id")
    if boot is not None and not isinstance(boot, str):
        raise SnapshotError("the preflight's link counters: 'boot_id' must be a string, got %s" % short_repr(boot))
    return dict(data)


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
    phase = str(_opt(ctx, "phase"))
    baseline = _opt(ctx, "baseline")
    include = list(_opt(ctx, "interfaces") or [])
    ignore = list(_opt(ctx, "ignore") or [])
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
    description="Link carrier state and flaps between the preflight and the postflight (incident 000)",
    run=run, applies=applies, checks=CHECKS, options=OPTIONS, retired=RETIRED)
