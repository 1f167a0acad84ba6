# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Incident 002 on the speaker itself: many sessions reset together, and why (NM-BGP-010, NM-BGP-011).

A reflector that cannot keep up shows it across its sessions, not on one:
sessions reset in waves with "hold timer expired", OutQ grows, peers come
back with fresh uptimes, and bgpd is CPU-bound or starved.  Each session's
own findings (NM-BGP-001..005) are still reported; this module adds the one
finding that names the speaker as the cause, with the evidence together.

When a session last reset comes from the neighbor detail (``lastResetTimerMsecs``)
and, for sessions up again, from their uptime: FRR 8.4.4 overwrites the
reason of a session that came back (``No AFI/SAFI activated for peer``, seen
in the lab), so only sessions still down keep "Hold Timer Expired".

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bgp import load
from ansible_collections.netmedic.network.plugins.module_utils.bgp.parse import (
    hold_timer_expired, is_admin_down, reset_reason)
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.window import densest as window_densest, within
from ansible_collections.netmedic.network.plugins.module_utils.frr.instances import instance_subject

INCIDENT = "002"
EXAMPLES = 10

ADVICE = ("Do not start maintenance while the speaker is overloaded: every session it drops re-sends full tables "
          "and feeds the cascade. Relieve it first: stop the churning peers, give bgpd CPU, raise hold timers "
          "that are short (neighbor PEER timers 10 30, or FRR's default 60 180, on both ends). For good: shard the "
          "reflector (more reflectors with fewer clients each), rate-limit updates (advertisement-interval, "
          "coalesce-time, bgp update-delay) and dampen flapping clients.")


def _admin(s: Dict[str, Any], d: Dict[str, Any]) -> bool:
    return d.get("admin_down") or any(is_admin_down(f["state"], f["peerState"]) for f in s.get("families", {}).values())


def session_resets(peers, detail, latest, now: float) -> Tuple[List[Dict[str, Any]], int, int]:
    """(every session that has reset, with how long ago and why; sessions; sessions down now).

    ``peers``: the first summary, ``detail``: the neighbors, ``latest``: the
    second summary (or the first).  A session that never dropped is not a
    reset (a bgpd that just started has only young sessions).
    """
    out = []
    total = down = 0
    for key in sorted(set(peers) | set(detail)):
        s = latest.get(key) or peers.get(key) or {"families": {}}
        d = detail.get(key) or {}
        if _admin(s, d):
            continue
        total += 1
        fams = s["families"].values()
        states = {f["state"] for f in fams} or ({d["state"]} if d.get("state") else set())
        up = bool(states) and states == {"Established"}
        down += not up
        dropped = max([d.get("connectionsDropped") or 0] + [f["connectionsDropped"] or 0 for f in fams])
        if dropped < 1:
            continue
        last = d.get("lastResetTimerMsecs")
        if up:
            ups = [f["uptime_msec"] for f in fams if f.get("uptime_msec") is not None]
            if d.get("uptime_msec") is not None:
                ups.append(d["uptime_msec"])
            if not ups:
                continue
            ago = max([min(ups)] + ([last] if last is not None else [])) / 1000.0
        elif last is not None:
            ago = last / 1000.0
        else:
            continue
        out.append({"vrf": key[0], "peer": key[1], "seconds_ago": round(ago, 1), "at": round(now - ago, 1),
                    "up_again": up, "reason": reset_reason(d), "hold_timer_expired": hold_timer_expired(d)})
    return out, total, down


def densest(resets: List[Dict[str, Any]], window: float, lookback: float) -> List[Dict[str, Any]]:
    """The largest set of resets, within ``lookback`` seconds, that fit in one ``window``."""
    recent = sorted((r for r in resets if r["seconds_ago"] <= lookback), key=lambda r: r["seconds_ago"])
    return window_densest(recent, lambda r: r["seconds_ago"], window)


