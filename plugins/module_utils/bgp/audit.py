# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit BGP sessions before maintenance (incident 002: a flap cascade).

Incident 002: overloaded route reflectors could not read their peers' messages
fast enough, hold timers expired, sessions flapped, and each flap's full-table
re-sends overloaded the next speaker.  Maintenance must not start while
sessions are down, freshly flapped, flapping, backlogged or running on
hair-trigger hold timers, nor while the speaker itself is overloaded.

Reads ``vtysh [-N PATHSPACE] -c 'show bgp vrf all summary json'`` (every VRF and
address family, EVPN included) and ``show bgp vrf all neighbors json`` once;
with ``sample_interval`` > 0 it reads the summary again that many seconds
later (``connectionsDropped`` growing right now) and bgpd's CPU across the
pause.  Issue 15 measured a reflector with 1,000 peers: the neighbors are 3.4 MB
and take vtysh 0.42 s, the summary 0.9 MB and 0.15 s, so the second sample is
the summary (bgp/parse.py, tests/bench/bgp_scale.py).  Read-only.

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
* NM-BGP-010 critical: ``overload_min_sessions`` (10) sessions or more reset within
  ``overload_window`` (90 s) of each other in the last ``min_established_seconds``:
  the speaker (a route reflector, in the incident) is overloaded (bgp/overload.py).
* NM-BGP-011 warning: bgpd is CPU-bound (``max_cpu_percent``, 80) or starved of
  CPU between the two samples (bgp/load.py).

Findings about a session that was lost (001, 002, 004) carry
``evidence.lost_session`` (peer, VRF, when on this host's clock, why): the
report's fleet checks group them across hosts (core/fleet.py).  The sessions
are recorded in ``ctx.snapshots["bgp"]`` (bgp/snapshot.py) for the
postflight's "which sessions came back".

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import time
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bgp import load, overload, snapshot
from ansible_collections.netmedic.network.plugins.module_utils.bgp.parse import (  # noqa: F401 (earlier home)
    BgpOutputError, is_admin_down, load_json, parse_neighbors, parse_summary)
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import (
    Audit, AuditContext, Option, integer, number)
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, INFO, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS_OR_ZERO
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.frr import instances, version as frr_version
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
    "NM-BGP-010": "many BGP sessions reset within a short window: the speaker is overloaded",
    "NM-BGP-011": "bgpd is CPU-bound or starved of CPU",
}

# The pause between the two samples (a module attribute so tests can act during it), and the
# host's clock (when a session was lost, for the fleet checks).
_sleep = time.sleep
_now = time.time

SUMMARY_CMD = "show bgp vrf all summary json"
NEIGHBORS_CMD = "show bgp vrf all neighbors json"


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
    """Sample every FRR instance, wait ``sample_interval`` once, sample the summaries again, evaluate."""
    try:
        spaces = instances.instances(AUDIT, ctx)
    except ValueError as exc:
        return [_error(None, str(exc), {"option": "options.bgp.pathspaces"})]
    interval = float(AUDIT.option(ctx, "sample_interval"))
    findings: List[Finding] = []
    samples: Dict[Optional[str], Dict[str, Any]] = {}
    for pathspace in spaces:
        commands = [" ".join(vtysh_argv(pathspace, c)) for c in (SUMMARY_CMD, NEIGHBORS_CMD)]
        try:
            summary = parse_summary(read_vtysh_json(ctx, pathspace, SUMMARY_CMD))
            detail = parse_neighbors(read_vtysh_json(ctx, pathspace, NEIGHBORS_CMD))
        except (BgpOutputError, CommandError) as exc:
            findings.append(_error(pathspace, str(exc), {"commands": commands}))
            continue
        samples[pathspace] = {"summary": summary, "detail": detail, "commands": commands, "second": None,
                              "latest": summary[0], "cpu": load.sample(ctx.root, pathspace) if interval > 0 else None}
    if interval > 0 and samples:
        _sleep(interval)
        for pathspace, sample in list(samples.items()):
            try:
                _second_sample(ctx, pathspace, sample)
            except (BgpOutputError, CommandError) as exc:
                findings.append(_error(pathspace, str(exc), {"commands": sample["commands"]}))
                del samples[pathspace]
                continue
            sample["cpu"] = load.share(sample["cpu"], load.sample(ctx.root, pathspace))
    snap = snapshot.new(_now())
    for pathspace, sample in samples.items():
        found = evaluate(ctx, pathspace, sample, interval, snap)
        if found:   # the FRR version in the evidence (issue 14): one more vtysh command, only with findings
            frr_version.annotate(found, frr_version.read(ctx.runner, pathspace))
        findings += found
    if samples:
        ctx.snapshots[NAME] = snap
    return findings


