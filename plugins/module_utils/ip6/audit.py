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

import functools
import ipaddress
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, INFO, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.json_input import load_json
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError

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
    if not (text or "").strip():
        return []
    data = load_json(text, what, RouteOutputError)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RouteOutputError("'%s' printed JSON that is not a list of routes" % what)
    return data


def route_type(route: Dict[str, Any]) -> str:
    return str(route.get("type") or "unicast")


def route_table(route: Dict[str, Any]) -> str:
    return str(route.get("table") or "main")


def route_network(route: Dict[str, Any]) -> Optional[ipaddress.IPv6Network]:
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


def _metric(route: Dict[str, Any]) -> int:
    metric = route.get("metric")
    return metric if isinstance(metric, int) else 0


class Fib:
    """The FIB indexed by table and prefix: a longest-prefix lookup probes at most 129 prefixes.

    Looking through every route for every cache entry was O(entries x routes):
    with 20,000 sticky entries and a full IPv6 table (200,000 routes) that is
    4e9 steps; this is O(routes) once, then O(129) per entry.
    """

    def __init__(self, routes: Sequence[Dict[str, Any]]):
        self.routes: Dict[Tuple[str, ipaddress.IPv6Network], List[Dict[str, Any]]] = {}
        lengths: Dict[str, set] = {}
        for r in routes:
            net = route_network(r)
            if net is None:
                continue
            table = route_table(r)
            self.routes.setdefault((table, net), []).append(r)
            lengths.setdefault(table, set()).add(net.prefixlen)
        self.lengths = {table: sorted(found, reverse=True) for table, found in lengths.items()}

    def lookup(self, table: str, address: ipaddress.IPv6Address,
               exclude: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
        """The route of ``table`` the kernel would pick for ``address`` (longest prefix, lowest metric).

        ``exclude``: a route equal to this one is not a candidate (the cache entry itself).
        """
        for length in self.lengths.get(table, ()):
            candidates = [r for r in self.routes.get((table, ipaddress.ip_network((address, length), strict=False)), ())
                          if r != exclude]
            if candidates:
                return min(candidates, key=_metric)
        return None


def longest_match(fib: Sequence[Dict[str, Any]], table: str, address: ipaddress.IPv6Address,
                  ) -> Optional[Dict[str, Any]]:
    """The FIB route of ``table`` the kernel would pick for ``address`` (longest prefix, lowest metric)."""
    return Fib(fib).lookup(table, address)


def sticky_entries(cache: Sequence[Dict[str, Any]], fib: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Cache entries of a reject type whose destination a reachable FIB route covers.

    Each result: ``{"dst", "type", "table", "cache_entry", "covering_route"}``.
    """
    index = Fib(fib)
    out = []
    for entry in cache:
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
        out.append({"dst": str(net.network_address) if net.prefixlen == 128 else str(net), "type": kind,
                    "table": table, "cache_entry": entry, "covering_route": cover})
    return out


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

def read_routes(runner, argv: List[str], timeout: Optional[float] = None) -> List[Dict[str, Any]]:
    res = runner(argv) if timeout is None else runner(argv, timeout=timeout)
    if not res.ok:
        raise RouteOutputError(res.describe())
    return load_routes(res.stdout, " ".join(argv))


def read_state(runner, timeout: Optional[float] = None) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(cache entries, FIB routes); RouteOutputError or CommandError when they cannot be read."""
    cache = read_routes(runner, CACHE_ARGV, timeout)
    fib = read_routes(runner, FIB_ARGV, timeout)
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
                    % (s["type"], s["dst"], route_network(cover),
                       (" via %s" % _word(cover["gateway"])) if cover.get("gateway") else
                       (" dev %s" % _word(cover["dev"])) if cover.get("dev") else ""),
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


# One `ip` for many flushes, commands on stdin; -force: a failing line does not stop the
# others (what is left is read back and reported).
BATCH_ARGV = ["ip", "-6", "-force", "-batch", "-"]
# Lines per `ip -batch` call, so that the overall deadline is checked between calls.
BATCH_LINES = 200
FLUSH_ALL_ARGV = ["ip", "-6", "route", "flush", "cache", "table", "all"]
# rt_tables names and numbers: nothing that could end a batch line or start another
TABLE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def flush_lines(chosen: Sequence[Dict[str, Any]], cache: Sequence[Dict[str, Any]]) -> List[str]:
    """``ip -batch`` lines that flush exactly the ``chosen`` sticky entries (from :func:`sticky_entries`).

    Each ``ip route flush cache`` line dumps the whole cache and deletes what
    matches, so one line per entry costs O(n) each: measured on kernel 6.18 with
    real (PMTU) cache entries, 1,000 exact lines took 9.4 s with 6,644 entries in
    the cache and 499 took 0.15 s with 499; 20,000 would take minutes.  Entries
    that share a table, a type and a covering route are flushed with one line
    (``root COVER type TYPE``: 6,644 entries in 0.007 s), but only when they are
    all the cache holds of that type under that prefix, so nothing we did not
    identify is flushed; the others get an exact line each (``DST/128``).
    """
    groups: Dict[Tuple[str, str, Optional[ipaddress.IPv6Network]], List[Dict[str, Any]]] = {}
    for c in chosen:
        if not TABLE_RE.fullmatch(c["table"]):
            raise RouteOutputError("'ip -j' named a routing table %r; not flushing entries of it" % c["table"][:80])
        groups.setdefault((c["table"], c["type"], route_network(c["covering_route"])), []).append(c)
    under = _count_under(cache, [key for key, members in groups.items() if len(members) > 1 and key[2] is not None])
    lines = []
    for key in sorted(groups, key=str):
        table, kind, cover = key
        members = groups[key]
        if len(members) > 1 and under.get(key) == len(members):
            lines.append("route flush cache table %s type %s root %s" % (table, kind, cover))
        else:
            lines += ["route flush cache table %s type %s %s" % (table, kind, route_network(m["cache_entry"]))
                      for m in members]
    return lines


def _count_under(cache: Sequence[Dict[str, Any]], keys) -> Dict[Tuple, int]:
    """How many cache entries each ``(table, type, prefix)`` key selects (what ``root PREFIX`` flushes).

    O(entries x distinct prefix lengths), not O(entries x groups).
    """
    wanted = set(keys)
    lengths: Dict[Tuple[str, str], set] = {}
    for table, kind, net in wanted:
        lengths.setdefault((table, kind), set()).add(net.prefixlen)
    counts: Dict[Tuple, int] = {}
    for e in cache:
        pair = (route_table(e), route_type(e))
        if pair not in lengths:
            continue
        net = route_network(e)
        if net is None:
            continue
        for length in lengths[pair]:
            if net.prefixlen >= length:
                key = pair + (net.supernet(new_prefix=length),)
                if key in wanted:
                    counts[key] = counts.get(key, 0) + 1
    return counts


def _word(value: Any) -> str:
    """A value from ``ip -j`` as one short word for a summary or a diff line (no newline can split it)."""
    text = "".join(c if c.isprintable() and not c.isspace() else "?" for c in str(value))
    return text[:64] + ("..." if len(text) > 64 else "")


def describe_entry(entry: Dict[str, Any]) -> str:
    """One line per cache entry for diffs: ``unreachable fd00::1 table main dev lo``."""
    parts = [route_type(entry), str(entry.get("dst")), "table", route_table(entry)]
    for key in ("gateway", "dev"):
        if entry.get(key):
            parts += ["via" if key == "gateway" else key, str(entry[key])]
    return " ".join(_word(p) for p in parts)
