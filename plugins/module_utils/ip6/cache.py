# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPv6 route cache and FIB as ``ip -6 -j`` prints them: read, parse, describe.

The one reader of ``ip -6 -j -d route show cache table all`` and ``... show
table all`` for the ``ip6_route_cache`` audit and the ``ip6_route_cache_flush``
module.  Routes stay the dicts iproute2 printed (evidence shows them as they
were); :class:`Entry` adds what the audit and the flush need to know of one
cache entry.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.json_input import load_json

REJECT_TYPES = ("unreachable", "prohibit", "blackhole", "throw")
STICKY_TYPES = ("unreachable", "prohibit", "blackhole")
# Types that do not forward but are not "unreachable" either; not a valid cover.
NON_FORWARDING = REJECT_TYPES + ("multicast", "anycast", "nat")

CACHE_ARGV = ["ip", "-6", "-j", "-d", "route", "show", "cache", "table", "all"]
FIB_ARGV = ["ip", "-6", "-j", "-d", "route", "show", "table", "all"]

Route = Dict[str, Any]


class RouteOutputError(ValueError):
    """``ip -j`` printed something we cannot read; ``str()`` is for operators."""


# ---------------------------------------------------------------- parsing

def load_routes(text: str, what: str) -> List[Route]:
    if not (text or "").strip():
        return []
    data = load_json(text, what, RouteOutputError)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RouteOutputError("'%s' printed JSON that is not a list of routes" % what)
    return data


def route_type(route: Route) -> str:
    return str(route.get("type") or "unicast")


def route_table(route: Route) -> str:
    return str(route.get("table") or "main")


def route_network(route: Route) -> Optional[ipaddress.IPv6Network]:
    dst = route.get("dst")
    return _network("::/0" if dst in (None, "default") else str(dst))


@functools.lru_cache(maxsize=65536)
def _network(text: str) -> Optional[ipaddress.IPv6Network]:
    # cached: the same destinations are parsed by the audit, the selection and the flush (20,000 x 4)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return net if net.version == 6 else None


def route_metric(route: Route) -> int:
    metric = route.get("metric")
    return metric if isinstance(metric, int) else 0


@dataclasses.dataclass(frozen=True)
class Entry:
    """One route cache entry: where it was in the listing, the route as printed, and its keys."""

    index: int                      # its place in the cache listing it was read from
    route: Route                    # the entry as `ip -j` printed it
    dst: Any                        # sticky: the address (a /128) or the prefix; scope=all: as printed
    type: str
    table: str
    cover: Optional[Route] = None   # sticky: the reachable FIB route that covers it

    @property
    def network(self) -> Optional[ipaddress.IPv6Network]:
        return route_network(self.route)

    @property
    def key(self) -> Tuple[str, str, str]:
        """What identifies the entry in a later listing of the cache: table, type, destination."""
        return (self.table, self.type, str(self.network))


def entries(cache: Sequence[Route]) -> List[Entry]:
    """Every entry of a cache listing, destinations as printed."""
    return [Entry(i, e, e.get("dst"), route_type(e), route_table(e)) for i, e in enumerate(cache)]


# ---------------------------------------------------------------- reading

def read_routes(runner, argv: List[str], timeout: Optional[float] = None) -> List[Route]:
    res = runner(argv) if timeout is None else runner(argv, timeout=timeout)
    if not res.ok:
        raise RouteOutputError(res.describe())
    return load_routes(res.stdout, " ".join(argv))


def read_state(runner, timeout: Optional[float] = None) -> Tuple[List[Route], List[Route]]:
    """(cache entries, FIB routes); RouteOutputError or CommandError when they cannot be read."""
    cache = read_routes(runner, CACHE_ARGV, timeout)
    fib = read_routes(runner, FIB_ARGV, timeout)
    return cache, fib


# ---------------------------------------------------------------- describing

def word(value: Any) -> str:
    """A value from ``ip -j`` as one short word for a summary or a diff line (no newline can split it)."""
    text = "".join(c if c.isprintable() and not c.isspace() else "?" for c in str(value))
    return text[:64] + ("..." if len(text) > 64 else "")


def describe_entry(entry: Route) -> str:
    """One line per cache entry for diffs: ``unreachable fd00::1 table main dev lo``."""
    parts = [route_type(entry), str(entry.get("dst")), "table", route_table(entry)]
    for key in ("gateway", "dev"):
        if entry.get(key):
            parts += ["via" if key == "gateway" else key, str(entry[key])]
    return " ".join(word(p) for p in parts)


def cache_text(routes: Sequence[Route]) -> str:
    """A cache listing as diff text, one line per entry."""
    return "".join(describe_entry(e) + "\n" for e in routes)