def _second_sample(ctx: AuditContext, pathspace: Optional[str], sample: Dict[str, Any]) -> None:
    """The summary again: drop counters and states per session (the neighbors again on an FRR whose
    summary has no drop counters)."""
    peers = sample["summary"][0]
    if peers and not any(f["has_counters"] for p in peers.values() for f in p["families"].values()):
        again = parse_neighbors(read_vtysh_json(ctx, pathspace, NEIGHBORS_CMD))
        sample["second"] = {k: {"connectionsDropped": v["connectionsDropped"], "state": v["state"],
                                "lastResetDueTo": v["lastResetDueTo"]} for k, v in again.items()}
        return
    latest = parse_summary(read_vtysh_json(ctx, pathspace, SUMMARY_CMD))[0]
    sample["latest"] = latest
    sample["second"] = {k: {"connectionsDropped": max(f["connectionsDropped"] for f in v["families"].values()),
                            "state": ", ".join(sorted({f["state"] for f in v["families"].values()})),
                            "lastResetDueTo": None}
                        for k, v in latest.items() if v["families"]}


# ---------------------------------------------------------------- evaluation

def _options(ctx: AuditContext) -> Dict[str, Any]:
    return {key: AUDIT.option(ctx, key) for key in (
        "min_established_seconds", "max_connections_dropped", "max_queue", "min_hold_time", "overload_window",
        "overload_min_sessions", "max_cpu_percent")}


def _lost(reset: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """``evidence.lost_session`` of a session finding: the fleet checks group hosts by it (core/fleet.py)."""
    if not reset:
        return {}
    return {"lost_session": {k: reset[k] for k in ("peer", "vrf", "at", "seconds_ago", "reason")}}


def evaluate(ctx: AuditContext, pathspace: Optional[str], sample: Dict[str, Any], interval: float,
             snap: Optional[Dict[str, Any]] = None) -> List[Finding]:
    peers, families = sample["summary"]
    first, second = sample["detail"], sample["second"]
    opts = _options(ctx)
    min_up = float(opts["min_established_seconds"])
    max_dropped = int(opts["max_connections_dropped"])
    max_queue = int(opts["max_queue"])
    min_hold = float(opts["min_hold_time"])
    now = _now()
    resets = {(r["vrf"], r["peer"]): r for r in overload.session_resets(peers, first, sample["latest"], now)[0]}
    findings: List[Finding] = []
    manual_flap = ("Find why the session resets (lastResetDueTo, the peer's logs, CPU load on route reflectors) "
                   "before maintenance; do not add load to a flapping speaker.")

    for key in sorted(set(peers) | set(first)):
        vrf, peer = key
        s = peers.get(key) or {"families": {}}
        n = first.get(key) or {}
        subject = _peer_subject(pathspace, vrf, peer)
        if snap is not None:
            snapshot.add(snap, subject, sample["latest"].get(key) or s, n)
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
                              last_reset_msec_ago=n.get("lastResetTimerMsecs"), **_lost(resets.get(key))),
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
                    evidence=dict(base, established_seconds=up_s, min_established_seconds=min_up,
                                  **_lost(resets.get(key))),
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
            if later is not None and later["connectionsDropped"] > dropped:
                grew = later["connectionsDropped"] - dropped
                now_lost = {"peer": peer, "vrf": vrf, "at": round(now, 1), "seconds_ago": 0.0,
                            "reason": later.get("lastResetDueTo") or n.get("lastResetDueTo")}
                findings.append(Finding(
                    id="NM-BGP-004", severity=CRITICAL, incident=INCIDENT, subject=subject,
                    summary="BGP session with %s is flapping now: dropped %d more time(s) in %.0f s"
                            % (peer, grew, interval),
                    evidence=dict(base, connectionsDropped_first=dropped,
                                  connectionsDropped_second=later["connectionsDropped"],
                                  sample_interval=interval, state_second=later.get("state"),
                                  lastResetDueTo_second=later.get("lastResetDueTo"), lost_session=now_lost),
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
    findings += overload.evaluate(pathspace, sample["summary"], first, sample["latest"], sample["cpu"]
                                  if interval > 0 else None, now, opts)
    return findings


AUDIT = Audit(
    name=NAME,
    area="bgp",
    skip_reason="no FRR instance with bgpd enabled",
    description="BGP sessions: down, recently flapped, flapping now, backlogged, short hold timers, failed "
                "peers; the speaker overloaded (many sessions reset together, bgpd short of CPU) (incident 002)",
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
        # issue 15's lab: the waves of one cascade came 20 to 40 s apart, each some seconds long
        "overload_window": number((1, 3600), default=90,
                                  description="sessions that reset within this many seconds of each other count "
                                              "together (NM-BGP-010)"),
        "overload_min_sessions": integer((0, 10 ** 6), default=10,
                                         description="this many sessions reset together make the speaker overloaded "
                                                     "(NM-BGP-010; 0 turns the check off)"),
        "max_cpu_percent": number((0, 10000), default=80,
                                  description="bgpd's CPU (percent of one CPU) between the two samples at or over "
                                              "this is CPU-bound (NM-BGP-011; 0: only starvation is reported)"),
    })
