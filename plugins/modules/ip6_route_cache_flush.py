#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ip6_route_cache_flush
short_description: Flush sticky unreachable/prohibit/blackhole IPv6 route cache entries
version_added: 0.1.0
description:
  - Incident 003, a routing daemon (babeld) replaced a route by deleting it and adding the new one; a
    lookup in between cached an C(unreachable) /128 entry that shadowed the re-added, valid route until
    the next route change, an hour or more later.
  - With O(scope=sticky) (the default) the module reads C(ip -6 -j route show cache table all) and the
    FIB and flushes exactly the cache entries of type unreachable, prohibit or blackhole whose
    destination a reachable FIB route of the same table covers (what the C(ip6_route_cache) preflight
    audit reports as NM-IP6-001), then checks they are gone. Other cache entries (PMTU, redirects) are
    left alone.
  - The flushes run in one C(ip -6 -batch -) per 200 lines. Entries that are all the cache holds of their
    type under one covering route are flushed with one line (C(route flush cache table T type TYPE root
    PREFIX)), the others with one exact line each. Each line makes iproute2 walk the whole cache, so 20,000
    exact lines would take minutes (measured, see docs/ip6.md).
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
  rollback:
    description:
      - "Verify the flush, and fail when the host is not healthy after it (docs/rollback.md). A flushed cache entry
        cannot be put back (the kernel creates cache entries itself, on demand, and a sticky one is the fault),
        so nothing is ever undone: this is verify-and-fail, so that the maintenance playbooks stop the batch."
      - Before the flush the module reads the sticky entries (inside O(destinations) when given), the FIB routes
        the entries to flush sit under, and pings each of O(rollback_probes). After it, it watches for at most
        O(rollback_window) seconds and ends once no sticky entry is in the cache, every watched route is there
        and every probe answers, and that held O(rollback_settle) seconds.
      - "Worse: a sticky entry in the cache after the flush (judged at once when one is still there right after
        the flush: the cause persists, e.g. a daemon still replacing routes by delete-then-add); a watched route
        gone or turned into a reject route; a probe address that does not answer at the end of the window (whether
        or not it answered before: reaching it is what the flush is for)."
      - Then the task fails with C(last_result=rollback_failed), C(undone=[]), C(undo_error) saying why nothing
        can be undone, what got worse (C(worse)) and the state now (C(state_now)) in RV(rollback).
      - In check mode, the C(watched) list of RV(rollback) says what would be watched; nothing is flushed.
    type: bool
    default: false
  rollback_probes:
    description:
      - With O(rollback=true), IPv6 addresses that must answer a ping after the flush
        (C(ping -6 -c 3 -i 0.2 -W 1); any of three replies counts),
        e.g. the destinations the sticky entries made unreachable.
    type: list
    elements: str
    default: []
requirements:
  - Python 3.8 or newer on the host (the standard library only).
  - iproute2 with JSON output (C(ip -j), iproute2 4.13 or later).
  - C(ping) (iputils) for O(rollback_probes).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netmedic.network.rollback
attributes:
  check_mode:
    support: full
    details: Reports what would be flushed; flushes nothing.
  diff_mode:
    support: full
    details: Shows the IPv6 route cache entries before and after, one line each.
  platform:
    platforms: posix

seealso:
  - module: netmedic.network.preflight
    description: Its C(ip6_route_cache) audit finds the sticky entries (NM-IP6-001) and names their destinations.
  - name: ip-route(8)
    description: C(ip route flush cache) and the route types.
    link: https://man7.org/linux/man-pages/man8/ip-route.8.html
notes:
  - Called C(ipv6_route_cache_flush) before; that name still works (a redirect in the collection's
    C(meta/runtime.yml)).
  - Run in a network namespace with C(ip netns exec) to act on that namespace.
"""

EXAMPLES = r"""
- name: Flush every sticky reject entry of the IPv6 route cache
  netmedic.network.ip6_route_cache_flush:

- name: Flush the entry a preflight finding named
  netmedic.network.ip6_route_cache_flush:
    destinations: ["2001:db8:1254:e:10::1"]

- name: Flush the whole IPv6 route cache
  netmedic.network.ip6_route_cache_flush:
    scope: all

- name: Flush the sticky entry, then fail (stopping the batch) if it comes back or the destination does not answer
  netmedic.network.ip6_route_cache_flush:
    destinations: ["2001:db8:1254:e:10::1"]
    rollback: true
    rollback_window: 30
    rollback_probes: ["2001:db8:1254:e:10::1"]
  register: ip6_flush
  # ip6_flush.rollback.last_result: applied, or rollback_failed (the task fails; rollback.worse says why)
