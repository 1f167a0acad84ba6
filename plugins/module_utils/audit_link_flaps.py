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
* with ``phase: pre`` and a ``snapshot_path``, saves the counters to a
  snapshot file (the preflight);
* with ``phase: post``, compares with the snapshot and reports every interface
  whose ``carrier_changes`` moved (NM-LINK-002), that disappeared or was
  re-created (NM-LINK-003), or a host that rebooted in between (NM-LINK-004).

Options (``options.link_flaps``): ``phase`` (``pre``/``post``, default
``pre``), ``snapshot_path`` (no default: without it nothing is written),
``interfaces`` (list of names or shell patterns to watch; default all but
``lo``), ``ignore`` (patterns to leave out).

Snapshot format (JSON, written atomically, mode 0600)::

    {"format": "netmedic-link-snapshot", "version": 1, "taken": <epoch seconds>,
     "boot_id": "<kernel boot id>", "hostname": "...",
     "interfaces": {"eth0": {"ifindex": 2, "carrier": 1, "carrier_changes": 4,
                             "carrier_up_count": 2, "carrier_down_count": 2,
                             "operstate": "up", "admin_up": true}}}

Checks:

* NM-LINK-001 warning: interface administratively up but without carrier.
* NM-LINK-002 warning: carrier_changes moved since the snapshot (the link flapped).
* NM-LINK-003 warning: an interface of the snapshot is gone or was re-created.
* NM-LINK-004 info: the host rebooted since the snapshot (counters restarted).
* NM-LINK-005 info: snapshot saved (tells the operator where).
* NM-LINK-009 warning: the snapshot cannot be read or written.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import fnmatch
import json
import os
import socket
import time
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils import fileops
from ansible_collections.netmedic.network.plugins.module_utils.audits import Audit, AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.findings import INFO, WARNING, Finding, Fix

NAME = "link_flaps"
INCIDENT = "000"
FORMAT = "netmedic-link-snapshot"
VERSION = 1
IFF_UP = 0x1

DEFAULTS = {"phase": "pre", "snapshot_path": None, "interfaces": [], "ignore": ["lo"]}

CHECKS = {
    "NM-LINK-001": "interface administratively up without carrier",
    "NM-LINK-002": "interface carrier changed (flapped) since the preflight snapshot",
    "NM-LINK-003": "interface gone or re-created since the preflight snapshot",
    "NM-LINK-004": "host rebooted since the preflight snapshot",
    "NM-LINK-005": "link snapshot saved",
    "NM-LINK-009": "link snapshot unreadable or not writable",
}


class SnapshotError(ValueError):
    """The snapshot file cannot be used; ``str()`` is for operators."""


def _opt(ctx: AuditContext, key: str):
    return ctx.opt(NAME, key, DEFAULTS[key])


def applies(ctx: AuditContext) -> bool:
    return ctx.sysfs.exists("sys/class/net")


def _selected(name: str, include: List[str], ignore: List[str]) -> bool:
    if any(fnmatch.fnmatchcase(name, p) for p in ignore):
        return False
    return not include or any(fnmatch.fnmatchcase(name, p) for p in include)


def read_links(sysfs, include: List[str] = (), ignore: List[str] = ("lo",)) -> Dict[str, Dict[str, Any]]:
    """Carrier counters of every selected interface, from sysfs."""
    out: Dict[str, Dict[str, Any]] = {}
    for name in sysfs.net_devices():
        if not _selected(name, list(include), list(ignore)):
            continue
        base = ("sys", "class", "net", name)
        flags = sysfs.read(*base, "flags")
        try:
            admin_up = bool(int(flags, 16) & IFF_UP) if flags else None
        except ValueError:
            admin_up = None
        out[name] = {
            "ifindex": sysfs.read_int(*base, "ifindex"),
            "carrier": sysfs.read_int(*base, "carrier"),
            "carrier_changes": sysfs.read_int(*base, "carrier_changes"),
            "carrier_up_count": sysfs.read_int(*base, "carrier_up_count"),
            "carrier_down_count": sysfs.read_int(*base, "carrier_down_count"),
            "operstate": sysfs.read(*base, "operstate"),
            "admin_up": admin_up,
        }
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


def save_snapshot(path: str, snapshot: Dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, mode=0o755, exist_ok=True)
    except OSError as exc:
        raise SnapshotError("cannot create %s: %s" % (directory, exc.strerror)) from None
    try:
        fileops.write_atomic(path, json.dumps(snapshot, indent=1, sort_keys=True) + "\n", backup=False, mode=0o600)
    except fileops.FileOpError as exc:
        raise SnapshotError(str(exc)) from None


