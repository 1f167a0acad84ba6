# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit BGP sessions before maintenance (incident 002: a flap cascade).

Incident 002: overloaded route reflectors could not read their peers' messages
fast enough, hold timers expired, sessions flapped, and each flap's full-table
re-sends overloaded the next speaker.  Maintenance must not start while
sessions are down, freshly flapped, flapping, backlogged or running on
hair-trigger hold timers.

Reads ``vtysh [-N PATHSPACE] -c 'show bgp vrf all summary json'`` (every VRF and
address family, EVPN included) and ``show bgp vrf all neighbors json``; with
``sample_interval`` > 0 it reads the neighbors again that many seconds later to
see whether ``connectionsDropped`` is growing right now.  Read-only.

FRR instances: ``pathspaces`` (a list) or ``pathspace`` (one name); default the
host's own FRR.  All instances are sampled, then one pause, then the second
samples.

Checks (options under ``options.bgp``, declared with their defaults in :data:`AUDIT`):

* NM-BGP-001 critical: a session is not Established (admin shutdown excluded).
* NM-BGP-002 warning: Established for less than ``min_established_seconds`` (300).
* NM-BGP-003 warning: ``connectionsDropped`` at or over ``max_connections_dropped`` (5).
* NM-BGP-004 critical: ``connectionsDropped`` grew between the two samples
  (``sample_interval`` seconds apart, default 3; 0 disables the second sample).
* NM-BGP-005 warning: in or out queue at or over ``max_queue`` (50 messages):
  the speaker is not keeping up.
* NM-BGP-006 warning: negotiated hold time under ``min_hold_time`` (9 s; FRR's
  datacenter profile uses 9, anything shorter expires under load).
* NM-BGP-007 warning (critical when no peer of the family is up): the
  summary's ``failedPeers`` of a VRF and address family, admin shutdowns excluded.
* NM-BGP-008 info: a peer is administratively shut down.
* NM-BGP-009 warning: BGP state could not be read (vtysh failed, output not JSON).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import json_input
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import (
    Audit, AuditContext, Option, integer, number)
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, INFO, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS_OR_ZERO
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.frr import instances
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemon_argv import DaemonsFileError
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemons_file import parse_assignments
from ansible_collections.netmedic.network.plugins.module_utils.frr.files import UnreadableFile, read_frr_file
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import daemons_path, run_dir, vtysh_argv

NAME = "bgp"
INCIDENT = "002"

CHECKS = {
    "NM-BGP-001": "BGP session not Established",
    "NM-BGP-002": "BGP session Established only recently (recent flap)",
    "NM-BGP-003": "BGP session dropped many times",
    "NM-BGP-004": "BGP session flapping now (connectionsDropped grew between samples)",
    "NM-BGP-005": "BGP in/out queue backlog",
    "NM-BGP-006": "BGP hold time under the policy minimum",
    "NM-BGP-007": "failed peers in a VRF and address family",
    "NM-BGP-008": "BGP peer administratively shut down",
    "NM-BGP-009": "BGP state could not be read",
}

# The pause between the two neighbor samples (a module attribute so tests can act during it).
_sleep = time.sleep

SUMMARY_CMD = "show bgp vrf all summary json"
NEIGHBORS_CMD = "show bgp vrf all neighbors json"


class BgpOutputError(ValueError):
    """vtysh answered something we cannot read; ``str()`` is for operators."""


def applies(ctx: AuditContext) -> bool:
    """bgpd is enabled (or has a pid file) in one of the FRR instances."""
    return instances.applies_to_any_instance(AUDIT, ctx, _applies_one)


def _applies_one(ctx: AuditContext, pathspace: Optional[str]) -> bool:
    if os.path.exists(os.path.join(run_dir(ctx.root, pathspace), "bgpd.pid")):
        return True
    try:
        bgpd = parse_assignments(read_frr_file(daemons_path(ctx.root, pathspace), lenient=True)).get("bgpd")
    except (UnreadableFile, DaemonsFileError):
        return False
    return bgpd is not None and bgpd.value not in ("", "no", "0")


# ---------------------------------------------------------------- parsing

def load_json(text: str, what: str) -> Dict[str, Any]:
    """vtysh's JSON answer, or BgpOutputError with what vtysh said instead."""
    if not (text or "").strip():
        raise BgpOutputError("'%s' printed nothing (is bgpd running?)" % what)
    data = json_input.load_json(text, what, BgpOutputError)
    if not isinstance(data, dict):
        raise BgpOutputError("'%s' printed JSON %s, expected an object keyed by VRF" % (what, type(data).__name__))
    return data


