# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit the IPv6 route cache for sticky reject entries (incident 003).

Incident 003: babeld replaced a route by deleting it and adding the new one.
A lookup that ran in between matched a covering ``unreachable`` route and the
kernel (before 4.2) cached an ``unreachable`` /128 clone of it, which then
shadowed the re-added, valid route for an hour or more.

The audit reads ``ip -6 -j route show cache table all`` and the FIB
(``ip -6 -j route show table all``) and reports every cache entry of type
unreachable, prohibit or blackhole whose destination the FIB of the same table
routes somewhere reachable (the longest matching FIB route is not a reject
route).  It also reports the risk factors: a standalone babeld running (it
still deletes then adds) and a kernel older than 4.2 (which clones a /128
cache entry on every lookup).  Read-only; the fix module
``netmedic.network.ipv6_route_cache_flush`` flushes exactly the sticky entries.

Checks:

* NM-IP6-001 critical: sticky reject cache entry shadowing a reachable route.
* NM-IP6-002 warning: babeld (the standalone daemon) is running; info when only installed.
* NM-IP6-003 warning: kernel older than 4.2.
* NM-IP6-009 warning: the route cache or FIB could not be read.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils import procfs
from ansible_collections.netmedic.network.plugins.module_utils.audits import Audit, AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.findings import CRITICAL, INFO, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.runner import CommandError

NAME = "ipv6_route_cache"
INCIDENT = "003"
FIX_MODULE = "netmedic.network.ipv6_route_cache_flush"

REJECT_TYPES = ("unreachable", "prohibit", "blackhole", "throw")
STICKY_TYPES = ("unreachable", "prohibit", "blackhole")
# Types that do not forward but are not "unreachable" either; not a valid cover.
NON_FORWARDING = REJECT_TYPES + ("multicast", "anycast", "nat")

CACHE_ARGV = ["ip", "-6", "-j", "-d", "route", "show", "cache", "table", "all"]
FIB_ARGV = ["ip", "-6", "-j", "-d", "route", "show", "table", "all"]

CHECKS = {
    "NM-IP6-001": "sticky unreachable/prohibit/blackhole IPv6 route cache entry shadowing a reachable route",
    "NM-IP6-002": "babeld (deletes then adds routes) present",
    "NM-IP6-003": "kernel older than 4.2 (clones a /128 cache entry on every IPv6 lookup)",
    "NM-IP6-009": "IPv6 route cache could not be read",
}

FRR_BABELD = "/usr/lib/frr/babeld"
BABELD_PATHS = ("/usr/bin/babeld", "/usr/sbin/babeld", "/usr/local/bin/babeld", "/usr/local/sbin/babeld")


class RouteOutputError(ValueError):
    """``ip -j`` printed something we cannot read; ``str()`` is for operators."""


def applies(ctx: AuditContext) -> bool:
    return os.path.exists(os.path.join(ctx.root or "/", "proc/net/ipv6_route")) and ctx.runner.available("ip")


# ---------------------------------------------------------------- parsing

def load_routes(text: str, what: str) -> List[Dict[str, Any]]:
    stripped = (text or "").strip()
    if not stripped:
        return []
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        raise RouteOutputError("'%s' did not print JSON (%s): %s" % (what, exc, stripped.splitlines()[0][:200])) \
            from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RouteOutputError("'%s' printed JSON that is not a list of routes" % what)
    return data


def route_type(route: Dict[str, Any]) -> str:
    return str(route.get("type") or "unicast")


def route_table(route: Dict[str, Any]) -> str:
    return str(route.get("table") or "main")


def route_network(route: Dict[str, Any]) -> Optional[ipaddress.IPv6Network]:
    dst = route.get("dst")
    if dst in (None, "default"):
        dst = "::/0"
    try:
        net = ipaddress.ip_network(str(dst), strict=False)
    except ValueError:
        return None
    return net if net.version == 6 else None


