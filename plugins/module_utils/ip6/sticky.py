# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which IPv6 route cache entries are sticky (incident 003).

A cache entry of type unreachable, prohibit or blackhole is sticky when the
FIB of its table routes its destination somewhere reachable: the longest
matching FIB route is not a reject route.  Before kernel 4.2 a lookup that ran
while babeld replaced a route (delete, then add) cloned such an entry from a
covering ``unreachable`` route, and it shadowed the re-added route for an hour
or more.  The audit reports these entries; the flush removes exactly them.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import ipaddress
from typing import Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.ip6.cache import (
    NON_FORWARDING, STICKY_TYPES, Entry, Route, route_metric, route_network, route_table, route_type)


class Fib:
    """The FIB indexed by table and prefix: a longest-prefix lookup probes at most 129 prefixes.

    Looking through every route for every cache entry was O(entries x routes):
    with 20,000 sticky entries and a full IPv6 table (200,000 routes) that is
    4e9 steps; this is O(routes) once, then O(129) per entry.
    """

    def __init__(self, routes: Sequence[Route]):
        self.routes: Dict[Tuple[str, ipaddress.IPv6Network], List[Route]] = {}
        lengths: Dict[str, set] = {}
        for r in routes:
            net = route_network(r)
            if net is None:
                continue
            table = route_table(r)
            self.routes.setdefault((table, net), []).append(r)
            lengths.setdefault(table, set()).add(net.prefixlen)
        self.lengths = {table: sorted(found, reverse=True) for table, found in lengths.items()}

    def lookup(self, table: str, address: ipaddress.IPv6Address, exclude: Optional[Route] = None) -> Optional[Route]:
        """The route of ``table`` the kernel would pick for ``address`` (longest prefix, lowest metric).

        ``exclude``: a route equal to this one is not a candidate (the cache entry itself).
        """
        for length in self.lengths.get(table, ()):
            candidates = [r for r in self.routes.get((table, ipaddress.ip_network((address, length), strict=False)), ())
                          if r != exclude]
            if candidates:
                return min(candidates, key=route_metric)
        return None


def longest_match(fib: Sequence[Route], table: str, address: ipaddress.IPv6Address) -> Optional[Route]:
    """The FIB route of ``table`` the kernel would pick for ``address`` (longest prefix, lowest metric)."""
    return Fib(fib).lookup(table, address)


def sticky_entries(cache: Sequence[Route], fib: Sequence[Route]) -> List[Entry]:
    """Cache entries of a reject type whose destination a reachable FIB route covers (``Entry.cover``)."""
    index = Fib(fib)
    out = []
    for i, entry in enumerate(cache):
        kind = route_type(entry)
        if kind not in STICKY_TYPES:
            continue
        net = route_network(entry)
        if net is None:
            continue
        table = route_table(entry)
        cover = index.lookup(table, net.network_address, exclude=entry)
        if cover is None or route_type(cover) in NON_FORWARDING:
            continue
        dst = str(net.network_address) if net.prefixlen == 128 else str(net)
        out.append(Entry(i, entry, dst, kind, table, cover))
    return out
