# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An FRR router's health for rollback (issue 16): sessions, adjacencies, routes.  Read-only.

One snapshot is a handful of vtysh calls (about 30 ms each here), only to
the daemons that run (``/proc``, as the reconcile's daemon check reads it):

* BGP: ``show bgp vrf all summary json`` through the bgp audit's reader
  (``bgp.audit.parse_summary``): each session's state and, per address
  family, the prefixes it accepted (``pfxRcd``);
* OSPF: ``show ip ospf vrf all neighbor json`` (``nbrState``, 8.4 also
  prints ``state``): Full or not; OSPFv3 ``show ipv6 ospf6 neighbor json``;
* IS-IS: ``show isis neighbor json`` (areas, circuits, ``state`` Up);
* routes: ``show ip[v6] route vrf NAME summary json`` per VRF (``show vrf``
  names them; ``vrf all`` prints one object per VRF without its name), the
  RIB count per route type (connected, static, ospf, ebgp, ibgp...).

Worse than before (:meth:`FrrHealth.compare`): a daemon that ran is gone; a
BGP session that was Established is not (a session no longer configured is
gone from the summary: removed on purpose, not worse); a session whose
accepted prefixes, or a route type whose RIB count, dropped by more than
``route_loss`` (a share, 0.2 = 20 %); an OSPF or IS-IS adjacency that was
Full/Up is not, or is gone (a dead neighbour leaves the list).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from ansible_collections.netmedic.network.plugins.module_utils.bgp.audit import (
    BgpOutputError, load_json, parse_summary)
from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health, HealthError
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.frr.processes import daemon_process
from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import Target

DAEMONS = ("zebra", "bgpd", "ospfd", "ospf6d", "isisd")
DEFAULT_ROUTE_LOSS = 0.2
_VRF_LINE = re.compile(r"^vrf (\S+) id ", re.M)


def _vtysh_json(target: Target, command: str) -> Dict[str, Any]:
    try:
        res = target.runner(target.argv("-c", command), timeout=target.timeout, check=False)
    except CommandError as exc:
        raise HealthError("vtysh: %s" % exc) from None
    if not res.ok:
        raise HealthError(res.describe())
    if not res.stdout.strip():
        return {}
    try:
        return load_json(res.stdout, command)
    except BgpOutputError as exc:
        raise HealthError(str(exc)) from None


def bgp_sessions(data: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """``{"VRF PEER": {"state": ..., "prefixes": {afi: pfxRcd}}}`` from the BGP summary."""
    try:
        peers, _families = parse_summary(data)
    except BgpOutputError as exc:
        raise HealthError(str(exc)) from None
    out = {}
    for (vrf, peer), entry in peers.items():
        fams = entry["families"]
        states = {f["state"] for f in fams.values()}
        out["%s %s" % (vrf, peer)] = {
            "state": "Established" if states == {"Established"} else sorted(states - {"Established"})[0],
            "prefixes": {afi: f["pfxRcd"] for afi, f in fams.items() if isinstance(f.get("pfxRcd"), int)}}
    return out


def ospf_neighbors(data: Dict[str, Any]) -> Dict[str, str]:
    """``{"VRF NEIGHBOR IFACE": state}`` from ``show ip ospf vrf all neighbor json`` (or without ``vrf all``)."""
    per_vrf = data if "neighbors" not in data else {"default": data}
    out = {}
    for vrf, body in per_vrf.items():
        if not isinstance(body, dict) or not isinstance(body.get("neighbors"), dict):
            continue
        for nbr, entries in body["neighbors"].items():
            for n in _list(entries) or [entries]:
                if isinstance(n, dict):
                    state = str(n.get("nbrState") or n.get("state") or "unknown")
                    out["%s %s %s" % (body.get("vrfName") or vrf, nbr, n.get("ifaceName", ""))] = state
    return out


def ospf6_neighbors(data: Dict[str, Any]) -> Dict[str, str]:
    out = {}
    for n in _list(data.get("neighbors")):
        if isinstance(n, dict):
            out["%s %s" % (n.get("neighborId"), n.get("interfaceName"))] = str(n.get("state", "unknown"))
    return out


def isis_adjacencies(data: Dict[str, Any]) -> Dict[str, str]:
    out = {}
    for area in _list(data.get("areas")):
        if not isinstance(area, dict):
            continue
        for c in _list(area.get("circuits")):
            if isinstance(c, dict) and "adj" in c:
                out["%s %s %s L%s" % (area.get("area"), c["adj"], c.get("interface"), c.get("level"))] = \
                    str(c.get("state", "unknown"))
    return out


def route_counts(data: Dict[str, Any]) -> Dict[str, int]:
    return {str(r["type"]): r.get("rib") or 0 for r in _list(data.get("routes"))
            if isinstance(r, dict) and "type" in r and isinstance(r.get("rib", 0), int)
            and not isinstance(r.get("rib"), bool)}


def vrf_names(text: str) -> List[str]:
    return ["default"] + [v for v in _VRF_LINE.findall(text) if v != "default"]


def _list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _full(state: str) -> bool:
    return state.startswith("Full")


def _share(before: int, after: int) -> float:
    return (before - after) / float(before)


class FrrHealth(Health):
    """One FRR instance's health (``target``: pathspace, vtysh, runner)."""

    def __init__(self, target: Target, route_loss: float = DEFAULT_ROUTE_LOSS):
        self.target = target
        self.route_loss = route_loss

    def snapshot(self) -> Dict[str, Any]:
        t = self.target
        running = {d: daemon_process(t.root, t.pathspace, d).running for d in DAEMONS}
        snap: Dict[str, Any] = {"daemons": running, "bgp": {}, "ospf": {}, "ospf6": {}, "isis": {}, "routes": {}}
        if running["bgpd"]:
            snap["bgp"] = bgp_sessions(_vtysh_json(t, "show bgp vrf all summary json"))
        if running["ospfd"]:
            snap["ospf"] = ospf_neighbors(_vtysh_json(t, "show ip ospf vrf all neighbor json"))
        if running["ospf6d"]:
            snap["ospf6"] = ospf6_neighbors(_vtysh_json(t, "show ipv6 ospf6 neighbor json"))
        if running["isisd"]:
            snap["isis"] = isis_adjacencies(_vtysh_json(t, "show isis neighbor json"))
        if running["zebra"]:
            res = t.runner(t.argv("-c", "show vrf"), timeout=t.timeout, check=False)
            for vrf in vrf_names(res.stdout if res.ok else ""):
                for af in ("ip", "ipv6"):
                    counts = route_counts(_vtysh_json(t, "show %s route vrf %s summary json" % (af, vrf)))
                    for proto, n in counts.items():
                        snap["routes"]["%s %s %s" % (vrf, "ipv4" if af == "ip" else "ipv6", proto)] = n
        return snap

    def compare(self, before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
        worse = ["%s is not running (it ran before the change)" % d
                 for d, ran in before["daemons"].items() if ran and not after["daemons"].get(d)]
        for key, was in before["bgp"].items():
            now = after["bgp"].get(key)
            if was["state"] != "Established" or now is None:
                continue
            if now["state"] != "Established":
                worse.append("BGP session %s is %s (Established before)" % (key, now["state"]))
                continue
            for afi, n in was["prefixes"].items():
                m = now["prefixes"].get(afi, 0)
                if n and _share(n, m) > self.route_loss:
                    worse.append("BGP session %s %s accepts %d prefixes (%d before)" % (key, afi, m, n))
        for kind, up in (("ospf", _full), ("ospf6", _full), ("isis", lambda s: s == "Up")):
            for key, was in before[kind].items():
                now = after[kind].get(key)
                if up(was) and (now is None or not up(now)):
                    name = kind.upper().replace("OSPF6", "OSPFv3")
                    worse.append("%s adjacency %s is %s (%s before)" % (name, key, now or "gone", was))
        for key, n in before["routes"].items():
            m = after["routes"].get(key, 0)
            if n and _share(n, m) > self.route_loss:
                worse.append("%s routes: %d (%d before)" % (key, m, n))
        return worse

    def watched(self, before: Dict[str, Any]) -> List[str]:
        out = ["daemons keep running: %s" % ", ".join(d for d, ran in before["daemons"].items() if ran)]
        est = [k for k, v in before["bgp"].items() if v["state"] == "Established"]
        if est:
            out.append("BGP sessions stay Established: %s" % ", ".join(est))
        for kind, up in (("ospf", _full), ("ospf6", _full), ("isis", lambda s: s == "Up")):
            adj = [k for k, v in before[kind].items() if up(v)]
            if adj:
                out.append("%s adjacencies stay up: %s" % (kind, ", ".join(adj)))
        if before["routes"]:
            out.append("no route type loses more than %g%% of its routes (%s)"
                       % (self.route_loss * 100, ", ".join("%s %d" % kv for kv in sorted(before["routes"].items()))))
        return out

    def describe(self, snapshot: Dict[str, Any]) -> str:
        bgp = snapshot["bgp"]
        est = sum(1 for v in bgp.values() if v["state"] == "Established")
        parts = ["daemons running: %s" % (", ".join(d for d, r in snapshot["daemons"].items() if r) or "none"),
                 "BGP %d/%d Established" % (est, len(bgp))]
        down = ["%s %s" % (k, v["state"]) for k, v in bgp.items() if v["state"] != "Established"]
        if down:
            parts.append("not Established: %s" % ", ".join(down))
        for kind in ("ospf", "ospf6", "isis"):
            if snapshot[kind]:
                parts.append("%s %s" % (kind, ", ".join("%s %s" % kv for kv in sorted(snapshot[kind].items()))))
        if snapshot["routes"]:
            parts.append("routes %s" % ", ".join("%s %d" % kv for kv in sorted(snapshot["routes"].items())))
        return "; ".join(parts)
