# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet checks: findings computed from every host's findings, in the report step.

Incident 002 seen from the clients: 37 hosts each report that their session to
10.0.0.1 flapped.  Read host by host that is 37 unrelated findings; read
across the fleet it is one finding about 10.0.0.1.  The report step (runs on
the controller, core/report.py) calls :func:`findings` on the hosts' findings
and keeps the result under ``fleet`` in the report.

Checks (``FLEET_CHECKS``; ids ``NM-FLEET-NNN``, documented in docs/report-schema.md):

* NM-FLEET-001 critical: ``MIN_HOSTS`` (3) hosts or more lost their session to the
  same peer within ``WINDOW`` (90 s) of each other.  A finding says a session
  was lost with ``evidence.lost_session`` = ``{peer, vrf, at, seconds_ago,
  reason}`` (``at``: when, epoch seconds on the host's clock; the bgp audit's
  NM-BGP-001/002/004).  When a host of the report is that peer (its NM-BGP-010
  or NM-BGP-011 evidence lists the address among ``router_ids`` or
  ``local_addresses``), the finding names it and what it reports.
* NM-FLEET-002 (the worst severity grouped): ``MIN_HOSTS`` hosts or more report the
  same check about the same peer (``evidence.peer``, ``evidence.vrf``), apart from
  the lost sessions of NM-FLEET-001: one short-hold-timer or backlog problem at
  the peer, not one per host.

Hosts' clocks are trusted to within a few seconds (NTP); the window is wide
enough for that.  Pure functions on the report's data; standard library only.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.findings import (
    CRITICAL, Finding, Fix, severity_rank, sort_findings)
from ansible_collections.netmedic.network.plugins.module_utils.core.window import densest, within

WINDOW = 90.0   # seconds: issue 15's lab cascade lost 300 sessions in waves 20 to 40 s apart
MIN_HOSTS = 3   # two hosts can lose a peer together by chance (one link); three is a pattern
EXAMPLE_HOSTS = 50


def _entries(hosts: Mapping[str, Any]):
    """(host, finding dict) for every finding of every host that answered."""
    for host in sorted(hosts):
        data = hosts[host]
        if isinstance(data, Mapping) and data.get("status") == "ok":
            for f in data.get("findings") or []:
                yield host, f


def _peer_key(evidence: Mapping[str, Any]) -> Optional[Tuple[str, str]]:
    peer, vrf = evidence.get("peer"), evidence.get("vrf") or "default"
    if not isinstance(peer, str) or not peer or not isinstance(vrf, str):
        return None
    return peer, vrf


def _subject(peer: str, vrf: str) -> str:
    return "peer %s" % peer if vrf == "default" else "peer %s vrf %s" % (peer, vrf)


def _when(epoch: float) -> str:
    try:
        return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return "%.0f" % epoch


