# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vtysh's BGP JSON, parsed into the few values the ``bgp`` audit judges.

``show bgp vrf all summary json`` (every VRF and address family, one small
entry per peer: state, uptime, queues, drop counters) and ``show bgp vrf all
neighbors json`` (the detail: timers, why the session last reset, update
groups, route-reflector clients).  Measured on FRR 8.4.4 with 1,000 peers
(tests/bench/bgp_scale.py, 2 shared cores): the summary is 0.9 MB and vtysh
answers it in 0.15 s, the neighbors 3.4 MB in 0.42 s; ``json.loads`` and our
parsing of both take 0.16 s.  So the audit reads the neighbors once and samples
the summary twice (the whole audit: 1.1 s).

Anything that is not the expected JSON raises :class:`BgpOutputError`; odd
values inside it (text where a number belongs, ``inf``, objects as names) are
read as "unknown", never as a crash (issue 11).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import json_input


class BgpOutputError(ValueError):
    """vtysh answered something we cannot read; ``str()`` is for operators."""


def load_json(text: str, what: str) -> Dict[str, Any]:
    """vtysh's JSON answer, or BgpOutputError with what vtysh said instead."""
    if not (text or "").strip():
        raise BgpOutputError("'%s' printed nothing (is bgpd running?)" % what)
    data = json_input.load_json(text, what, BgpOutputError)
    if not isinstance(data, dict):
        raise BgpOutputError("'%s' printed JSON %s, expected an object keyed by VRF" % (what, type(data).__name__))
    return data


def _int(value: Any, default: Optional[int] = 0) -> Optional[int]:
    """A counter from vtysh's JSON; ``default`` for anything that is not a finite number (``inf``, text...)."""
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _msec(value: Any) -> Optional[float]:
    """A duration (or an epoch) from vtysh's JSON, or None when it is not a finite, non-negative number."""
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


def is_admin_down(state: Optional[str], peer_state: Optional[str]) -> bool:
    return peer_state == "Admin" or "(Admin)" in (state or "")


def _check_object(data: Any, what: str) -> None:
    if not isinstance(data, dict):
        raise BgpOutputError("%s: JSON %s, expected an object keyed by VRF" % (what, type(data).__name__))


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
                    "established_epoch": _msec(p.get("peerUptimeEstablishedEpoch")),
                    "connectionsDropped": _int(p.get("connectionsDropped")),
                    "connectionsEstablished": _int(p.get("connectionsEstablished")),
                    # FRR before 7.5 printed no drop counters in the summary: the audit then samples the neighbors
                    "has_counters": "connectionsDropped" in p,
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
                "routerId": _name(fam.get("routerId")) or None,
                "failed": sorted(n for n, p in ((_name(n), p) for n, p in fam["peers"].items())
                                 if _name(p.get("state")) != "Established" and n not in admin),
            })
    return peers, families


def _families_detail(value: Any) -> Dict[str, Dict[str, Any]]:
    """Per address family: update group and whether the peer is a route-reflector client."""
    out: Dict[str, Dict[str, Any]] = {}
    if not isinstance(value, dict):
        return out
    for afi, info in value.items():
        if isinstance(info, dict):
            out[_name(afi)] = {"updateGroupId": _int(info.get("updateGroupId"), None),
                               "routeReflectorClient": info.get("routeReflectorClient") is True}
    return out


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
                # "Hold Timer Expired" and "0400" (RFC 4271 error 4: hold timer expired), sent or received
                "lastNotificationReason": _name(n.get("lastNotificationReason")) or None,
                "lastErrorCodeSubcode": _name(n.get("lastErrorCodeSubcode")) or None,
                "hostLocal": _name(n.get("hostLocal")) or None,
                "families": _families_detail(n.get("addressFamilyInfo")),
                "depthInq": _int(stats.get("depthInq")),
                "depthOutq": _int(stats.get("depthOutq")),
                "notificationsRecv": _int(stats.get("notificationsRecv"), None),
                "notificationsSent": _int(stats.get("notificationsSent"), None),
            }
    return out


def hold_timer_expired(detail: Dict[str, Any]) -> bool:
    """The session's last reset was a hold timer expiry (ours or the peer's NOTIFICATION)."""
    reason = (detail.get("lastNotificationReason") or "").lower()
    code = detail.get("lastErrorCodeSubcode") or ""
    return "hold timer expired" in reason or code[:2] == "04"


def reset_reason(detail: Dict[str, Any]) -> Optional[str]:
    """Why the session last reset, in one phrase: ``Hold Timer Expired (BGP Notification send)``."""
    due, why = detail.get("lastResetDueTo"), detail.get("lastNotificationReason")
    if why and due:
        return "%s (%s)" % (why, due)
    return why or due
