# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPv6 health a cache flush is judged by (issue 16): sticky entries, the routes they shadow, probes.

Read-only: ``ip -6 -j route show cache table all`` and ``... show table
all`` (cache.py, the audit's reader) and one ``ping`` per probe address.

* the sticky entries (sticky.py), inside the flushed ``destinations`` when
  they were given;
* the routes the flushed entries sat under: each flushed entry's covering
  FIB route (the route a sticky entry shadowed; for ``scope=all``, the route
  the kernel picks for the entry's destination), by table, prefix and type;
* the addresses the operator named (``rollback_probes``): up to three echo requests each, any reply counts.

"Worse" for a flush is not "worse than before" (before, the sticky entry
*is* the fault) but "the fault is not gone, or something was lost":

* a sticky entry is in the cache after the flush (it came back: the cause
  persists, e.g. a daemon still replacing routes by delete-then-add);
* a covering route that was there before is gone or became a reject route;
* a probe address does not answer (whether or not it did before the flush:
  reaching it is what the flush is for).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Optional, Sequence

from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health, HealthError
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.ip6.cache import (
    NON_FORWARDING, Route, RouteOutputError, read_state, route_network, route_table, route_type)
from ansible_collections.netmedic.network.plugins.module_utils.ip6.sticky import Fib, sticky_entries

LISTED = 20          # sticky destinations kept in a snapshot (the count is exact)
ROUTES_WATCHED = 200  # covering routes watched at most (20,000 entries sit under a handful of routes)


def _key(route: Route) -> str:
    return "%s table %s" % (route_network(route), route_table(route))


def covering_routes(plan) -> Dict[str, str]:
    """``{"PREFIX table T": type}``: the FIB routes the chosen entries sit under (a flush.Plan)."""
    index = Fib(plan.fib) if plan.scope == "all" else None
    out: Dict[str, str] = {}
    for entry in plan.chosen:
        cover = entry.cover
        if cover is None and index is not None and entry.network is not None:
            cover = index.lookup(entry.table, entry.network.network_address)
        if cover is not None and route_network(cover) is not None:
            out.setdefault(_key(cover), route_type(cover))
            if len(out) >= ROUTES_WATCHED:
                break
    return out


class Ip6Health(Health):
    """The health after an ip6_route_cache_flush (see the module docstring)."""

    def __init__(self, runner, plan, destinations: Sequence[ipaddress.IPv6Network], probes: Sequence[str],
                 timeout: float):
        self.runner = runner
        self.destinations = list(destinations)
        self.probes = list(probes)
        self.timeout = timeout
        self.routes = covering_routes(plan)

    def _sticky(self, cache: List[Route], fib: List[Route]) -> List[str]:
        found = sticky_entries(cache, fib)
        if self.destinations:
            found = [s for s in found if s.network is not None and any(s.network.subnet_of(d)
                                                                       for d in self.destinations)]
        return [str(s.dst) for s in found]

    def _answers(self, address: str) -> bool:
        try:
            # Up to three echo requests 0.2 s apart; any reply counts (ping exits 0).  One request with a
            # 1 s wait failed the host on a single lost or late reply: seen in make test under load
            # (test_rollback_fails_the_flush_when_the_route_is_lost read the destination as silent BEFORE
            # the flush).  "--": an address from the play is never read as an option.
            res = self.runner(["ping", "-6", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", "--", address],
                              timeout=5)
        except CommandError:
            return False
        return res.rc == 0

    def snapshot(self) -> Dict[str, Any]:
        try:
            cache, fib = read_state(self.runner, timeout=self.timeout)
        except (RouteOutputError, CommandError) as exc:
            raise HealthError("cannot read the IPv6 routes: %s" % exc) from None
        sticky = self._sticky(cache, fib)
        present = {_key(r): route_type(r) for r in fib if route_network(r) is not None and _key(r) in self.routes}
        return {"sticky_count": len(sticky), "sticky": sticky[:LISTED],
                "routes": {k: present.get(k) for k in sorted(self.routes)},
                "answers": {a: self._answers(a) for a in self.probes}}

    def compare(self, before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
        worse = []
        if after.get("sticky_count"):
            worse.append("%d sticky entr%s in the IPv6 route cache after the flush (the cause persists: is a daemon "
                         "still replacing routes by delete-then-add?): %s" % (
                             after["sticky_count"], "y is" if after["sticky_count"] == 1 else "ies are",
                             ", ".join(after.get("sticky") or [])))
        for key, kind in sorted((before.get("routes") or {}).items()):
            now = (after.get("routes") or {}).get(key)
            if kind and kind not in NON_FORWARDING and (now is None or now in NON_FORWARDING):
                worse.append("route %s is %s (it was there before the flush)"
                             % (key, "gone" if now is None else "now of type %s" % now))
        for address, ok in sorted((after.get("answers") or {}).items()):
            if not ok:
                worse.append("%s does not answer ping (%s before the flush)" % (
                    address, "it did" if (before.get("answers") or {}).get(address) else "nor"))
        return worse

    def watched(self, before: Dict[str, Any]) -> List[str]:
        out = ["no sticky entry (unreachable, prohibit, blackhole under a reachable route) in the IPv6 route "
               "cache%s; %d before the flush" % (
                   (" inside %s" % ", ".join(str(d) for d in self.destinations)) if self.destinations else "",
                   before.get("sticky_count") or 0)]
        for key, kind in sorted((before.get("routes") or {}).items()):
            if kind and kind not in NON_FORWARDING:
                out.append("route %s stays (the flushed entries sit under it)" % key)
        for address, ok in sorted((before.get("answers") or {}).items()):
            out.append("%s answers ping (%s now)" % (address, "it does" if ok else "it does not"))
        return out

    def describe(self, snapshot: Optional[Dict[str, Any]]) -> str:
        if snapshot is None:
            return "the IPv6 routes cannot be read"
        routes = snapshot.get("routes") or {}
        parts = ["%d sticky entr%s in the IPv6 route cache" % (
            snapshot.get("sticky_count") or 0, "y" if snapshot.get("sticky_count") == 1 else "ies")]
        if routes:
            parts.append("routes: %s" % ", ".join("%s %s" % (k, v or "gone") for k, v in sorted(routes.items())))
        answers = snapshot.get("answers") or {}
        if answers:
            parts.append("ping: %s" % ", ".join("%s %s" % (a, "answers" if ok else "no answer")
                                                for a, ok in sorted(answers.items())))
        return "; ".join(parts)
