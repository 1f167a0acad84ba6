#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ipv6_route_cache_flush
short_description: Flush sticky unreachable/prohibit/blackhole IPv6 route cache entries
version_added: 0.1.0
description:
  - Incident 003, a routing daemon (babeld) replaced a route by deleting it and adding the new one; a
    lookup in between cached an C(unreachable) /128 entry that shadowed the re-added, valid route until
    the next route change, an hour or more later.
  - With O(scope=sticky) (the default) the module reads C(ip -6 -j route show cache table all) and the
    FIB and flushes exactly the cache entries of type unreachable, prohibit or blackhole whose
    destination a reachable FIB route of the same table covers (what the C(ipv6_route_cache) preflight
    audit reports as NM-IP6-001), then checks they are gone. Other cache entries (PMTU, redirects) are
    left alone.
  - The flushes run in one C(ip -6 -batch -) per 200 lines. Entries that are all the cache holds of their
    type under one covering route are flushed with one line (C(route flush cache table T type TYPE root
    PREFIX)), the others with one exact line each. Each line makes iproute2 walk the whole cache, so 20,000
    exact lines would take minutes (measured, see docs/routing-health.md).
  - The whole run is bounded by O(total_timeout); when it is reached, the module stops, reads the cache
    back and fails, saying how many entries were flushed and how many remain (RV(flushed), RV(remaining)).
  - With O(scope=all) it flushes the whole IPv6 route cache (C(ip -6 route flush cache table all)); the
    kernel rebuilds entries on demand, at the cost of re-learning path MTUs.
  - Kernels from 4.2 on no longer clone reject routes into the cache, so on them O(scope=sticky) normally
    finds nothing to do.
author:
  - netmedic.network contributors (@netmedic)
options:
  scope:
    description:
      - C(sticky) flushes only the sticky reject entries; C(all) flushes the whole IPv6 route cache.
    type: str
    choices: [sticky, all]
    default: sticky
  destinations:
    description:
      - With O(scope=sticky), only flush sticky entries inside these IPv6 addresses or prefixes (the
        C(fix.params) of an NM-IP6-001 finding). Empty means every sticky entry.
      - Not allowed with O(scope=all).
    type: list
    elements: str
    default: []
  command_timeout:
    description: Seconds each C(ip) command may take (0.001 to 86400).
    type: float
    default: 30
  total_timeout:
    description:
      - Seconds the whole flush may take (0.001 to 86400). No new flush starts after it, and a running one
        is stopped; the final read of the cache (at most O(command_timeout)) comes after it.
    type: float
    default: 300
attributes:
  check_mode:
    support: full
    description: Reports what would be flushed; flushes nothing.
  diff_mode:
    support: full
    description: Shows the IPv6 route cache entries before and after, one line each.
notes:
  - Needs iproute2 with JSON output (C(ip -j), iproute2 4.13 or later). Run in a network namespace with
    C(ip netns exec) to act on that namespace.
"""

EXAMPLES = r"""
- name: Flush every sticky reject entry of the IPv6 route cache
  netmedic.network.ipv6_route_cache_flush:

- name: Flush the entry a preflight finding named
  netmedic.network.ipv6_route_cache_flush:
    destinations: ["2001:db8:1254:e:10::1"]

- name: Flush the whole IPv6 route cache
  netmedic.network.ipv6_route_cache_flush:
    scope: all
"""

RETURN = r"""
flushed:
  description: The cache entries flushed (or that would be flushed in check mode); the first 1,000.
  returned: always
  type: list
  elements: dict
  sample: [{dst: "2001:db8::1", type: unreachable, table: main}]
flushed_count:
  description: How many cache entries were flushed (would be, in check mode).
  returned: always
  type: int
  sample: 1
remaining:
  description:
    - Entries chosen for flushing that are still in the cache after the flush (stopped by O(total_timeout),
      refused by the kernel, or re-created at once); the first 1,000. Empty on success and in check mode.
  returned: always
  type: list
  elements: dict
  sample: []
remaining_count:
  description: How many entries chosen for flushing are still in the cache.
  returned: always
  type: int
  sample: 0
sticky:
  description: Sticky entries found before flushing, with the reachable route that covers each; the first 1,000.
  returned: always
  type: list
  elements: dict
  sample: [{dst: "2001:db8::1", type: unreachable, table: main, covering_route: {dst: "2001:db8::/64"}}]
sticky_count:
  description: How many sticky entries were found before flushing.
  returned: always
  type: int
  sample: 1
not_sticky:
  description: Requested O(destinations) that matched no sticky entry (nothing was flushed for them).
  returned: always
  type: list
  elements: str
  sample: ["2001:db8::99/128"]
cache_entries_before:
  description: Number of IPv6 route cache entries before.
  returned: always
  type: int
  sample: 3
cache_entries_after:
  description: Number of IPv6 route cache entries after (the same as before in check mode).
  returned: always
  type: int
  sample: 1
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import audit as C
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, new_module
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, CommandTimeout, Runner

RANGES = {"command_timeout": SECONDS, "total_timeout": SECONDS}
# Entries listed in the result; the counts are exact.  20,000 entries in three lists made a
# result of megabytes that Ansible spent seconds scanning for secrets.
LIST_LIMIT = 1000


def _text(entries):
    return "".join(C.describe_entry(e) + "\n" for e in entries)


def _listed(chosen):
    """The first LIST_LIMIT entries, briefly (the counts are returned beside)."""
    return [{"dst": c["dst"], "type": c["type"], "table": c["table"]} for c in chosen[:LIST_LIMIT]]