def _int(value: Any, default: int = 0) -> int:
    """A counter from vtysh's JSON; ``default`` for anything that is not a finite number (``inf``, text...)."""
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _msec(value: Any) -> Optional[float]:
    """A duration from vtysh's JSON, or None when it is not a finite, non-negative number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 <= value < float("inf") else None


def _name(value: Any, default: str = "") -> str:
    """A VRF, peer or state name fit for a one-line summary (vtysh prints plain names; anything else is
    shown escaped rather than breaking the report)."""
    if value is None or isinstance(value, (dict, list)):
        return default
    text = value if isinstance(value, str) else json.dumps(value)
    return text if text.isprintable() else json.dumps(text)[1:-1]


def parse_summary(data: Dict[str, Any]) -> Tuple[Dict[Tuple[str, str], Dict[str, Any]], List[Dict[str, Any]]]:
    """Peers and per-family totals from ``show bgp vrf all summary json``.

    Returns ``({(vrf, peer): {...}}, [family totals])``.  A peer listed under
    several address families is one session: its families are collected.
    """
    peers: Dict[Tuple[str, str], Dict[str, Any]] = {}
    families: List[Dict[str, Any]] = []
    _check_object(data, "summary")
    for vrf, per_vrf in data.items():
        if not isinstance(per_vrf, dict):
            raise BgpOutputError("summary: VRF %r is %s, not an object" % (vrf, type(per_vrf).__name__))
        for afi, fam in per_vrf.items():
            if not isinstance(fam, dict) or "peers" not in fam:
                continue  # scalar keys, empty families
            if not isinstance(fam["peers"], dict):
                raise BgpOutputError("summary: %s %s 'peers' is not an object" % (vrf, afi))
            vrf_name = _name(fam.get("vrfName")) or _name(vrf)
            afi = _name(afi)
            admin = []
            for name, p in fam["peers"].items():
                if not isinstance(p, dict):
                    raise BgpOutputError("summary: %s %s peer %s is not an object" % (vrf_name, afi, _name(name)))
                name = _name(name)
                key = (vrf_name, name)
                entry = peers.setdefault(key, {"vrf": vrf_name, "peer": name, "families": {}})
                state = _name(p.get("state", "unknown"), "unknown")
                entry["families"][afi] = {
                    "state": state, "peerState": _name(p.get("peerState")) or None, "inq": _int(p.get("inq")),
                    "outq": _int(p.get("outq")), "uptime_msec": _msec(p.get("peerUptimeMsec")),
                    "connectionsDropped": _int(p.get("connectionsDropped")),
                    "connectionsEstablished": _int(p.get("connectionsEstablished")),
                    "pfxRcd": p.get("pfxRcd"),
                }
                for k in ("remoteAs", "hostname", "desc"):
                    if p.get(k) is not None:
                        entry.setdefault(k, p.get(k))
                if is_admin_down(state, entry["families"][afi]["peerState"]):
                    admin.append(name)
            families.append({
                "vrf": vrf_name, "afi": afi, "failedPeers": _int(fam.get("failedPeers")),
                "totalPeers": _int(fam.get("totalPeers"), len(fam["peers"])), "admin_down": admin,
                "failed": sorted(n for n, p in ((_name(n), p) for n, p in fam["peers"].items())
                                 if _name(p.get("state")) != "Established" and n not in admin),
            })
    return peers, families


def _check_object(data: Any, what: str) -> None:
    if not isinstance(data, dict):
        raise BgpOutputError("%s: JSON %s, expected an object keyed by VRF" % (what, type(data).__name__))


def is_admin_down(state: Optional[str], peer_state: Optional[str]) -> bool:
    return peer_state == "Admin" or "(Admin)" in (state or "")


def parse_neighbors(data: Dict[str, Any]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """Per-session details from ``show bgp vrf all neighbors json``."""
    out: Dict[Tuple[str, str], Dict[str, Any]] = {}
    _check_object(data, "neighbors")
    for vrf, per_vrf in data.items():
        if not isinstance(per_vrf, dict):
            raise BgpOutputError("neighbors: VRF %r is %s, not an object" % (vrf, type(per_vrf).__name__))
        vrf_name = _name(per_vrf.get("vrfName")) or _name(vrf)
        for name, n in per_vrf.items():
            if not isinstance(n, dict) or ("bgpState" not in n and "connectionsDropped" not in n):
                continue
            stats = n.get("messageStats") if isinstance(n.get("messageStats"), dict) else {}
            out[(vrf_name, _name(name))] = {
                "state": _name(n.get("bgpState")) or None,
                "admin_down": n.get("adminShutDown") is True,
                "uptime_msec": _msec(n.get("bgpTimerUpMsec")),
                "hold_msec": _msec(n.get("bgpTimerHoldTimeMsecs")),
                "configured_hold_msec": _msec(n.get("bgpTimerConfiguredHoldTimeMsecs")),
                "keepalive_msec": _msec(n.get("bgpTimerKeepAliveIntervalMsecs")),
                "connectionsDropped": _int(n.get("connectionsDropped")),
                "connectionsEstablished": _int(n.get("connectionsEstablished")),
                "lastResetDueTo": _name(n.get("lastResetDueTo")) or None,
                "lastResetTimerMsecs": _msec(n.get("lastResetTimerMsecs")),
                "depthInq": _int(stats.get("depthInq")),
                "depthOutq": _int(stats.get("depthOutq")),
                "notificationsRecv": _int(stats.get("notificationsRecv"), None),
                "notificationsSent": _int(stats.get("notificationsSent"), None),
            }
    return out


# ---------------------------------------------------------------- reading

def read_vtysh_json(ctx: AuditContext, pathspace: Optional[str], command: str) -> Dict[str, Any]:
    res = ctx.runner(vtysh_argv(pathspace, command))
    if not res.ok:
        raise BgpOutputError("%s" % res.describe())
    return load_json(res.stdout, command)


def _error(pathspace: Optional[str], message: str, evidence: Dict[str, Any]) -> Finding:
    return Finding(
        id="NM-BGP-009", severity=WARNING, incident=INCIDENT, subject=_subject(pathspace, "bgpd"),
        summary="cannot read BGP state: %s" % message.splitlines()[0][:300],
        evidence=dict(evidence, error=message),
        fix=Fix(manual="Run the vtysh commands in the evidence by hand; check bgpd is running "
                       "(vtysh -c 'show daemons').  Report JSON vtysh printed but netmedic could not read as a bug."))


_subject = instances.instance_subject


def _peer_subject(pathspace: Optional[str], vrf: str, peer: str) -> str:
    s = "peer %s" % peer if vrf == "default" else "peer %s vrf %s" % (peer, vrf)
    return _subject(pathspace, s)


def run(ctx: AuditContext) -> List[Finding]:
    """Sample every FRR instance, wait ``sample_interval`` once, sample the neighbors again, evaluate."""
    try:
        spaces = instances.instances(AUDIT, ctx)
    except ValueError as exc:
        return [_error(None, str(exc), {"option": "options.bgp.pathspaces"})]
    interval = float(AUDIT.option(ctx, "sample_interval"))
    findings: List[Finding] = []
    samples = {}
    for pathspace in spaces:
        commands = [" ".join(vtysh_argv(pathspace, c)) for c in (SUMMARY_CMD, NEIGHBORS_CMD)]
        try:
            summary = parse_summary(read_vtysh_json(ctx, pathspace, SUMMARY_CMD))
            first = parse_neighbors(read_vtysh_json(ctx, pathspace, NEIGHBORS_CMD))
        except (BgpOutputError, CommandError) as exc:
            findings.append(_error(pathspace, str(exc), {"commands": commands}))
            continue
        samples[pathspace] = (summary, first, None, commands)
    if interval > 0 and samples:
        _sleep(interval)
        for pathspace, (summary, first, _none, commands) in list(samples.items()):
            try:
                second = parse_neighbors(read_vtysh_json(ctx, pathspace, NEIGHBORS_CMD))
            except (BgpOutputError, CommandError) as exc:
                findings.append(_error(pathspace, str(exc), {"commands": commands}))
                del samples[pathspace]
                continue
            samples[pathspace] = (summary, first, second, commands)
    for pathspace, (summary, first, second, _commands) in samples.items():
        findings += evaluate(ctx, pathspace, summary, first, second, interval)
    return findings


# ---------------------------------------------------------------- evaluation

def evaluate(ctx: AuditContext, pathspace: Optional[str], summary, first, second, interval: float) -> List[Finding]:
    peers, families = summary
    min_up = float(AUDIT.option(ctx, "min_established_seconds"))
    max_dropped = int(AUDIT.option(ctx, "max_connections_dropped"))
    max_queue = int(AUDIT.option(ctx, "max_queue"))
    min_hold = float(AUDIT.option(ctx, "min_hold_time"))
    findings: List[Finding] = []
    manual_flap = ("Find why the session resets (lastResetDueTo, the peer's logs, CPU load on route reflectors) "
                   "before maintenance; do not add load to a flapping speaker.")

    for key in sorted(set(peers) | set(first)):
        vrf, peer = key
        s = peers.get(key) or {"families": {}}
        n = first.get(key) or {}
        subject = _peer_subject(pathspace, vrf, peer)
        fams = s["families"]
        states = sorted({f["state"] for f in fams.values()} | ({n["state"]} if n.get("state") else set()))
        base: Dict[str, Any] = {"vrf": vrf, "peer": peer, "families": sorted(fams)}
        for k in ("remoteAs", "hostname", "desc"):
            if s.get(k) is not None:
                base[k] = s[k]
        if n.get("lastResetDueTo"):
            base["lastResetDueTo"] = n["lastResetDueTo"]
        dropped = max([n.get("connectionsDropped", 0)] + [f["connectionsDropped"] for f in fams.values()])
        base["connectionsDropped"] = dropped

        admin = n.get("admin_down") or any(is_admin_down(f["state"], f["peerState"]) for f in fams.values())
        if admin:
            findings.append(Finding(
                id="NM-BGP-008", severity=INFO, incident=INCIDENT, subject=subject,
                summary="BGP peer %s%s is administratively shut down"
                        % (peer, "" if vrf == "default" else " (vrf %s)" % vrf),
                evidence=dict(base, states=states),
                fix=Fix(manual="If the shutdown is left over from earlier work, 'no neighbor %s shutdown' "
                               "(router bgp%s)." % (peer, "" if vrf == "default" else " ... vrf " + vrf))))
            continue

        established = bool(states) and all(st == "Established" for st in states)
        if not established:
            findings.append(Finding(
                id="NM-BGP-001", severity=CRITICAL, incident=INCIDENT, subject=subject,
                summary="BGP session with %s%s is not Established (%s)"
                        % (peer, "" if vrf == "default" else " (vrf %s)" % vrf, ", ".join(states) or "no state"),
                evidence=dict(base, states=states, per_family={a: f["state"] for a, f in fams.items()},
                              last_reset_msec_ago=n.get("lastResetTimerMsecs")),
                fix=Fix(manual="Check the link, the peer's address and AS, and the peer's logs; bring the session "
                               "up before maintenance.")))
        else:
            ups = [f["uptime_msec"] for f in fams.values() if isinstance(f.get("uptime_msec"), (int, float))]
            if isinstance(n.get("uptime_msec"), (int, float)):
                ups.append(n["uptime_msec"])
            up_s = min(ups) / 1000.0 if ups else None
            if up_s is not None and up_s < min_up:
                findings.append(Finding(
                    id="NM-BGP-002", severity=WARNING, incident=INCIDENT, subject=subject,
                    summary="BGP session with %s has been Established for only %.0f s (under %.0f s): it flapped "
                            "recently" % (peer, up_s, min_up),
                    evidence=dict(base, established_seconds=up_s, min_established_seconds=min_up),
                    fix=Fix(manual=manual_flap)))
            hold = n.get("hold_msec")
            if isinstance(hold, (int, float)) and 0 < hold / 1000.0 < min_hold:
                findings.append(Finding(
                    id="NM-BGP-006", severity=WARNING, incident=INCIDENT, subject=subject,
                    summary="BGP session with %s runs a %.0f s hold time, under the %.0f s policy minimum: an "
                            "overloaded speaker drops it" % (peer, hold / 1000.0, min_hold),
                    evidence=dict(base, hold_time_seconds=hold / 1000.0,
                                  configured_hold_time_seconds=(n.get("configured_hold_msec") or 0) / 1000.0,
                                  keepalive_seconds=(n.get("keepalive_msec") or 0) / 1000.0,
                                  min_hold_time=min_hold),
                    fix=Fix(manual="Raise the hold time on both ends (neighbor %s timers <keepalive> <hold>, e.g. "
                                   "30 90) in a maintenance window." % peer)))

        if dropped >= max_dropped > 0:
            findings.append(Finding(
                id="NM-BGP-003", severity=WARNING, incident=INCIDENT, subject=subject,
                summary="BGP session with %s has dropped %d times (threshold %d)" % (peer, dropped, max_dropped),
                evidence=dict(base, max_connections_dropped=max_dropped,
                              connectionsEstablished=n.get("connectionsEstablished")),
                fix=Fix(manual=manual_flap)))

        if second is not None:
            later = second.get(key)
            if later is not None and later["connectionsDropped"] > n.get("connectionsDropped", 0):
                grew = later["connectionsDropped"] - n.get("connectionsDropped", 0)
                findings.append(Finding(
                    id="NM-BGP-004", severity=CRITICAL, incident=INCIDENT, subject=subject,
                    summary="BGP session with %s is flapping now: dropped %d more time(s) in %.0f s"
                            % (peer, grew, interval),
                    evidence=dict(base, connectionsDropped_first=n.get("connectionsDropped", 0),
                                  connectionsDropped_second=later["connectionsDropped"],
                                  sample_interval=interval, state_second=later.get("state"),
                                  lastResetDueTo_second=later.get("lastResetDueTo")),
                    fix=Fix(manual=manual_flap)))

        inq = max([n.get("depthInq", 0)] + [f["inq"] for f in fams.values()])
        outq = max([n.get("depthOutq", 0)] + [f["outq"] for f in fams.values()])
        if max(inq, outq) >= max_queue > 0:
            findings.append(Finding(
                id="NM-BGP-005", severity=WARNING, incident=INCIDENT, subject=subject,
                summary="BGP session with %s has a message backlog (in %d, out %d; threshold %d): %s is not "
                        "keeping up" % (peer, inq, outq, max_queue, "this speaker" if inq >= outq else "the peer"),
                evidence=dict(base, inq=inq, outq=outq, max_queue=max_queue),
                fix=Fix(manual="Check CPU and memory of both speakers (route reflectors first); postpone "
                               "maintenance that adds churn.")))

    for fam in families:
        failed = fam["failed"]
        if not failed:
            continue
        up = fam["totalPeers"] - len(fam["admin_down"]) - len(failed)
        sev = CRITICAL if up <= 0 else WARNING
        findings.append(Finding(
            id="NM-BGP-007", severity=sev, incident=INCIDENT,
            subject=_subject(pathspace, "vrf %s %s" % (fam["vrf"], fam["afi"])),
            summary="%d of %d BGP peers in vrf %s %s are down%s" % (
                len(failed), fam["totalPeers"] - len(fam["admin_down"]), fam["vrf"], fam["afi"],
                ": no peer of this family is up" if up <= 0 else ""),
            evidence={"vrf": fam["vrf"], "afi": fam["afi"], "failedPeers": fam["failedPeers"],
                      "failed": failed, "admin_down": fam["admin_down"], "totalPeers": fam["totalPeers"]},
            fix=Fix(manual="See the NM-BGP-001 findings of these peers.")))
    return findings


AUDIT = Audit(
    name=NAME,
    area="bgp",
    skip_reason="no FRR instance with bgpd enabled",
    description="BGP sessions: down, recently flapped, flapping now, backlogged, short hold timers, failed "
                "peers (incident 002)",
    run=run, applies=applies, checks=CHECKS,
    # Every option this audit reads (issue 11: unknown keys and non-finite numbers fail the preflight).
    options={
        "pathspaces": Option(description=instances.PATHSPACES_HELP),
        "pathspace": Option(description=instances.PATHSPACE_HELP),
        "min_established_seconds": number(SECONDS_OR_ZERO, default=300,
                                          description="a session Established for less flapped recently "
                                                      "(NM-BGP-002)"),
        "max_connections_dropped": integer((0, 10 ** 9), default=5,
                                           description="connectionsDropped at or over this is reported "
                                                       "(NM-BGP-003; 0 turns the check off)"),
        # the preflight pauses once this long: more than 10 minutes is a typo
        "sample_interval": number((0, 600), default=3.0,
                                  description="seconds between the two neighbor samples (NM-BGP-004; 0 takes one "
                                              "sample)"),
        "max_queue": integer((0, 10 ** 9), default=50,
                             description="in or out queue depth (messages) at or over this is a backlog "
                                         "(NM-BGP-005; 0 turns the check off)"),
        "min_hold_time": number((0, 65535), default=9,  # BGP hold time is a 16-bit count of seconds
                                description="negotiated hold time (seconds) under this is reported (NM-BGP-006)"),
    })
