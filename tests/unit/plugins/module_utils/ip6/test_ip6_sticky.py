"""Which IPv6 cache entries are sticky: the FIB index and the longest match (ip6/sticky.py)."""

import ipaddress
import json
import random

from ansible_collections.netmedic.network.plugins.module_utils.ip6 import sticky as S

from support.fakes import fixture


def test_longest_match_and_tables():
    fib = json.loads(fixture("ip6_fib.json"))
    pick = S.longest_match(fib, "main", ipaddress.ip_address("fd00:2::1"))
    assert pick["dst"] == "fd00:2::/64"
    assert S.longest_match(fib, "main", ipaddress.ip_address("fd00:9::1"))["type"] == "unreachable"
    assert S.longest_match(fib, "100", ipaddress.ip_address("fd00:2::1")) is None
    # an entry in another table is judged by that table's routes
    cache = [{"type": "unreachable", "dst": "fd00:2::1", "table": "100"}]
    assert S.sticky_entries(cache, fib) == []
    fib.append({"dst": "default", "gateway": "fe80::1", "dev": "x", "table": "100"})
    assert [s.dst for s in S.sticky_entries(cache, fib)] == ["fd00:2::1"]


def test_fib_index_matches_a_linear_search():
    rng = random.Random(5)
    fib = [{"dst": "fd00:%x::/%d" % (rng.randrange(16), rng.choice([16, 32, 48, 64])), "metric": rng.randrange(3),
            "table": rng.choice(["main", "100"]), "n": n} for n in range(300)]
    index = S.Fib(fib)
    for n in range(300):
        address = ipaddress.ip_address("fd00:%x::%x" % (rng.randrange(16), rng.randrange(9)))
        table = rng.choice(["main", "100"])
        best = None
        for r in fib:  # what the kernel picks: longest prefix, then lowest metric, first of equals
            net = ipaddress.ip_network(r["dst"], strict=False)
            if r["table"] == table and address in net:
                if best is None or (net.prefixlen, -r["metric"]) > (best[0], -best[1]["metric"]):
                    best = (net.prefixlen, r)
        assert index.lookup(table, address) == (best[1] if best else None)


def test_sticky_entries_carry_their_place_cover_and_keys():
    cache = json.loads(fixture("ip6_cache_sticky.json"))
    found = S.sticky_entries(cache, json.loads(fixture("ip6_fib.json")))
    assert [(s.dst, s.type, s.table) for s in found] == [("fd00:2::1", "unreachable", "main"),
                                                         ("fd00:2::7", "blackhole", "main")]
    for s in found:
        assert cache[s.index] is s.route and s.cover["dst"] == "fd00:2::/64"
        assert s.key == (s.table, s.type, s.dst + "/128")