def longest_match(fib: Sequence[Dict[str, Any]], table: str, address: ipaddress.IPv6Address,
                  ) -> Optional[Dict[str, Any]]:
    """The FIB route of ``table`` the kernel would pick for ``address`` (longest prefix, lowest metric)."""
    best: Optional[Tuple[int, int, Dict[str, Any]]] = None
    for r in fib:
        if route_table(r) != table:
            continue
        net = route_network(r)
        if net is None or address not in net:
            continue
        metric = r.get("metric") if isinstance(r.get("metric"), int) else 0
        cand = (net.prefixlen, -metric, r)
        if best is None or cand[:2] > best[:2]:
            best = cand
    return best[2] if best else None


def sticky_entries(cache: Sequence[Dict[str, Any]], fib: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Cache entries of a reject type whose destination a reachable FIB route covers.

    Each result: ``{"dst", "type", "table", "cache_entry", "covering_route"}``.
    """
    out = []
    for entry in cache:
        kind = route_type(entry)
        if kind not in STICKY_TYPES:
            continue
        net = route_network(entry)
        if net is None:
            continue
        table = route_table(entry)
        cover = longest_match([r for r in fib if not _same_route(r, entry)], table, net.network_address)
        if cover is None or route_type(cover) in NON_FORWARDING:
            continue
        out.append({"dst": str(net.network_address) if net.prefixlen == 128 else str(net), "type": kind,
                    "table": table, "cache_entry": entry, "covering_route": cover})
    return out


def _same_route(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    return a == b


def kernel_release(root: str = "/") -> Optional[str]:
    try:
        with open(os.path.join(root or "/", "proc/sys/kernel/osrelease"), "r") as fh:
            return fh.read().strip()
    except OSError:
        return None


def kernel_older_than(release: Optional[str], major: int, minor: int) -> Optional[bool]:
    m = re.match(r"^(\d+)\.(\d+)", release or "")
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2))) < (major, minor)


def babeld_processes(root: str = "/") -> List[Dict[str, Any]]:
    """Running babeld processes that are not FRR's babeld (which goes through zebra)."""
    return [{"pid": p.pid, "argv": list(p.argv)} for p in procfs.scan(root, comm="babeld")
            if not (p.argv and p.argv[0] == FRR_BABELD)]


# ---------------------------------------------------------------- reading

def read_routes(runner, argv: List[str]) -> List[Dict[str, Any]]:
    res = runner(argv)
    if not res.ok:
        raise RouteOutputError(res.describe())
    return load_routes(res.stdout, " ".join(argv))


def read_state(runner) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(cache entries, FIB routes); RouteOutputError or CommandError when they cannot be read."""
    cache = read_routes(runner, CACHE_ARGV)
    fib = read_routes(runner, FIB_ARGV)
    return cache, fib


def run(ctx: AuditContext) -> List[Finding]:
    findings: List[Finding] = []
    try:
        cache, fib = read_state(ctx.runner)
    except (RouteOutputError, CommandError) as exc:
        findings.append(Finding(
            id="NM-IP6-009", severity=WARNING, incident=INCIDENT, subject="ipv6 route cache",
            summary="cannot read the IPv6 route cache: %s" % str(exc).splitlines()[0][:300],
            evidence={"commands": [" ".join(CACHE_ARGV), " ".join(FIB_ARGV)], "error": str(exc)},
            fix=Fix(manual="Run the commands in the evidence by hand (iproute2 with JSON support is needed).")))
        cache, fib = [], []
    sticky = sticky_entries(cache, fib)
    for s in sticky:
        cover = s["covering_route"]
        findings.append(Finding(
            id="NM-IP6-001", severity=CRITICAL, incident=INCIDENT, subject="%s (table %s)" % (s["dst"], s["table"]),
            summary="sticky '%s' IPv6 cache entry for %s shadows the reachable route %s%s: traffic to it fails"
                    % (s["type"], s["dst"], cover.get("dst"),
                       (" via %s" % cover["gateway"]) if cover.get("gateway") else
                       (" dev %s" % cover["dev"]) if cover.get("dev") else ""),
            evidence={"cache_entry": s["cache_entry"], "covering_route": cover, "table": s["table"]},
            fix=Fix(module=FIX_MODULE, params={"destinations": [s["dst"]]},
                    manual="ip -6 route flush cache table all %s" % s["dst"])))

    release = kernel_release(ctx.root)
    old_kernel = kernel_older_than(release, 4, 2)
    babelds = babeld_processes(ctx.root)
    installed = [p for p in BABELD_PATHS if os.path.exists(os.path.join(ctx.root or "/", p.lstrip("/")))]
    if babelds:
        findings.append(Finding(
            id="NM-IP6-002", severity=WARNING, incident=INCIDENT, subject="babeld",
            summary="babeld is running: it replaces routes by delete-then-add, which can leave sticky unreachable "
                    "IPv6 cache entries%s" % (" (and this kernel clones them on lookup)" if old_kernel else ""),
            evidence={"processes": babelds, "kernel": release, "sticky_entries_now": len(sticky),
                      "reference": "babel-users 2016-06-10 'Route deadlocks under load due to non-atomic kernel "
                                   "route updates'"},
            fix=Fix(manual="Run this audit after route changes; flush sticky entries with %s. Prefer a routing "
                           "daemon that replaces routes atomically (NLM_F_REPLACE)." % FIX_MODULE)))
    elif installed:
        findings.append(Finding(
            id="NM-IP6-002", severity=INFO, incident=INCIDENT, subject="babeld",
            summary="babeld is installed (not running): if started, it replaces routes by delete-then-add",
            evidence={"installed": installed, "kernel": release},
            fix=Fix(manual="Nothing to do unless babeld is started.")))
    if old_kernel:
        findings.append(Finding(
            id="NM-IP6-003", severity=WARNING, incident=INCIDENT, subject="kernel",
            summary="kernel %s is older than 4.2: every IPv6 lookup clones a /128 cache entry, so a route "
                    "replaced by delete-then-add can leave a sticky unreachable entry" % release,
            evidence={"kernel": release, "fixed_in": "4.2 (commit 45e4fd26, IPv6 route cache on demand)",
                      "babeld_running": bool(babelds)},
            fix=Fix(manual="Upgrade the kernel; until then audit the IPv6 cache after route changes.")))
    return findings


AUDIT = Audit(
    name=NAME,
    description="IPv6 route cache: sticky unreachable/prohibit/blackhole entries shadowing valid routes, "
                "babeld and old-kernel risk factors (incident 003)",
    run=run, applies=applies, checks=CHECKS)


# ---------------------------------------------------------------- repair (used by ipv6_route_cache_flush)

def parse_destinations(values: Sequence[str]) -> List[ipaddress.IPv6Network]:
    """IPv6 addresses or prefixes; ValueError with the offending value otherwise."""
    out = []
    for v in values or []:
        try:
            net = ipaddress.ip_network(str(v).strip(), strict=False)
        except ValueError:
            raise ValueError("%r is not an IPv6 address or prefix" % (v,)) from None
        if net.version != 6:
            raise ValueError("%r is not an IPv6 address or prefix" % (v,))
        out.append(net)
    return out


def select_sticky(sticky: Sequence[Dict[str, Any]], destinations: Sequence[ipaddress.IPv6Network]):
    """(sticky entries inside ``destinations`` (all when empty), destinations that matched no sticky entry)."""
    if not destinations:
        return list(sticky), []
    chosen, used = [], set()
    for s in sticky:
        net = route_network(s["cache_entry"])
        hits = [d for d in destinations if net is not None and net.subnet_of(d)]
        if hits:
            chosen.append(s)
            used.update(str(d) for d in hits)
    unused = [str(d) for d in destinations if str(d) not in used]
    return chosen, unused


def flush_argv(entry: Dict[str, Any]) -> List[str]:
    """``ip -6 route flush cache table T DST``: removes exactly the cache entries for DST in table T."""
    net = route_network(entry)
    dst = str(net) if net is not None else str(entry.get("dst"))
    return ["ip", "-6", "route", "flush", "cache", "table", route_table(entry), dst]


FLUSH_ALL_ARGV = ["ip", "-6", "route", "flush", "cache", "table", "all"]


def describe_entry(entry: Dict[str, Any]) -> str:
    """One line per cache entry for diffs: ``unreachable fd00::1 table main dev lo``."""
    parts = [route_type(entry), str(entry.get("dst")), "table", route_table(entry)]
    for key in ("gateway", "dev"):
        if entry.get(key):
            parts += ["via" if key == "gateway" else key, str(entry[key])]
    return " ".join(parts)
