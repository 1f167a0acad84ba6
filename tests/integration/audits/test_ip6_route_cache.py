# -*- coding: utf-8 -*-
"""The ip6 area in real network namespaces (kernel of this machine): the ip6_route_cache audit and
the ip6_route_cache_flush module.

IPv6 sticky cache (incident 003): the test rebuilds the incident's setup for
real (an ``unreachable`` covering prefix, a /64 replaced by delete-then-add
while traffic flows to it) and records what the kernel does.  Kernels since
4.2 (commit 45e4fd26) no longer clone reject routes into the cache, so on this
kernel (6.18) no sticky entry appears: the test then checks the audit agrees
with the kernel's own cache listing.  The detection of sticky entries is
tested from ``ip -j`` output in the unit tests
(tests/unit/plugins/module_utils/ip6/).  Real cache
entries (PMTU exceptions) are made here to prove the audit leaves them alone
and that the flush commands remove exactly what they target.
"""

import json
import subprocess
import sys
import time

import pytest

from nmaud_helpers import ansible_module, audits_in

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import flush as F
from ansible_collections.netmedic.network.plugins.module_utils.ip6.cache import STICKY_TYPES, Entry, route_type


@pytest.fixture
def pmtu(netns):
    """h1 -- r -- h2, the r-h2 link with MTU 1280; h1 has an unreachable fd00::/16 cover."""
    h1, r, h2 = netns.add("h1"), netns.add("rt"), netns.add("h2")
    netns.exec(h1, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth-h1", "netns", r)
    netns.exec(h2, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth-h2", "netns", r)
    for ns, dev, addr in ((h1, "eth0", "fd00:1::1/64"), (r, "eth-h1", "fd00:1::2/64"),
                          (r, "eth-h2", "fd00:2::2/64"), (h2, "eth0", "fd00:2::1/64"), (h2, "eth0", "fd00:2::3/64")):
        netns.ip(ns, "addr", "add", addr, "dev", dev, "nodad")
    netns.ip(r, "link", "set", "eth-h2", "mtu", "1280")
    netns.ip(h2, "link", "set", "eth0", "mtu", "1280")
    for ns, dev in ((h1, "eth0"), (r, "eth-h1"), (r, "eth-h2"), (h2, "eth0")):
        netns.ip(ns, "link", "set", dev, "up")
    netns.exec(r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    netns.ip(h1, "-6", "route", "add", "unreachable", "fd00::/16")
    netns.ip(h1, "-6", "route", "add", "fd00:2::/64", "via", "fd00:1::2")
    netns.ip(h2, "-6", "route", "add", "fd00:1::/64", "via", "fd00:2::2")
    return netns, h1


def cache(netns, ns):
    return json.loads(netns.ip(ns, "-6", "-j", "-d", "route", "show", "cache", "table", "all") or "[]")


def big_ping(netns, ns, dst):
    # the first 1400-byte packet draws a Packet Too Big from r: a PMTU cache entry on h1
    netns.exec(ns, "ping", "-6", "-c", "2", "-i", "0.2", "-s", "1400", "-W", "1", dst, check=False)


def test_incident_003_setup_on_this_kernel(pmtu):
    netns, h1 = pmtu
    # traffic to fd00:2::1 while fd00:2::/64 is deleted and re-added 200 times (babeld's way)
    pings = [subprocess.Popen(["ip", "netns", "exec", h1, "ping", "-6", "-q", "-i", "0.002"] + extra + ["fd00:2::1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for extra in ([], ["-s", "1400"])]
    seen_reject = 0
    try:
        for dummy in range(200):
            netns.ip(h1, "-6", "route", "del", "fd00:2::/64")
            netns.ip(h1, "-6", "route", "add", "fd00:2::/64", "via", "fd00:1::2")
            seen_reject += sum(1 for e in cache(netns, h1) if route_type(e) in STICKY_TYPES)
    finally:
        for p in pings:
            p.kill()
            p.wait()
    entries = cache(netns, h1)
    kernel_sticky = [e for e in entries if route_type(e) in STICKY_TYPES]
    res = audits_in(h1, ["ip6_route_cache"], {})
    assert {r["name"]: r["status"] for r in res["runs"]}["ip6_route_cache"] == "ran"
    found = [f for f in res["findings"] if f["id"] == "NM-IP6-001"]
    # the audit reports exactly the reject entries the kernel holds under the reachable /64
    assert sorted(f["evidence"]["cache_entry"]["dst"] for f in found) == sorted(e["dst"] for e in kernel_sticky)
    print("kernel reject cache entries seen during 200 delete-then-add cycles: %d; left: %d"
          % (seen_reject, len(kernel_sticky)))
    assert not [f for f in res["findings"] if f["id"] == "NM-IP6-009"]


def test_real_cache_entries_are_not_sticky_and_flush_is_exact(pmtu):
    netns, h1 = pmtu
    big_ping(netns, h1, "fd00:2::1")
    big_ping(netns, h1, "fd00:2::3")
    before = {e["dst"]: e for e in cache(netns, h1)}
    assert set(before) == {"fd00:2::1", "fd00:2::3"}, before
    assert all(e.get("metrics") == [{"mtu": 1280}] for e in before.values())

    res = ansible_module(h1, "preflight", {"checks": ["ip6_route_cache"]})
    assert {a["name"]: a["status"] for a in res["audits"]}["ip6_route_cache"] == "ran"
    assert [f["id"] for f in res["findings"]] == []  # PMTU entries are unicast: not sticky

    # the exact batch line the module uses removes exactly one destination (PMTU entries are type unicast)
    runner = Runner(prefix=["ip", "netns", "exec", h1])
    chosen = [Entry(0, before["fd00:2::1"], "fd00:2::1", "unicast", "main", {"dst": "fd00:2::/64", "table": "main"})]
    lines = F.flush_lines(chosen, list(before.values()))
    assert lines == ["route flush cache table main type unicast fd00:2::1/128"]
    assert runner(F.BATCH_ARGV, input="".join(x + "\n" for x in lines)).ok
    assert [e["dst"] for e in cache(netns, h1)] == ["fd00:2::3"]

    # the module: sticky scope has nothing to do, scope=all flushes the rest, then nothing to do
    res = ansible_module(h1, "ip6_route_cache_flush", {})
    assert res["changed"] is False and res["sticky"] == [] and res["cache_entries_before"] == 1
    res = ansible_module(h1, "ip6_route_cache_flush", {"scope": "all"}, check=True)
    assert res["changed"] is True and len(cache(netns, h1)) == 1
    res = ansible_module(h1, "ip6_route_cache_flush", {"scope": "all"})
    assert res["changed"] is True and res["cache_entries_after"] == 0 and cache(netns, h1) == []
    assert ansible_module(h1, "ip6_route_cache_flush", {"scope": "all"})["changed"] is False
    res = ansible_module(h1, "ip6_route_cache_flush", {"destinations": ["10.0.0.1"]})
    assert res.get("failed") and "is not an IPv6 address or prefix" in res["msg"]


def test_the_old_module_name_ipv6_route_cache_flush_still_works(pmtu):
    """Issue 12 renamed ipv6_route_cache_flush to ip6_route_cache_flush; meta/runtime.yml redirects the
    old name, so existing playbooks keep working (through Ansible's own plugin routing)."""
    netns, h1 = pmtu
    big_ping(netns, h1, "fd00:2::1")
    assert len(cache(netns, h1)) == 1
    res = ansible_module(h1, "ipv6_route_cache_flush", {})  # sticky: a PMTU entry is left alone
    assert not res.get("failed") and res["changed"] is False and res["cache_entries_before"] == 1, res
    res = ansible_module(h1, "ipv6_route_cache_flush", {"scope": "all"})
    assert not res.get("failed") and res["changed"] is True and cache(netns, h1) == [], res


def fill_pmtu(netns, ns, count):
    """``count`` real PMTU cache entries on ``ns``: 1,400-byte datagrams to fd00:2::1:N, past r's 1,280 link."""
    script = ("import socket, time\ns = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
              "for i in range(1, %d + 1):\n"
              "    s.sendto(b'x' * 1400, ('fd00:2::1:%%x' %% i, 9))\n"
              "    if i %% 200 == 0: time.sleep(0.02)\n"
              "time.sleep(0.5)\n" % count)
    netns.exec(ns, sys.executable, "-c", script, timeout=120)
    return [e for e in cache(netns, ns) if e["dst"].startswith("fd00:2::1:")]


def test_batched_flush_lines_on_the_real_kernel(pmtu):
    """The module's flush plan against real cache entries (PMTU ones, type unicast: this kernel makes no
    reject entries): a shared `root` line removes a whole group at once, exact lines remove only their
    entries, in one `ip -batch`; measured beside one `ip` per entry."""
    netns, h1 = pmtu
    netns.exec(h1[:-2] + "rt", "sysctl", "-qw", "net.ipv6.icmp.ratelimit=0")  # a Packet Too Big for each
    big_ping(netns, h1, "fd00:2::1")  # resolves the gateway first
    runner = Runner(prefix=["ip", "netns", "exec", h1])
    cover = {"dst": "fd00:2::/64", "table": "main", "gateway": "fd00:1::2"}

    def chosen(entries):
        return [Entry(i, e, e["dst"], "unicast", "main", cover) for i, e in enumerate(entries)]

    def timed(lines):
        t0 = time.monotonic()
        for i in range(0, len(lines), F.BATCH_LINES):
            assert runner(F.BATCH_ARGV, input="".join(x + "\n" for x in lines[i:i + F.BATCH_LINES])).ok
        return time.monotonic() - t0

    entries = fill_pmtu(netns, h1, 2000)
    everything = cache(netns, h1)
    assert len(entries) > 1500, len(entries)
    # part of the group: exact lines only, the rest stays
    part = entries[:300]
    lines = F.flush_lines(chosen(part), everything)
    assert len(lines) == 300 and not any("root" in x for x in lines)
    exact = timed(lines)
    left = {e["dst"] for e in cache(netns, h1)}
    assert not left & {e["dst"] for e in part} and {e["dst"] for e in entries[300:]} <= left
    # the whole group: one root line
    everything = cache(netns, h1)
    rest = [e for e in everything if e["dst"] in {x["dst"] for x in entries[300:]}]
    rest += [e for e in everything if e not in rest]  # fd00:2::1 from the ping is under the cover too
    lines = F.flush_lines(chosen(rest), everything)
    assert lines == ["route flush cache table main type unicast root fd00:2::/64"]
    grouped = timed(lines)
    assert cache(netns, h1) == []
    # one `ip` per entry, as before issue 11, for comparison
    entries = fill_pmtu(netns, h1, 300)
    t0 = time.monotonic()
    for e in entries:
        assert runner(["ip", "-6", "route", "flush", "cache", "table", "main", e["dst"] + "/128"]).ok
    single = time.monotonic() - t0
    print("flush: 300 exact lines in one ip -batch %.3f s (cache %d); %d entries by one root line %.3f s; "
          "300 separate ip processes %.3f s" % (exact, len(everything) + 300, len(rest), grouped, single))
    assert grouped < exact


# ---------------------------------------------------------------- rollback (issue 16): verify-and-fail

def routes(netns, ns):
    return [r["dst"] for r in json.loads(netns.ip(ns, "-6", "-j", "route", "show") or "[]")]


def answers(netns, ns, dst):
    return subprocess.run(["ip", "netns", "exec", ns, "ping", "-6", "-c", "1", "-W", "1", dst],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=False).returncode == 0


def test_rollback_check_mode_says_what_would_be_watched(pmtu):
    netns, h1 = pmtu
    big_ping(netns, h1, "fd00:2::1")
    res = ansible_module(h1, "ip6_route_cache_flush", {"scope": "all", "rollback": True,
                                                       "rollback_probes": ["fd00:2::1"]}, check=True)
    rb = res["rollback"]
    assert res["changed"] and rb["last_result"] == "would_change" and len(cache(netns, h1)) == 1
    assert rb["watched"] == ["no sticky entry (unreachable, prohibit, blackhole under a reachable route) in the "
                             "IPv6 route cache; 0 before the flush",
                             "route fd00:2::/64 table main stays (the flushed entries sit under it)",
                             "fd00:2::1 answers ping (it does now)"]


def test_rollback_fails_the_flush_when_the_route_is_lost(pmtu):
    """The fault: right after the flush the covering route fd00:2::/64 is withdrawn (babeld's delete, and no add).
    Nothing can be undone; the module fails with the record, so a playbook stops the batch."""
    netns, h1 = pmtu
    big_ping(netns, h1, "fd00:2::1")
    assert len(cache(netns, h1)) == 1
    withdraw = subprocess.Popen(["ip", "netns", "exec", h1, "sh", "-c",
                                 "while [ -n \"$(ip -6 route show cache table all)\" ]; do sleep 0.02; done; "
                                 "ip -6 route del fd00:2::/64"])
    try:
        res = ansible_module(h1, "ip6_route_cache_flush", {"scope": "all", "rollback": True, "rollback_window": 3,
                                                           "rollback_settle": 1, "rollback_probes": ["fd00:2::1"]})
        withdraw.wait(timeout=10)
    finally:
        withdraw.kill()
        withdraw.wait()
    rb = res["rollback"]
    assert res.get("failed") and rb["last_result"] == "rollback_failed", res
    assert res["msg"].startswith("ROLLBACK FAILED: after the flush, within ")
    assert rb["before"]["answers"] == {"fd00:2::1": True}
    assert rb["before"]["routes"] == {"fd00:2::/64 table main": "unicast"}
    assert rb["worse"] == ["route fd00:2::/64 table main is gone (it was there before the flush)",
                           "fd00:2::1 does not answer ping (it did before the flush)"]
    assert rb["undone"] == [] and rb["undo_error"].startswith("a route cache entry cannot be restored")
    assert rb["state_now"].endswith("ping: fd00:2::1 no answer; left as found")
    assert 3 <= rb["detected_after"] < 6, rb
    # independently: iproute2 lists no fd00:2::/64, and the destination does not answer
    assert "fd00:2::/64" not in routes(netns, h1) and not answers(netns, h1, "fd00:2::1")
    print("ip6 fault 'route lost after the flush': detected after %.1f s; undone: nothing (%s)"
          % (rb["detected_after"], rb["undo_error"]))


def test_rollback_good_flush_costs_the_settle_time(pmtu):
    netns, h1 = pmtu
    args = {"scope": "all"}
    big_ping(netns, h1, "fd00:2::1")
    t0 = time.monotonic()
    plain = ansible_module(h1, "ip6_route_cache_flush", args)
    plain_s = time.monotonic() - t0
    assert plain["changed"] and plain["rollback"]["last_result"] == "applied"
    big_ping(netns, h1, "fd00:2::1")
    t0 = time.monotonic()
    res = ansible_module(h1, "ip6_route_cache_flush", dict(args, rollback=True, rollback_window=20, rollback_settle=1,
                                                           rollback_probes=["fd00:2::1"]))
    guarded_s = time.monotonic() - t0
    rb = res["rollback"]
    assert not res.get("failed") and res["changed"] and rb["last_result"] == "applied", res
    assert rb["worse"] == [] and rb["undone"] == [] and rb["healthy_after"] < 1
    assert 1 <= rb["watch_seconds"] < 3, rb
    assert cache(netns, h1) == [] and answers(netns, h1, "fd00:2::1")
    print("ip6 flush: %.2f s without rollback, %.2f s with it (watch %.2f s)"
          % (plain_s, guarded_s, rb["watch_seconds"]))