"""

RETURN = r"""
rollback:
  description:
    - The change's record, as every fix module returns it (docs/rollback.md). C(desired) what was asked;
      without O(rollback), C(before) and C(after) are the numbers of cache entries and sticky entries; with it,
      the health (C(sticky_count), C(sticky), C(routes) watched and their type or null when gone, C(answers) of
      the probes). C(last_result) one of C(unchanged), C(would_change), C(applied), C(rollback_failed) (worse
      after the flush; nothing can be undone, C(undone) is empty and C(undo_error) says why), C(failed); also
      C(watched), C(worse), C(state_now), C(detected_after), C(healthy_after), C(watch_seconds).
  returned: always
  type: dict
  sample:
    enabled: true
    desired: {scope: sticky, destinations: ["2001:db8::1/128"], probes: ["2001:db8::1"]}
    last_result: rollback_failed
    worse: ["1 sticky entry is in the IPv6 route cache after the flush (the cause persists: ...): 2001:db8::1"]
    undone: []
    undo_error: "a route cache entry cannot be restored (...): nothing was undone"
    detected_after: 0.1
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.diff import ansible_diff
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, new_module
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
from ansible_collections.netmedic.network.plugins.module_utils.ip6.cache import cache_text
from ansible_collections.netmedic.network.plugins.module_utils.ip6.flush import SCOPES, FlushError, parse_destinations
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import rollback as ip6_rollback

RANGES = dict({"command_timeout": SECONDS, "total_timeout": SECONDS}, **rollback.RANGES)
# Entries listed in the result; the counts are exact.  20,000 entries in three lists made a
# result of megabytes that Ansible spent seconds scanning for secrets.
LIST_LIMIT = 1000


def _listed(entries):
    """The first LIST_LIMIT entries, briefly (the counts are returned beside)."""
    return [{"dst": e.dst, "type": e.type, "table": e.table} for e in entries[:LIST_LIMIT]]


def main():
    module = new_module(
        AnsibleModule, RANGES,
        argument_spec=dict(
            scope=dict(type="str", choices=list(SCOPES), default="sticky"),
            destinations=dict(type="list", elements="str", default=[]),
            command_timeout=dict(type="float", default=30.0),
            total_timeout=dict(type="float", default=300.0),
            rollback=dict(type="bool", default=False),
            rollback_window=dict(type="float", default=rollback.DEFAULT_WINDOW),
            rollback_settle=dict(type="float", default=rollback.DEFAULT_SETTLE),
            rollback_probes=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["scope"] == "all" and p["destinations"]:
        module.fail_json(msg="destinations only apply to scope=sticky; scope=all flushes the whole IPv6 cache")
    try:
        wanted = parse_destinations(p["destinations"])
    except ValueError as exc:
        module.fail_json(msg="destinations: %s" % exc)
    if p["rollback_probes"] and not p["rollback"]:
        module.fail_json(msg="rollback_probes are pinged only with rollback: true; set it, or leave them out")
    try:
        probes = ip6_rollback.parse_probes(p["rollback_probes"])
    except ValueError as exc:
        module.fail_json(msg="rollback_probes: %s" % exc)

    runner = Runner(timeout=p["command_timeout"])
    try:
        out, record = ip6_rollback.ensure(runner, p["scope"], wanted, probes, rollback.Settings.from_params(p),
                                          command_timeout=p["command_timeout"], total_timeout=p["total_timeout"],
                                          check_mode=module.check_mode)
    except FlushError as exc:
        module.fail_json(msg=str(exc))
    record.desired["destinations"] = p["destinations"]
    plan = out.plan
    result = dict(
        changed=out.changed,
        flushed=_listed(out.flushed),
        flushed_count=len(out.flushed) if out.counted else None,
        remaining=_listed(out.remaining),
        remaining_count=len(out.remaining) if out.counted else None,
        sticky=[{"dst": s.dst, "type": s.type, "table": s.table, "covering_route": s.cover}
                for s in plan.sticky[:LIST_LIMIT]],
        sticky_count=len(plan.sticky),
        not_sticky=plan.not_sticky,
        cache_entries_before=len(plan.cache),
        cache_entries_after=out.entries_after,
    )
    result["rollback"] = record.to_result()
    if module._diff and out.diff is not None:
        before, after = out.diff
        result["diff"] = ansible_diff(cache_text(before), cache_text(after), "ipv6 route cache")
    if record.stop_batch:
        module.fail_json(msg=ip6_rollback.message(record), **result)
    if out.error:
        module.fail_json(msg=out.error, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
