# -*- coding: utf-8 -*-
"""IPv6 route cache and link-flap audits in real network namespaces (kernel of this machine).

IPv6 sticky cache (incident 003): the test rebuilds the incident's setup for
real (an ``unreachable`` covering prefix, a /64 replaced by delete-then-add
while traffic flows to it) and records what the kernel does.  Kernels since
4.2 (commit 45e4fd26) no longer clone reject routes into the cache, so on this
kernel (6.18) no sticky entry appears: the test then checks the audit agrees
with the kernel's own cache listing.  The detection of sticky entries is
tested from ``ip -j`` output in the unit tests
(tests/unit/plugins/module_utils/test_audit_ipv6_cache.py).  Real cache
entries (PMTU exceptions) are made here to prove the audit leaves them alone
and that the flush commands remove exactly what they target.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from nmaud_helpers import ansible_module, audits_in

from ansible_collections.netmedic.network.plugins.module_utils.ip6 import audit as C
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "unit"))
from support.snapshot import tree  # noqa: E402


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
            seen_reject += sum(1 for e in cache(netns, h1) if C.route_type(e) in C.STICKY_TYPES)
    finally:
        for p in pings:
            p.kill()
            p.wait()
    entries = cache(netns, h1)
    kernel_sticky = [e for e in entries if C.route_type(e) in C.STICKY_TYPES]
    res = audits_in(h1, ["ipv6_route_cache"], {})
    assert {r["name"]: r["status"] for r in res["runs"]}["ipv6_route_cache"] == "ran"
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

    res = ansible_module(h1, "preflight", {"checks": ["ipv6_route_cache"]})
    assert {a["name"]: a["status"] for a in res["audits"]}["ipv6_route_cache"] == "ran"
    assert [f["id"] for f in res["findings"]] == []  # PMTU entries are unicast: not sticky

    # the exact batch line the module uses removes exactly one destination (PMTU entries are type unicast)
    runner = Runner(prefix=["ip", "netns", "exec", h1])
    chosen = [{"table": "main", "type": "unicast", "cache_entry": before["fd00:2::1"],
               "covering_route": {"dst": "fd00:2::/64", "table": "main"}}]
    lines = C.flush_lines(chosen, list(before.values()))
    assert lines == ["route flush cache table main type unicast fd00:2::1/128"]
    assert runner(C.BATCH_ARGV, input="".join(x + "\n" for x in lines)).ok
    assert [e["dst"] for e in cache(netns, h1)] == ["fd00:2::3"]

    # the module: sticky scope has nothing to do, scope=all flushes the rest, then nothing to do
    res = ansible_module(h1, "ipv6_route_cache_flush", {})
    assert res["changed"] is False and res["sticky"] == [] and res["cache_entries_before"] == 1
    res = ansible_module(h1, "ipv6_route_cache_flush", {"scope": "all"}, check=True)
    assert res["changed"] is True and len(cache(netns, h1)) == 1
    res = ansible_module(h1, "ipv6_route_cache_flush", {"scope": "all"})
    assert res["changed"] is True and res["cache_entries_after"] == 0 and cache(netns, h1) == []
    assert ansible_module(h1, "ipv6_route_cache_flush", {"scope": "all"})["changed"] is False
    res = ansible_module(h1, "ipv6_route_cache_flush", {"destinations": ["10.0.0.1"]})
    assert res.get("failed") and "is not an IPv6 address or prefix" in res["msg"]


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
        return [{"table": "main", "type": "unicast", "cache_entry": e, "covering_route": cover} for e in entries]

    def timed(lines):
        t0 = time.monotonic()
        for i in range(0, len(lines), C.BATCH_LINES):
            assert runner(C.BATCH_ARGV, input="".join(x + "\n" for x in lines[i:i + C.BATCH_LINES])).ok
        return time.monotonic() - t0

    entries = fill_pmtu(netns, h1, 2000)
    everything = cache(netns, h1)
    assert len(entries) > 1500, len(entries)
    # part of the group: exact lines only, the rest stays
    part = entries[:300]
    lines = C.flush_lines(chosen(part), everything)
    assert len(lines) == 300 and not any("root" in x for x in lines)
    exact = timed(lines)
    left = {e["dst"] for e in cache(netns, h1)}
    assert not left & {e["dst"] for e in part} and {e["dst"] for e in entries[300:]} <= left
    # the whole group: one root line
    everything = cache(netns, h1)
    rest = [e for e in everything if e["dst"] in {x["dst"] for x in entries[300:]}]
    rest += [e for e in everything if e not in rest]  # fd00:2::1 from the ping is under the cover too
    lines = C.flush_lines(chosen(rest), everything)
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


def test_carrier_changes_across_preflight_and_postflight(netns, tmp_path):
    ns = netns.add("lf")
    netns.ip(ns, "link", "add", "eth-a", "type", "veth", "peer", "name", "eth-b")
    netns.ip(ns, "link", "set", "eth-a", "up")
    netns.ip(ns, "link", "set", "eth-b", "up")
    netns.ip(ns, "link", "add", "eth-c", "type", "veth", "peer", "name", "eth-d")
    netns.ip(ns, "link", "set", "eth-c", "up")   # eth-d stays down: eth-c is up without carrier

    before_files = snapshot_dirs()
    pre = ansible_module(ns, "preflight", {"checks": ["link_flaps"]}, check=True)
    assert snapshot_dirs() == before_files  # read-only on the host, check mode or not (issue 11)
    got = {(f["id"], f["subject"]) for f in pre["findings"]}
    assert got == {("NM-LINK-001", "eth-c")}, pre["findings"]
    baseline = pre["snapshots"]["link_flaps"]
    before = baseline["interfaces"]["eth-a"]["carrier_changes"]

    for dummy in range(3):  # cycle the peer: eth-a loses and regains carrier each time
        netns.ip(ns, "link", "set", "eth-b", "down")
        netns.ip(ns, "link", "set", "eth-b", "up")
    after = int(netns.exec(ns, "cat", "/sys/class/net/eth-a/carrier_changes"))
    assert after >= before + 6

    post = ansible_module(ns, "preflight", {"checks": ["link_flaps"],
                                            "options": {"link_flaps": {"phase": "post", "baseline": baseline}}})
    flaps = {f["subject"]: f for f in post["findings"] if f["id"] == "NM-LINK-002"}
    assert set(flaps) == {"eth-a", "eth-b"}
    assert flaps["eth-a"]["evidence"]["carrier_changes_before"] == before
    assert flaps["eth-a"]["evidence"]["carrier_changes_now"] == after
    assert flaps["eth-a"]["evidence"]["carrier_down_events"] == 3
    assert post["summary"]["warning"] == 3  # eth-a, eth-b flapped; eth-c still without carrier


def snapshot_dirs():
    """What a preflight could have written: netmedic's old snapshot place and the working directory."""
    out = {}
    for d in ("/var/lib/netmedic", os.getcwd()):
        if os.path.isdir(d):
            out.update(tree(d))
    return out