def run_flush(runner, commands, deadline, command_timeout, clock=time.monotonic):
    """Run ``(argv, stdin)`` commands until done or ``deadline``.

    Returns (commands run, stopped at the deadline, error messages).  A command
    that fails or times out does not stop the others: the cache is read back
    afterwards and what is left is reported.
    """
    ran, errors = 0, []
    for argv, stdin in commands:
        left = deadline - clock()
        if left <= 0:
            return ran, True, errors
        ran += 1
        try:
            res = runner(argv, input=stdin, timeout=min(command_timeout, left))
        except CommandError as exc:
            if isinstance(exc, CommandTimeout) and deadline - clock() <= 0:
                return ran, True, errors
            errors.append(str(exc))
            continue
        if not res.ok:
            errors.append(res.describe())
    return ran, False, errors


def batches(lines):
    """``ip -batch`` commands of at most BATCH_LINES lines each."""
    return [(C.BATCH_ARGV, "".join(line + "\n" for line in lines[i:i + C.BATCH_LINES]))
            for i in range(0, len(lines), C.BATCH_LINES)]


def main():
    module = new_module(
        AnsibleModule, RANGES,
        argument_spec=dict(
            scope=dict(type="str", choices=["sticky", "all"], default="sticky"),
            destinations=dict(type="list", elements="str", default=[]),
            command_timeout=dict(type="float", default=30.0),
            total_timeout=dict(type="float", default=300.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    deadline = time.monotonic() + p["total_timeout"]
    if p["scope"] == "all" and p["destinations"]:
        module.fail_json(msg="destinations only apply to scope=sticky; scope=all flushes the whole IPv6 cache")
    try:
        wanted = C.parse_destinations(p["destinations"])
    except ValueError as exc:
        module.fail_json(msg="destinations: %s" % exc)

    runner = Runner(timeout=p["command_timeout"])
    try:
        cache, fib = C.read_state(runner, timeout=min(p["command_timeout"], p["total_timeout"]))
    except (C.RouteOutputError, CommandError) as exc:
        module.fail_json(msg="cannot read the IPv6 route cache: %s" % exc)
    sticky = C.sticky_entries(cache, fib)
    if p["scope"] == "all":
        chosen, unused = [{"cache_entry": e, "dst": e.get("dst"), "type": C.route_type(e),
                           "table": C.route_table(e)} for e in cache], []
    else:
        chosen, unused = C.select_sticky(sticky, wanted)

    result = dict(
        changed=bool(chosen),
        flushed=_listed(chosen),
        flushed_count=len(chosen),
        remaining=[],
        remaining_count=0,
        sticky=[{"dst": s["dst"], "type": s["type"], "table": s["table"], "covering_route": s["covering_route"]}
                for s in sticky[:LIST_LIMIT]],
        sticky_count=len(sticky),
        not_sticky=unused,
        cache_entries_before=len(cache),
        cache_entries_after=len(cache),
    )
    if not chosen or module.check_mode:
        if module._diff and chosen:
            flushed_ids = set(id(c["cache_entry"]) for c in chosen)
            result["diff"] = {"before": _text(cache), "after": _text([e for e in cache if id(e) not in flushed_ids]),
                              "before_header": "ipv6 route cache", "after_header": "ipv6 route cache"}
        module.exit_json(**result)

    try:
        commands = [(C.FLUSH_ALL_ARGV, None)] if p["scope"] == "all" else batches(C.flush_lines(chosen, cache))
    except C.RouteOutputError as exc:
        result.update(changed=False, flushed=[], flushed_count=0)
        module.fail_json(msg="nothing was flushed: %s" % exc, **result)
    ran, stopped, errors = run_flush(runner, commands, deadline, p["command_timeout"])
    try:
        after, fib = C.read_state(runner)
    except (C.RouteOutputError, CommandError) as exc:
        result.update(changed=ran > 0, flushed=[], flushed_count=None, remaining_count=None)
        module.fail_json(msg="the flush ran (%d command(s)%s) but the IPv6 route cache could not be read back, so "
                             "what was flushed is unknown: %s"
                             % (ran, ", stopped at total_timeout" if stopped else "", exc), **result)

    # what is still there, by table, type and destination
    present = set((C.route_table(e), C.route_type(e), str(C.route_network(e))) for e in after)
    still = [c for c in chosen
             if (c["table"], c["type"], str(C.route_network(c["cache_entry"]))) in present]
    still_ids = set(id(c) for c in still)
    result.update(changed=len(still) < len(chosen) or (p["scope"] == "all" and ran > 0 and not errors),
                  flushed=_listed([c for c in chosen if id(c) not in still_ids]),
                  flushed_count=len(chosen) - len(still), remaining=_listed(still), remaining_count=len(still),
                  cache_entries_after=len(after))
    if module._diff:
        result["diff"] = {"before": _text(cache), "after": _text(after),
                          "before_header": "ipv6 route cache", "after_header": "ipv6 route cache"}
    counts = "flushed %d of %d entries, %d remain" % (len(chosen) - len(still), len(chosen), len(still))
    if stopped:
        module.fail_json(msg="stopped at total_timeout (%g s): %s; run again to flush the rest"
                             % (p["total_timeout"], counts), **result)
    if still and errors:
        module.fail_json(msg="flushing the IPv6 route cache failed (%s): %s" % (counts, errors[0]), **result)
    # (scope=all: traffic re-creates PMTU entries at once; only reject entries coming back are a problem)
    back = [c for c in still if c["type"] in C.STICKY_TYPES]
    if back:
        module.fail_json(msg="sticky IPv6 cache entries came back right after the flush (a daemon is still "
                             "replacing routes by delete-then-add?): %s: %s"
                             % (counts, ", ".join(str(c["dst"]) for c in back[:20])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
