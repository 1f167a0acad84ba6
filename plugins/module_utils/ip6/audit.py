# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit the IPv6 route cache for sticky reject entries (incident 003).

Incident 003: babeld replaced a route by deleting it and adding the new one.
A lookup that ran in between matched a covering ``unreachable`` route and the
kernel (before 4.2) cached an ``unreachable`` /128 clone of it, which then
shadowed the re-added, valid route for an hour or more.

The audit reads ``ip -6 -j route show cache table all`` and the FIB
(``ip -6 -j route show table all``) with ip6/cache.py and reports every sticky
entry (ip6/sticky.py: a reject entry whose destination the FIB of the same
table routes somewhere reachable).  It also reports the risk factors
(ip6/risk.py): a standalone babeld running and a kernel older than 4.2.
Read-only; the fix module ``netmedic.network.ip6_route_cache_flush`` flushes
exactly the sticky entries.  It takes no options.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
from typing import List

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, INFO, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.ip6.cache import (
    CACHE_ARGV, FIB_ARGV, RouteOutputError, read_state, route_network, word)
from ansible_collections.netmedic.network.plugins.module_utils.ip6.risk import (
    babeld_installed, babeld_processes, kernel_older_than, kernel_release)
from ansible_collections.netmedic.network.plugins.module_utils.ip6.sticky import sticky_entries

NAME = "ip6_route_cache"
INCIDENT = "003"
FIX_MODULE = "netmedic.network.ip6_route_cache_flush"

STICKY_ID = "NM-IP6-001"
BABELD_ID = "NM-IP6-002"
OLD_KERNEL_ID = "NM-IP6-003"
UNREADABLE_ID = "NM-IP6-009"

CHECKS = {
    STICKY_ID: "sticky unreachable/prohibit/blackhole IPv6 route cache entry shadowing a reachable route",
    BABELD_ID: "babeld (deletes then adds routes) present",
    OLD_KERNEL_ID: "kernel older than 4.2 (clones a /128 cache entry on every IPv6 lookup)",
    UNREADABLE_ID: "IPv6 route cache could not be read",
}


def applies(ctx: AuditContext) -> bool:
    return os.path.exists(os.path.join(ctx.root or "/", "proc/net/ipv6_route")) and ctx.runner.available("ip")


def run(ctx: AuditContext) -> List[Finding]:
    findings: List[Finding] = []
    try:
        cache, fib = read_state(ctx.runner)
    except (RouteOutputError, CommandError) as exc:
        findings.append(Finding(
            id=UNREADABLE_ID, severity=WARNING, incident=INCIDENT, subject="ipv6 route cache",
            summary="cannot read the IPv6 route cache: %s" % str(exc).splitlines()[0][:300],
            evidence={"commands": [" ".join(CACHE_ARGV), " ".join(FIB_ARGV)], "error": str(exc)},
            fix=Fix(manual="Run the commands in the evidence by hand (iproute2 with JSON support is needed).")))
        cache, fib = [], []
    sticky = sticky_entries(cache, fib)
    for s in sticky:
        cover = s.cover
        findings.append(Finding(
            id=STICKY_ID, severity=CRITICAL, incident=INCIDENT, subject="%s (table %s)" % (s.dst, s.table),
            summary="sticky '%s' IPv6 cache entry for %s shadows the reachable route %s%s: traffic to it fails"
                    % (s.type, s.dst, route_network(cover),
                       (" via %s" % word(cover["gateway"])) if cover.get("gateway") else
                       (" dev %s" % word(cover["dev"])) if cover.get("dev") else ""),
            evidence={"cache_entry": s.route, "covering_route": cover, "table": s.table},
            fix=Fix(module=FIX_MODULE, params={"destinations": [s.dst]},
                    manual="ip -6 route flush cache table all %s" % s.dst)))

    release = kernel_release(ctx.root)
    old_kernel = kernel_older_than(release, 4, 2)
    babelds = babeld_processes(ctx.root)
    installed = babeld_installed(ctx.root)
    if babelds:
        findings.append(Finding(
            id=BABELD_ID, severity=WARNING, incident=INCIDENT, subject="babeld",
            summary="babeld is running: it replaces routes by delete-then-add, which can leave sticky unreachable "
                    "IPv6 cache entries%s" % (" (and this kernel clones them on lookup)" if old_kernel else ""),
            evidence={"processes": babelds, "kernel": release, "sticky_entries_now": len(sticky),
                      "reference": "babel-users 2016-06-10 'Route deadlocks under load due to non-atomic kernel "
                                   "route updates'"},
            fix=Fix(manual="Run this audit after route changes; flush sticky entries with %s. Prefer a routing "
                           "daemon that replaces routes atomically (NLM_F_REPLACE)." % FIX_MODULE)))
    elif installed:
        findings.append(Finding(
            id=BABELD_ID, severity=INFO, incident=INCIDENT, subject="babeld",
            summary="babeld is installed (not running): if started, it replaces routes by delete-then-add",
            evidence={"installed": installed, "kernel": release},
            fix=Fix(manual="Nothing to do unless babeld is started.")))
    if old_kernel:
        findings.append(Finding(
            id=OLD_KERNEL_ID, severity=WARNING, incident=INCIDENT, subject="kernel",
            summary="kernel %s is older than 4.2: every IPv6 lookup clones a /128 cache entry, so a route "
                    "replaced by delete-then-add can leave a sticky unreachable entry" % release,
            evidence={"kernel": release, "fixed_in": "4.2 (commit 45e4fd26, IPv6 route cache on demand)",
                      "babeld_running": bool(babelds)},
            fix=Fix(manual="Upgrade the kernel; until then audit the IPv6 cache after route changes.")))
    return findings


AUDIT = Audit(
    name=NAME,
    area="ip6",
    skip_reason="no IPv6 (no /proc/net/ipv6_route) or no ip command",
    aliases=("ipv6_route_cache",),
    description="IPv6 route cache: sticky unreachable/prohibit/blackhole entries shadowing valid routes, "
                "babeld and old-kernel risk factors (incident 003)",
    run=run, applies=applies, checks=CHECKS, options={})
