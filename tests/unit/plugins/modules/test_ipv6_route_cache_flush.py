"""ipv6_route_cache_flush in-process with iproute2 JSON from the fixtures (see fixtures/nmaud/README.md:
the sticky entries are derived, kernel 6.18 no longer creates them)."""

import json
import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.runner import Result
from ansible_collections.netmedic.network.plugins.modules import ipv6_route_cache_flush as M

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils", "fixtures", "nmaud")


def load(name):
    with open(os.path.join(FIX, name)) as fh:
        return json.load(fh)


class Kernel:
    """A route cache that `ip -6 route flush cache table T DST` really empties."""

    def __init__(self, cache, fib, refuse=False):
        self.cache, self.fib, self.calls, self.refuse = cache, fib, [], refuse

    def __call__(self, argv, timeout=None, **kw):
        self.calls.append(" ".join(argv))
        if argv[:6] == ["ip", "-6", "route", "flush", "cache", "table"]:
            if self.refuse:
                return Result(list(argv), 2, "", "RTNETLINK answers: Operation not permitted", 0.01)
            if argv[6] == "all":
                self.cache = []
            else:
                self.cache = [e for e in self.cache if not (e["dst"] + "/128" == argv[7] and e["table"] == argv[6])]
            return Result(list(argv), 0, "", "", 0.01)
        out = self.cache if "cache" in argv else self.fib
        return Result(list(argv), 0, json.dumps(out), "", 0.01)


@pytest.fixture
def kernel(monkeypatch):
    k = Kernel(load("ip6_cache_sticky.json"), load("ip6_fib.json"))
    monkeypatch.setattr(M, "Runner", lambda timeout=30: k)
    return k


def test_flushes_exactly_the_sticky_entries(run_module, kernel):
    res = run_module("ipv6_route_cache_flush", {}, check_mode=True, diff=True)
    assert res["changed"] and len(kernel.cache) == 5
    assert [f["dst"] for f in res["flushed"]] == ["fd00:2::1", "fd00:2::7"]
    line = "unreachable fd00:2::1 table main dev lo"
    assert line in res["diff"]["before"].splitlines() and line not in res["diff"]["after"].splitlines()
    res = run_module("ipv6_route_cache_flush", {})
    assert res["changed"] and res["cache_entries_before"] == 5 and res["cache_entries_after"] == 3
    assert [c for c in kernel.calls if "flush" in c] == [
        "ip -6 route flush cache table main fd00:2::1/128", "ip -6 route flush cache table main fd00:2::7/128"]
    assert sorted(e["dst"] for e in kernel.cache) == ["fd00:2::9", "fd00:4::1", "fd00:5::1"]
    res = run_module("ipv6_route_cache_flush", {})
    assert not res["changed"] and res["flushed"] == []


def test_destinations_filter(run_module, kernel):
    res = run_module("ipv6_route_cache_flush", {"destinations": ["fd00:2::7", "fd00:9::/64"]})
    assert [f["dst"] for f in res["flushed"]] == ["fd00:2::7"] and res["not_sticky"] == ["fd00:9::/64"]
    assert "fd00:2::1" in [e["dst"] for e in kernel.cache]


def test_scope_all(run_module, kernel):
    res = run_module("ipv6_route_cache_flush", {"scope": "all"})
    assert res["changed"] and len(res["flushed"]) == 5 and kernel.cache == []
    assert kernel.calls.count("ip -6 route flush cache table all") == 1


@pytest.mark.parametrize("args, msg", [
    ({"scope": "all", "destinations": ["fd00::1"]}, "destinations only apply to scope=sticky"),
    ({"destinations": ["10.0.0.1"]}, "'10.0.0.1' is not an IPv6 address or prefix"),
    ({"destinations": ["nonsense"]}, "'nonsense' is not an IPv6 address or prefix"),
])
def test_bad_input(run_module, kernel, args, msg):
    res = run_module("ipv6_route_cache_flush", args)
    assert res.failed and msg in res["msg"]


def test_refused_flush_and_unreadable_cache(run_module, kernel):
    kernel.refuse = True
    res = run_module("ipv6_route_cache_flush", {})
    assert res.failed and "flushing the cache entry for fd00:2::1 failed" in res["msg"]
    assert "Operation not permitted" in res["msg"]
    kernel.cache = "garbage"
    kernel.refuse = False
    kernel.__class__ = type("Broken", (Kernel,), {"__call__": lambda self, argv, timeout=None, **kw: Result(
        list(argv), 0, "not json", "", 0.01)})
    res = run_module("ipv6_route_cache_flush", {})
    assert res.failed and "cannot read the IPv6 route cache" in res["msg"]
