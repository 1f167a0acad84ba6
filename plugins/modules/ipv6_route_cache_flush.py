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
    audit reports as NM-IP6-001), one C(ip -6 route flush cache table T DST) each, then checks they are
    gone. Other cache entries (PMTU, redirects) are left alone.
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
  description: The cache entries flushed (or that would be flushed in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{dst: "2001:db8::1", type: unreachable, table: main}]
sticky:
  description: Every sticky entry found before flushing, with the reachable route that covers it.
  returned: always
  type: list
  elements: dict
  sample: [{dst: "2001:db8::1", type: unreachable, table: main, covering_route: {dst: "2001:db8::/64"}}]
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
from ansible_collections.netmedic.network.plugins.module_utils import audit_ipv6_cache as C
from ansible_collections.netmedic.network.plugins.module_utils.runner import CommandError, Runner


def _text(entries):
    return "".join(C.describe_entry(e) + "\n" for e in entries)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            scope=dict(type="str", choices=["sticky", "all"], default="sticky"),
            destinations=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["scope"] == "all" and p["destinations"]:
        module.fail_json(msg="destinations only apply to scope=sticky; scope=all flushes the whole IPv6 cache")
    try:
        wanted = C.parse_destinations(p["destinations"])
    except ValueError as exc:
        module.fail_json(msg="destinations: %s" % exc)

    runner = Runner(timeout=30)
    try:
        cache, fib = C.read_state(runner)
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
        flushed=[{"dst": c["dst"], "type": c["type"], "table": c["table"]} for c in chosen],
        sticky=[{"dst": s["dst"], "type": s["type"], "table": s["table"], "covering_route": s["covering_route"]}
                for s in sticky],
        not_sticky=unused,
        cache_entries_before=len(cache),
        cache_entries_after=len(cache),
    )
    if not chosen or module.check_mode:
        if module._diff and chosen:
            flushed_ids = [id(c["cache_entry"]) for c in chosen]
            result["diff"] = {"before": _text(cache), "after": _text([e for e in cache if id(e) not in flushed_ids]),
                              "before_header": "ipv6 route cache", "after_header": "ipv6 route cache"}
        module.exit_json(**result)

    try:
        if p["scope"] == "all":
            res = runner(C.FLUSH_ALL_ARGV)
            if not res.ok:
                module.fail_json(msg="flushing the IPv6 route cache failed: %s" % res.describe(), **result)
        else:
            for c in chosen:
                res = runner(C.flush_argv(c["cache_entry"]))
                if not res.ok:
                    module.fail_json(msg="flushing the cache entry for %s failed: %s" % (c["dst"], res.describe()),
                                     **result)
        after, fib = C.read_state(runner)
    except (C.RouteOutputError, CommandError) as exc:
        module.fail_json(msg="flushing the IPv6 route cache: %s" % exc, **result)
    result["cache_entries_after"] = len(after)
    if module._diff:
        result["diff"] = {"before": _text(cache), "after": _text(after),
                          "before_header": "ipv6 route cache", "after_header": "ipv6 route cache"}
    left = [s for s in C.sticky_entries(after, fib)
            if any(s["dst"] == c["dst"] and s["table"] == c["table"] for c in chosen)]
    if left:
        module.fail_json(msg="sticky IPv6 cache entries came back right after the flush (a daemon is still "
                             "replacing routes by delete-then-add?): %s" % ", ".join(s["dst"] for s in left),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
