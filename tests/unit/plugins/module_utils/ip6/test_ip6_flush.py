"""The flush of ip6_route_cache_flush at function level: plan, apply, verify (ip6/flush.py).

The module through Ansible's entry point, with a fake kernel that really empties its cache,
is tests/unit/plugins/modules/test_ip6_route_cache_flush.py; the real kernel is
tests/integration/audits/test_ip6_route_cache.py.
"""

import dataclasses
import ipaddress
import json

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.ip6 import flush as F
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import sticky as S

from support.fakes import FakeRunner, fixture

CACHE = fixture("ip6_cache_sticky.json")   # 5 entries, 2 of them sticky (fd00:2::1, fd00:2::7)
FIB = fixture("ip6_fib.json")


def kernel(cache=CACHE, batch=""):
    return FakeRunner({"show cache": cache, "show table": FIB, "-batch": batch, "flush cache": ""})


class Clock:
    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def test_flush_lines_group_and_refuse_odd_tables():
    cache = [{"type": "unreachable", "dst": "fd00:2::%d" % i, "table": "main"} for i in range(1, 4)]
    fib = json.loads(fixture("ip6_fib.json"))
    sticky = S.sticky_entries(cache, fib)
    assert F.flush_lines(sticky, cache) == ["route flush cache table main type unreachable root fd00:2::/64"]
    assert F.flush_lines(sticky[:2], cache) == ["route flush cache table main type unreachable fd00:2::1/128",
                                                "route flush cache table main type unreachable fd00:2::2/128"]
    odd = [dataclasses.replace(s, table="main\nroute flush cache table all") for s in sticky]
    with pytest.raises(F.RouteOutputError, match="named a routing table"):
        F.flush_lines(odd, cache)


def test_plan_chooses_by_scope_and_destinations_and_only_reads():
    runner = kernel()
    plan = F.plan(runner, "sticky", [], timeout=5)
    assert [c.dst for c in plan.chosen] == ["fd00:2::1", "fd00:2::7"] and plan.not_sticky == []
    # what should remain: the cache without the chosen entries, by their place in the listing
    assert [e["dst"] for e in plan.kept()] == ["fd00:5::1", "fd00:4::1", "fd00:2::9"]
    wanted = F.parse_destinations(["fd00:2::7", "fd00:9::/64"])
    plan = F.plan(runner, "sticky", wanted, timeout=5)
    assert [c.dst for c in plan.chosen] == ["fd00:2::7"] and plan.not_sticky == ["fd00:9::/64"]
    plan = F.plan(runner, "all", [], timeout=5)
    assert len(plan.chosen) == 5 and plan.kept() == [] and len(plan.sticky) == 2
    assert all("show" in c for c in runner.calls), runner.calls


def test_an_unreadable_cache_is_a_flush_error_and_nothing_runs():
    runner = kernel(cache=(255, "", "Error: invalid argument"))
    with pytest.raises(F.FlushError, match="^cannot read the IPv6 route cache: .*exited 255: Error: invalid"):
        F.flush_cache(runner, "sticky", [], command_timeout=5, total_timeout=10)
    assert not [c for c in runner.calls if "flush" in c or "batch" in c]


def test_check_mode_plans_and_runs_nothing():
    runner = kernel()
    out = F.flush_cache(runner, "sticky", [], command_timeout=5, total_timeout=10, check_mode=True)
    assert out.changed and [c.dst for c in out.flushed] == ["fd00:2::1", "fd00:2::7"] and out.error is None
    before, after = out.diff
    assert len(before) == 5 and [e["dst"] for e in after] == ["fd00:5::1", "fd00:4::1", "fd00:2::9"]
    assert out.entries_after == 5 and all("show" in c for c in runner.calls)


def test_flush_verified_gone():
    after = json.dumps([e for e in json.loads(CACHE) if e["dst"] not in ("fd00:2::1", "fd00:2::7")])
    runner = kernel(cache=[CACHE, after])
    out = F.flush_cache(runner, "sticky", [], command_timeout=5, total_timeout=10)
    assert out.error is None and out.changed and out.counted
    assert [c.dst for c in out.flushed] == ["fd00:2::1", "fd00:2::7"] and out.remaining == []
    assert out.entries_after == 3 and [c for c in runner.calls if "batch" in c] == [" ".join(F.BATCH_ARGV)]


def test_entries_that_come_back_are_a_failure_naming_them():
    runner = kernel(cache=[CACHE, CACHE])
    out = F.flush_cache(runner, "sticky", [], command_timeout=5, total_timeout=10)
    assert not out.changed and out.flushed == [] and [c.dst for c in out.remaining] == ["fd00:2::1", "fd00:2::7"]
    assert out.error == ("sticky IPv6 cache entries came back right after the flush (a daemon is still replacing "
                         "routes by delete-then-add?): flushed 0 of 2 entries, 2 remain: fd00:2::1, fd00:2::7")


def test_a_cache_that_cannot_be_read_back_leaves_the_counts_unknown():
    runner = kernel(cache=[CACHE, (1, "", "boom")])
    out = F.flush_cache(runner, "sticky", [], command_timeout=5, total_timeout=10)
    assert out.changed and not out.counted and out.flushed == [] and out.diff is None
    assert out.error.startswith("the flush ran (1 command(s)) but the IPv6 route cache could not be read back")


def test_a_table_name_that_could_split_a_batch_line_flushes_nothing():
    odd = json.dumps([dict(e, table="main\nroute flush cache table all") for e in json.loads(CACHE)])
    fib = json.dumps([dict(r, table="main\nroute flush cache table all") for r in json.loads(FIB)])
    runner = FakeRunner({"show cache": odd, "show table": fib, "-batch": ""})
    out = F.flush_cache(runner, "sticky", [], command_timeout=5, total_timeout=10)
    assert out.error.startswith("nothing was flushed: 'ip -j' named a routing table") and not out.changed
    assert not [c for c in runner.calls if "batch" in c]


def test_apply_keeps_going_after_a_failed_command_and_stops_at_the_deadline():
    runner = FakeRunner({"-batch": [(1, "", "RTNETLINK answers: Operation not permitted"), "", "", ""]})
    todo = F.batches(["route flush cache table main type unreachable fd00:2::%x/128" % i for i in range(1, 801)])
    assert [len(stdin.splitlines()) for argv, stdin in todo] == [200, 200, 200, 200]
    applied = F.apply(runner, todo, deadline=3.5, command_timeout=5, clock=Clock(1.0))
    # the clock reads 1, 2, 3 before the first three batches and 4 (past 3.5) before the fourth
    assert (applied.ran, applied.stopped) == (3, True) and len(applied.errors) == 1
    assert "Operation not permitted" in applied.errors[0]
    applied = F.apply(runner, todo, deadline=100, command_timeout=5, clock=Clock(1.0))
    assert (applied.ran, applied.stopped, applied.errors) == (4, False, [])


def test_select_sticky_by_prefix():
    sticky = S.sticky_entries(json.loads(CACHE), json.loads(FIB))
    chosen, unused = F.select_sticky(sticky, [ipaddress.ip_network("fd00:2::/120")])
    assert [c.dst for c in chosen] == ["fd00:2::1", "fd00:2::7"] and unused == []
    assert F.select_sticky(sticky, []) == (sticky, [])


@pytest.mark.parametrize("value", ["10.0.0.1", "nonsense", "", "fd00::1\nroute flush cache table all"])
def test_parse_destinations_refuses_what_is_not_ipv6(value):
    with pytest.raises(ValueError, match="is not an IPv6 address or prefix"):
        F.parse_destinations([value])