def _strings(value: Any) -> List[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _peer_host(hosts: Mapping[str, Any], peer: str) -> Tuple[Optional[str], List[str]]:
    """The host of the report that is ``peer`` (by its speaker findings' addresses), and those findings' ids."""
    for host, f in _entries(hosts):
        ev = f.get("evidence") or {}
        addresses = _strings(ev.get("router_ids")) + _strings(ev.get("local_addresses"))
        if peer in addresses:
            ids = sorted({g["id"] for h, g in _entries(hosts) if h == host
                          and (g.get("evidence") or {}).get("speaker")})
            return host, ids
    return None, []


def sessions_lost_together(hosts: Mapping[str, Any]) -> List[Finding]:
    """NM-FLEET-001."""
    lost: Dict[Tuple[str, str], Dict[str, Dict[str, Any]]] = {}
    for host, f in _entries(hosts):
        ls = (f.get("evidence") or {}).get("lost_session")
        if not isinstance(ls, Mapping):
            continue
        key = _peer_key(ls)
        at = ls.get("at")
        if key is None or isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at):
            continue
        seen = lost.setdefault(key, {}).get(host)
        if seen is None or at > seen["at"]:
            reason = ls.get("reason") if isinstance(ls.get("reason"), str) else None
            lost[key][host] = {"host": host, "at": float(at), "reason": reason, "checks": []}
        lost[key][host]["checks"] = sorted(set(lost[key][host]["checks"]) | {f["id"]})
    out = []
    for (peer, vrf), per_host in sorted(lost.items()):
        times = sorted(per_host.values(), key=lambda e: e["at"])
        best = densest(times, lambda e: e["at"], WINDOW)
        if len(best) < MIN_HOSTS:
            continue
        span = best[-1]["at"] - best[0]["at"]
        peer_host, peer_ids = _peer_host(hosts, peer)
        said = ""
        if peer_host:
            said = "; %s is host %s%s" % (peer, peer_host, (", which reports %s" % ", ".join(peer_ids)) if peer_ids
                                          else "")
        reasons: Dict[str, int] = {}
        for e in best:
            reasons[e["reason"] or "unknown"] = reasons.get(e["reason"] or "unknown", 0) + 1
        out.append(Finding(
            id="NM-FLEET-001", severity=CRITICAL, incident="002", subject=_subject(peer, vrf),
            summary="%d hosts lost their BGP session to %s %s (%s to %s): one cause at %s, not %d "
                    "separate ones%s" % (len(best), peer, within(span), _when(best[0]["at"]), _when(best[-1]["at"]),
                                         peer, len(best), said),
            evidence={"peer": peer, "vrf": vrf, "hosts": [e["host"] for e in best][:EXAMPLE_HOSTS],
                      "host_count": len(best), "window_seconds": WINDOW, "first": best[0]["at"], "last": best[-1]["at"],
                      "reasons": reasons, "per_host": best[:EXAMPLE_HOSTS],
                      "other_hosts_that_lost_it": sorted(set(per_host) - {e["host"] for e in best}),
                      "peer_host": peer_host, "peer_host_findings": peer_ids},
            fix=Fix(manual="Do not start maintenance: look at %s first (%s), not at each host. A speaker that "
                           "drops many sessions at once is overloaded or cut off (incident 002: a route reflector "
                           "starved of CPU)." % (peer, ("host %s's findings" % peer_host) if peer_host
                                                 else "its CPU, its logs, its links"))))
    return out


def same_check_same_peer(hosts: Mapping[str, Any]) -> List[Finding]:
    """NM-FLEET-002."""
    groups: Dict[Tuple[str, str, str], Dict[str, Mapping[str, Any]]] = {}
    for host, f in _entries(hosts):
        ev = f.get("evidence") or {}
        if isinstance(ev.get("lost_session"), Mapping):
            continue  # NM-FLEET-001's
        key = _peer_key(ev)
        if key is not None:
            groups.setdefault((f["id"], key[0], key[1]), {}).setdefault(host, f)
    out = []
    for (check, peer, vrf), per_host in sorted(groups.items()):
        if len(per_host) < MIN_HOSTS:
            continue
        worst = min((f["severity"] for f in per_host.values()), key=severity_rank)
        first_host = sorted(per_host)[0]
        example = per_host[first_host]
        out.append(Finding(
            id="NM-FLEET-002", severity=worst, incident=example.get("incident"),
            subject="%s %s" % (check, _subject(peer, vrf)),
            summary="%d hosts report %s about %s (%s: %s): one condition at %s, not %d" % (
                len(per_host), check, peer, first_host, example["summary"], peer, len(per_host)),
            evidence={"check": check, "peer": peer, "vrf": vrf, "host_count": len(per_host),
                      "hosts": sorted(per_host)[:EXAMPLE_HOSTS]},
            fix=example.get("fix") or Fix(manual="See the hosts' findings.")))
    return out


# Every fleet check: id -> (title, the function computing its findings from the report's hosts).
FLEET_CHECKS: Dict[str, Tuple[str, Callable[[Mapping[str, Any]], List[Finding]]]] = {
    "NM-FLEET-001": ("many hosts lost their BGP session to the same peer in the same window", sessions_lost_together),
    "NM-FLEET-002": ("many hosts report the same check about the same peer", same_check_same_peer),
}


def findings(hosts: Mapping[str, Any]) -> List[Finding]:
    """Every fleet check's findings for the report's ``hosts`` (their findings as dictionaries)."""
    out: List[Finding] = []
    for dummy, run in FLEET_CHECKS.values():
        out += run(hosts)
    return sort_findings(out)