def _histogram(burst: List[Dict[str, Any]], step: int = 10) -> List[List[int]]:
    """[[seconds ago (bucket start), resets], ...], oldest first."""
    counts = Counter(int(r["seconds_ago"] // step) * step for r in burst)
    return [[k, counts[k]] for k in sorted(counts, reverse=True)]


def _queues(peers, detail, max_queue: int) -> Dict[str, int]:
    outq = inq = backlog = 0
    for key in set(peers) | set(detail):
        fams = (peers.get(key) or {"families": {}})["families"].values()
        d = detail.get(key) or {}
        o = max([d.get("depthOutq") or 0] + [f["outq"] or 0 for f in fams])
        i = max([d.get("depthInq") or 0] + [f["inq"] or 0 for f in fams])
        outq, inq = outq + o, inq + i
        backlog += max_queue > 0 and max(o, i) >= max_queue
    return {"outq_total": outq, "inq_total": inq, "peers_with_backlog": backlog}


def _is_address(text: Any) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _update_groups(detail) -> Tuple[List[Dict[str, Any]], int, List[str]]:
    """(largest update groups, route-reflector clients, the local addresses of the sessions)."""
    groups: Counter = Counter()
    clients = 0
    local = set()
    for d in detail.values():
        fams = d.get("families") or {}
        clients += any(f["routeReflectorClient"] for f in fams.values())
        for afi, f in fams.items():
            if f["updateGroupId"] is not None:
                groups[(afi, f["updateGroupId"])] += 1
        if _is_address(d.get("hostLocal")):  # "Unknown" while the session is down
            local.add(d["hostLocal"])
    top = [{"afi": afi, "update_group": gid, "peers": n} for (afi, gid), n in groups.most_common(5)]
    return top, clients, sorted(local)[:10]


def speaker(pathspace: Optional[str], families, clients: int) -> str:
    """``route reflector 10.0.0.1`` / ``BGP speaker 10.0.0.1`` (+ pathspace), for summaries."""
    ids = sorted({f["routerId"] for f in families if f.get("routerId")})
    what = "route reflector" if clients else "BGP speaker"
    return "%s%s%s" % (what, (" " + ", ".join(ids[:3])) if ids else "",
                       (" (pathspace %s)" % pathspace) if pathspace else "")


def evaluate(pathspace: Optional[str], summary, detail, latest, cpu: Optional[Dict[str, Any]], now: float,
             opts: Dict[str, Any]) -> List[Finding]:
    """NM-BGP-010 (many sessions reset together) and NM-BGP-011 (bgpd CPU-bound or starved)."""
    peers, families = summary
    findings = []
    window, lookback = float(opts["overload_window"]), float(opts["min_established_seconds"])
    minimum = int(opts["overload_min_sessions"])
    resets, total, down = session_resets(peers, detail, latest, now)
    burst = densest(resets, window, max(lookback, window))
    top, clients, local = _update_groups(detail)
    starving = load.starved(cpu, float(opts["max_cpu_percent"]))
    queues = _queues(latest, detail, int(opts["max_queue"]))
    who = speaker(pathspace, families, clients)
    if minimum > 0 and len(burst) >= minimum:
        hold = sum(r["hold_timer_expired"] for r in burst)
        span = burst[-1]["seconds_ago"] - burst[0]["seconds_ago"]
        signs = []
        if hold:
            signs.append("hold timer expired on %d" % hold)
        if queues["peers_with_backlog"]:
            signs.append("OutQ %d / InQ %d messages queued" % (queues["outq_total"], queues["inq_total"]))
        if starving:
            signs.append(starving)
        head = ("%s is overloaded: " % who) if signs else ("%s: " % who)
        summary_line = "%s%d of %d sessions reset %s, %d down now%s%s" % (
            head, len(burst), total, within(span), down, ("; " + "; ".join(signs)) if signs else "",
            "" if signs else " (no hold timer expiry, backlog or CPU starvation seen now: find the common cause)")
        evidence = {
            "speaker": who, "router_ids": sorted({f["routerId"] for f in families if f.get("routerId")}),
            "local_addresses": local, "sessions": total, "down": down, "reset_in_window": len(burst),
            "window_seconds": window, "first_reset_seconds_ago": burst[-1]["seconds_ago"],
            "last_reset_seconds_ago": burst[0]["seconds_ago"], "reset_from": burst[-1]["at"], "reset_to": burst[0]["at"],
            "hold_timer_expired": hold, "reset_reasons": dict(Counter(r["reason"] or "unknown" for r in burst).most_common(5)),
            "resets_per_10s": _histogram(burst), "route_reflector_clients": clients, "update_groups": top,
            "bgpd_cpu": cpu, "cpu_starved": starving, "examples": burst[:EXAMPLES],
        }
        evidence.update(queues)
        findings.append(Finding(id="NM-BGP-010", severity=CRITICAL, incident=INCIDENT,
                                subject=instance_subject(pathspace, "bgpd"),
                                summary=summary_line + ": do not start maintenance", evidence=evidence,
                                fix=Fix(manual=ADVICE)))
    if starving:
        findings.append(Finding(id="NM-BGP-011", severity=WARNING, incident=INCIDENT,
                                subject=instance_subject(pathspace, "bgpd"),
                                summary="%s is short of CPU: %s between the two samples" % (who, starving),
                                evidence=dict(queues, bgpd_cpu=cpu, sessions=total, down=down, speaker=who,
                                              max_cpu_percent=float(opts["max_cpu_percent"]), update_groups=top),
                                fix=Fix(manual="Give bgpd CPU before maintenance (what else runs here, its cgroup "
                                               "limit); a starved speaker reads keepalives late and its peers' "
                                               "hold timers expire. " + ADVICE.split(". ", 1)[1])))
    return findings