def load_snapshot(path: str) -> Dict[str, Any]:
    try:
        text = fileops.read_text(path)
    except fileops.FileOpError as exc:
        raise SnapshotError("%s (was the preflight run with phase: pre and this snapshot_path?)" % exc) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SnapshotError("%s is not JSON: %s" % (path, exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError("%s is not a netmedic link snapshot (format %r)"
                            % (path, data.get("format") if isinstance(data, dict) else None))
    if data.get("version") != VERSION:
        raise SnapshotError("%s has snapshot version %r; this netmedic reads version %d"
                            % (path, data.get("version"), VERSION))
    if not isinstance(data.get("interfaces"), dict) or \
            not all(isinstance(v, dict) for v in data["interfaces"].values()):
        raise SnapshotError("%s: 'interfaces' must map names to counters" % path)
    return data


def compare(before: Dict[str, Any], links: Dict[str, Dict[str, Any]], boot: Optional[str],
            now: Optional[float] = None) -> List[Finding]:
    """Findings for what moved between a snapshot and the current counters."""
    now = time.time() if now is None else now
    taken = before.get("taken")
    elapsed = round(now - taken, 1) if isinstance(taken, (int, float)) else None
    if before.get("boot_id") and boot and before["boot_id"] != boot:
        return [Finding(
            id="NM-LINK-004", severity=INFO, incident=INCIDENT, subject="host",
            summary="the host rebooted since the link snapshot: carrier counters restarted, flaps cannot be compared",
            evidence={"boot_id_before": before["boot_id"], "boot_id_now": boot, "snapshot_taken": taken},
            fix=Fix(manual="Check interface state by hand after the reboot."))]
    findings: List[Finding] = []
    for name, old in sorted(before["interfaces"].items()):
        cur = links.get(name)
        if cur is None:
            findings.append(Finding(
                id="NM-LINK-003", severity=WARNING, incident=INCIDENT, subject=name,
                summary="interface %s existed at the snapshot and is gone now" % name,
                evidence={"before": old, "seconds_since_snapshot": elapsed},
                fix=Fix(manual="Find out what removed %s during the maintenance." % name)))
            continue
        if old.get("ifindex") is not None and cur.get("ifindex") is not None and old["ifindex"] != cur["ifindex"]:
            findings.append(Finding(
                id="NM-LINK-003", severity=WARNING, incident=INCIDENT, subject=name,
                summary="interface %s was re-created since the snapshot (ifindex %s -> %s): it went down meanwhile"
                        % (name, old["ifindex"], cur["ifindex"]),
                evidence={"before": old, "now": cur, "seconds_since_snapshot": elapsed},
                fix=Fix(manual="Find out what re-created %s; check the routing daemons noticed." % name)))
            continue
        a, b = old.get("carrier_changes"), cur.get("carrier_changes")
        if isinstance(a, int) and isinstance(b, int) and b != a:
            moved = b - a
            downs = None
            if isinstance(old.get("carrier_down_count"), int) and isinstance(cur.get("carrier_down_count"), int):
                downs = cur["carrier_down_count"] - old["carrier_down_count"]
            findings.append(Finding(
                id="NM-LINK-002", severity=WARNING, incident=INCIDENT, subject=name,
                summary="interface %s changed carrier %d time(s) since the snapshot%s (carrier now %s)"
                        % (name, moved, "" if downs is None else ", %d down" % downs,
                           "up" if cur.get("carrier") == 1 else "down" if cur.get("carrier") == 0 else "unknown"),
                evidence={"carrier_changes_before": a, "carrier_changes_now": b, "carrier_down_events": downs,
                          "carrier_now": cur.get("carrier"), "operstate_now": cur.get("operstate"),
                          "seconds_since_snapshot": elapsed},
                fix=Fix(manual="Check the kernel log for %s around the maintenance; make sure routing sessions "
                               "over it re-converged (run the bgp audit)." % name)))
    return findings


def run(ctx: AuditContext) -> List[Finding]:
    phase = str(_opt(ctx, "phase"))
    path = _opt(ctx, "snapshot_path")
    include = list(_opt(ctx, "interfaces") or [])
    ignore = list(_opt(ctx, "ignore") or [])
    if phase not in ("pre", "post"):
        raise ValueError("options.link_flaps.phase must be 'pre' or 'post', not %r" % phase)
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
    if not path:
        if phase == "post":
            raise ValueError("options.link_flaps.snapshot_path is needed with phase: post")
        return findings
    path = str(path)
    try:
        if phase == "pre":
            save_snapshot(path, make_snapshot(links, boot))
            findings.append(Finding(
                id="NM-LINK-005", severity=INFO, incident=INCIDENT, subject=path,
                summary="saved carrier counters of %d interface(s) to %s for the postflight" % (len(links), path),
                evidence={"snapshot_path": path, "interfaces": sorted(links)}, fix=None))
        else:
            findings += compare(load_snapshot(path), links, boot)
    except SnapshotError as exc:
        findings.append(Finding(
            id="NM-LINK-009", severity=WARNING, incident=INCIDENT, subject=path,
            summary="link snapshot: %s" % str(exc).splitlines()[0],
            evidence={"snapshot_path": path, "phase": phase, "error": str(exc)},
            fix=Fix(manual="Run the preflight with options.link_flaps {phase: pre, snapshot_path: %s} before the "
                           "maintenance." % path)))
    return findings


AUDIT = Audit(
    name=NAME,
    description="Link carrier state and flaps between a preflight snapshot and the postflight (incident 000)",
    run=run, applies=applies, checks=CHECKS)
