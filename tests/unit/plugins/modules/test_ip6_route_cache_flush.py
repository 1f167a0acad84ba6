"""ip6_route_cache_flush in-process with iproute2 JSON from the fixtures (see fixtures/nmaud/README.md:
the sticky entries are derived, kernel 6.18 no longer creates them)."""

import functools
import ipaddress
import json
import os
import stat
import sys
import time

import pytest

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Result
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import flush as F
from ansible_collections.netmedic.network.plugins.modules import ip6_route_cache_flush as M

from support import snapshot

FIX = os.path.join(FIXTURES, "nmaud")


def load(name):
    with open(os.path.join(FIX, name)) as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=None)
def net_of(text):
    return ipaddress.ip_network(text)


def selector(words):
    """iproute2's selection for `route flush cache table T [type X] [root] [PREFIX]`: (table, type, root, prefix)."""
    table = words[words.index("table") + 1]
    kind = words[words.index("type") + 1] if "type" in words else None
    skip = {"route", "flush", "cache", "table", "type", "root", table, kind}
    prefix = [w for w in words if w not in skip]
    return table, kind, "root" in words, (net_of(prefix[0]) if prefix else None)


def selected(sel, entry):
    table, kind, root, net = sel
    if table != "all" and entry.get("table", "main") != table:
        return False
    if kind is not None and entry.get("type", "unicast") != kind:
        return False
    if net is None:
        return True
    dst = net_of(entry["dst"])
    if root:
        return dst.prefixlen >= net.prefixlen and dst.subnet_of(net)
    return dst == net  # a plain prefix is `exact`


class Kernel:
    """A route cache that `ip -6 route flush cache ...` and `ip -6 -force -batch -` really empty."""

    def __init__(self, cache, fib, refuse=False, seconds_per_line=0.0):
        self.cache, self.fib, self.calls, self.refuse = cache, fib, [], refuse
        self.batches, self.seconds_per_line = [], seconds_per_line

    def flush(self, lines):
        if self.refuse:
            return ["RTNETLINK answers: Operation not permitted"] * len(lines)
        sels = [selector(line.split()) for line in lines]
        exact = set((t, k, n) for t, k, root, n in sels if not root and n is not None and t != "all")
        others = [sel for sel in sels if sel[2] or sel[3] is None or sel[0] == "all"]
        self.cache = [e for e in self.cache
                      if (e.get("table", "main"), e.get("type", "unicast"), net_of(e["dst"])) not in exact
                      and not any(selected(sel, e) for sel in others)]
        return []

    def __call__(self, argv, timeout=None, input=None, **kw):
        self.calls.append(" ".join(argv))
        if argv == F.BATCH_ARGV:
            lines = input.splitlines()
            self.batches.append(lines)
            time.sleep(self.seconds_per_line * len(lines))
            errors = self.flush(lines)
            return Result(list(argv), 1 if errors else 0, "", "\n".join(errors), 0.01)
        if argv[:5] == ["ip", "-6", "route", "flush", "cache"]:
            errors = self.flush([" ".join(argv[2:])])
            return Result(list(argv), 2 if errors else 0, "", "\n".join(errors), 0.01)
        out = self.cache if "cache" in argv else self.fib
        return Result(list(argv), 0, json.dumps(out), "", 0.01)


@pytest.fixture
def kernel(monkeypatch):
    k = Kernel(load("ip6_cache_sticky.json"), load("ip6_fib.json"))
    monkeypatch.setattr(M, "Runner", lambda timeout=30: k)
    return k


def test_flushes_exactly_the_sticky_entries(run_module, kernel):
    res = run_module("ip6_route_cache_flush", {}, check_mode=True, diff=True)
    assert res["changed"] and len(kernel.cache) == 5 and kernel.batches == []
    assert [f["dst"] for f in res["flushed"]] == ["fd00:2::1", "fd00:2::7"] and res["remaining"] == []
    line = "unreachable fd00:2::1 table main dev lo"
    assert line in res["diff"]["before"].splitlines() and line not in res["diff"]["after"].splitlines()
    assert res["rollback"]["last_result"] == "would_change"
    res = run_module("ip6_route_cache_flush", {})
    assert res["changed"] and res["cache_entries_before"] == 5 and res["cache_entries_after"] == 3
    # issue 16: the record every fix module returns (no rollback option: a flush cannot be undone)
    assert res["rollback"]["last_result"] == "applied" and res["rollback"]["enabled"] is False
    assert res["rollback"]["before"] == {"cache_entries": 5, "sticky": 2}
    assert res["rollback"]["after"] == {"cache_entries": 3, "remaining": 0}
    # one `ip` for both; one line each: they differ in type, so no shared `root` line
    assert kernel.batches == [["route flush cache table main type blackhole fd00:2::7/128",
                               "route flush cache table main type unreachable fd00:2::1/128"]]
    assert sorted(e["dst"] for e in kernel.cache) == ["fd00:2::9", "fd00:4::1", "fd00:5::1"]
    res = run_module("ip6_route_cache_flush", {})
    assert not res["changed"] and res["flushed"] == [] and res["rollback"]["last_result"] == "unchanged"


def test_destinations_filter(run_module, kernel):
    res = run_module("ip6_route_cache_flush", {"destinations": ["fd00:2::7", "fd00:9::/64"]})
    assert [f["dst"] for f in res["flushed"]] == ["fd00:2::7"] and res["not_sticky"] == ["fd00:9::/64"]
    assert "fd00:2::1" in [e["dst"] for e in kernel.cache]


def test_scope_all(run_module, kernel):
    res = run_module("ip6_route_cache_flush", {"scope": "all"})
    assert res["changed"] and len(res["flushed"]) == 5 and kernel.cache == []
    assert kernel.calls.count("ip -6 route flush cache table all") == 1


def sticky_cache(n, extra=()):
    """``n`` sticky unreachable /128 entries under fd00:2::/64 (covered by the FIB's route via a router)."""
    cache = [{"type": "unreachable", "dst": "fd00:2::%x:%x" % (i >> 16, i & 0xffff), "dev": "lo", "table": "main",
              "metric": 0, "flags": [], "error": -101, "pref": "medium"} for i in range(1, n + 1)]
    return cache + list(extra)


def test_20000_sticky_entries_are_one_line_not_20000_commands(run_module, kernel):
    """Issue 11: 20,000 sticky entries meant 20,000 `ip` processes, each walking the whole cache."""
    kernel.cache = sticky_cache(20000, [load("ip6_cache_pmtu.json")[0]])
    t0 = time.monotonic()
    res = run_module("ip6_route_cache_flush", {})
    assert not res.failed and res["flushed_count"] == 20000 and res["remaining_count"] == 0
    assert len(res["flushed"]) == len(res["sticky"]) == 1000 and res["sticky_count"] == 20000
    flushes = [c for c in kernel.calls if "flush" in c or "batch" in c]
    assert flushes == [" ".join(F.BATCH_ARGV)], flushes[:3]
    assert kernel.batches == [["route flush cache table main type unreachable root fd00:2::/64"]]
    # the PMTU entry under the same prefix is not touched
    assert [e["dst"] for e in kernel.cache] == ["fd00:2::1"] and kernel.cache[0]["type"] == "unicast"
    print("20,000 sticky entries: %.2f s in the module" % (time.monotonic() - t0))


def test_a_root_line_only_when_it_selects_exactly_the_chosen_entries(run_module, kernel):
    # fd00:2::8/126 is unreachable in the FIB: its cache entry is right, not sticky, and must stay
    kernel.fib.append({"type": "unreachable", "dst": "fd00:2::8/126", "dev": "lo", "table": "main", "metric": 1024})
    kernel.cache = sticky_cache(3, [{"type": "unreachable", "dst": "fd00:2::9", "dev": "lo", "table": "main"}])
    res = run_module("ip6_route_cache_flush", {})
    assert not res.failed and [f["dst"] for f in res["flushed"]] == ["fd00:2::1", "fd00:2::2", "fd00:2::3"]
    assert kernel.batches == [["route flush cache table main type unreachable fd00:2::%d/128" % i for i in (1, 2, 3)]]
    assert [e["dst"] for e in kernel.cache] == ["fd00:2::9"]
    # only some of the group chosen (fd00:2::8-b are not sticky): exact lines too, 200 per `ip -batch`
    kernel.cache = sticky_cache(400)
    kernel.batches = []
    res = run_module("ip6_route_cache_flush", {"destinations": ["fd00:2::/120"]})
    assert len(res["flushed"]) == 251 and len(kernel.cache) == 149
    assert [len(b) for b in kernel.batches] == [200, 51]


def test_total_timeout_stops_and_reports_flushed_and_remaining(run_module, kernel):
    kernel.cache = sticky_cache(1500)
    kernel.seconds_per_line = 0.002  # 200 lines: 0.4 s per `ip -batch`
    # fd00:2::/118 holds 1,023 of the 1,500 entries: 1,023 exact lines, 6 batches, 2.4 s
    res = run_module("ip6_route_cache_flush", {"destinations": ["fd00:2::/118"], "total_timeout": 1.0})
    assert res.failed and "stopped at total_timeout (1 s)" in res["msg"]
    flushed, remaining = res["flushed_count"], res["remaining_count"]
    assert (len(res["flushed"]), len(res["remaining"])) == (flushed, remaining)
    assert flushed + remaining == 1023 and 0 < flushed < 1023 and flushed % 200 == 0
    assert "flushed %d of 1023 entries, %d remain; run again" % (flushed, remaining) in res["msg"]
    assert len(kernel.cache) == 1500 - flushed and res["changed"] is True
    # run again: the rest goes
    kernel.seconds_per_line = 0
    res = run_module("ip6_route_cache_flush", {"destinations": ["fd00:2::/118"]})
    assert not res.failed and res["flushed_count"] == remaining and len(kernel.cache) == 1500 - 1023


def test_refused_flush_and_unreadable_cache(run_module, kernel):
    kernel.refuse = True
    res = run_module("ip6_route_cache_flush", {})
    assert res.failed and "flushing the IPv6 route cache failed (flushed 0 of 2 entries, 2 remain)" in res["msg"]
    assert "Operation not permitted" in res["msg"] and res["changed"] is False
    assert [r["dst"] for r in res["remaining"]] == ["fd00:2::1", "fd00:2::7"] and res["flushed"] == []
    kernel.refuse = False
    kernel.__class__ = type("Broken", (Kernel,), {"__call__": lambda self, argv, timeout=None, **kw: Result(
        list(argv), 0, "not json", "", 0.01)})
    res = run_module("ip6_route_cache_flush", {})
    assert res.failed and "cannot read the IPv6 route cache" in res["msg"]


def test_deep_json_from_ip_is_a_clear_error(run_module, kernel):
    """Issue 11: 100,000 nested brackets from `ip` raised RecursionError (a traceback)."""
    kernel.cache = None
    kernel.__class__ = type("Deep", (Kernel,), {"__call__": lambda self, argv, timeout=None, **kw: Result(
        list(argv), 0, "[" * 100000 + "]" * 100000, "", 0.01)})
    res = run_module("ip6_route_cache_flush", {})
    assert res.failed and "printed JSON nested too deeply" in res["msg"]
    assert "Traceback" not in json.dumps(res) and "exception" not in res


# ---------------------------------------------------------------- bad input

BAD = [
    ({"command_timeout": float("nan")}, "command_timeout must be a finite number"),
    ({"command_timeout": float("inf")}, "command_timeout must be a finite number"),
    ({"command_timeout": 1e308}, "command_timeout must be between 0.001 and 86400"),
    ({"command_timeout": 0}, "command_timeout must be between"),
    ({"command_timeout": -1}, "command_timeout must be between"),
    ({"command_timeout": "soon"}, "command_timeout"),
    ({"total_timeout": float("nan")}, "total_timeout must be a finite number"),
    ({"total_timeout": "-inf"}, "total_timeout must be a finite number"),
    ({"total_timeout": 1e308}, "total_timeout must be between"),
    ({"total_timeout": []}, "total_timeout"),
    ({"scope": "some"}, "scope"),
    ({"scope": ""}, "scope"),
    ({"scope": "all", "destinations": ["fd00::1"]}, "destinations only apply to scope=sticky"),
    ({"destinations": ["10.0.0.1"]}, "destinations: '10.0.0.1' is not an IPv6 address or prefix"),
    ({"destinations": ["nonsense"]}, "destinations: 'nonsense' is not an IPv6 address or prefix"),
    ({"destinations": [""]}, "destinations: '' is not an IPv6 address or prefix"),
    ({"destinations": ["fd00::1\nroute flush cache table all"]}, "destinations:"),
    ({"destinations": ["fd00::\u202e1"]}, "destinations:"),
    ({"destinations": "fd00::1,-f"}, "destinations:"),
    ({"root": ""}, "root"),  # no such option: Ansible names it
    ({"timeout": 5}, "timeout"),
]


@pytest.mark.parametrize("args, msg", BAD, ids=[repr(a)[:60] for a, m in BAD])
def test_bad_input(run_module, kernel, tmp_path, args, msg):
    before = snapshot.tree(str(tmp_path))
    res = run_module("ip6_route_cache_flush", args)
    assert res.failed and msg in res["msg"], res["msg"]
    assert "Traceback" not in json.dumps(res) and "exception" not in res
    assert kernel.batches == [] and not [c for c in kernel.calls if "flush" in c]
    assert len(kernel.cache) == 5 and snapshot.tree(str(tmp_path)) == before


# ---------------------------------------------------------------- check mode with the real runner

FAKE_IP = """#!%s
import json, os, sys
with open(os.environ["NMTEST_IP_LOG"], "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
if "flush" in sys.argv or "-batch" in sys.argv:
    sys.exit(0)
with open(os.environ["NMTEST_IP_CACHE" if "cache" in sys.argv else "NMTEST_IP_FIB"]) as fh:
    sys.stdout.write(fh.read())
"""


@pytest.mark.parametrize("scope", ["sticky", "all"])
def test_check_mode_runs_only_read_commands(run_module, exec_log, tmp_path, monkeypatch, scope):
    """Through the real runner and a fake `ip`: check mode runs `ip ... show` and nothing that changes the cache."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    ip = bindir / "ip"
    ip.write_text(FAKE_IP % sys.executable)
    ip.chmod(ip.stat().st_mode | stat.S_IXUSR)
    work = tmp_path / "work"
    work.mkdir()
    log = tmp_path / "ip.log"
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    monkeypatch.setenv("NMTEST_IP_LOG", str(log))
    monkeypatch.setenv("NMTEST_IP_CACHE", os.path.join(FIX, "ip6_cache_sticky.json"))
    monkeypatch.setenv("NMTEST_IP_FIB", os.path.join(FIX, "ip6_fib.json"))
    monkeypatch.chdir(work)
    before = snapshot.tree(str(work))
    res = run_module("ip6_route_cache_flush", {"scope": scope}, check_mode=True, diff=True)
    assert not res.failed and res["changed"] and res["flushed"]
    assert snapshot.tree(str(work)) == before and exec_log.signals == []
    argvs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [a[-2:] for a in argvs] == [["table", "all"], ["table", "all"]]
    assert all("show" in a and "flush" not in a and "del" not in a and "-batch" not in a for a in argvs), argvs
    assert [c[1:] for c in exec_log.commands] == argvs


# ---------------------------------------------------------------- rollback (issue 16): verify-and-fail

class Daemon(Kernel):
    """A kernel with babeld still at work: the sticky entries are back as soon as they are flushed; pings answer
    as ``answers`` says."""

    def __init__(self, *args, comes_back=True, answers=None, **kw):
        super().__init__(*args, **kw)
        self.comes_back, self.answers, self.pings = comes_back, answers or {}, []

    def flush(self, lines):
        sticky = [e for e in self.cache if e.get("type") in ("unreachable", "blackhole")]
        errors = super().flush(lines)
        if self.comes_back:
            self.cache += [e for e in sticky if e not in self.cache]
        return errors

    def __call__(self, argv, timeout=None, input=None, **kw):
        if argv[0] == "ping":
            self.pings.append(argv[-1])
            return Result(list(argv), 0 if self.answers.get(argv[-1], True) else 1, "", "", 0.01)
        return super().__call__(argv, timeout=timeout, input=input, **kw)


@pytest.fixture
def daemon(monkeypatch):
    def install(**kw):
        k = Daemon(load("ip6_cache_sticky.json"), load("ip6_fib.json"), **kw)
        monkeypatch.setattr(M, "Runner", lambda timeout=30: k)
        return k
    return install


def test_rollback_check_mode_says_what_would_be_watched(run_module, daemon):
    k = daemon()
    res = run_module("ip6_route_cache_flush", {"rollback": True, "rollback_probes": ["fd00:2::1"]}, check_mode=True)
    rb = res["rollback"]
    assert res["changed"] and rb["last_result"] == "would_change" and k.batches == [] and len(k.cache) == 5
    assert rb["watched"] == ["no sticky entry (unreachable, prohibit, blackhole under a reachable route) in the IPv6 "
                             "route cache; 2 before the flush",
                             "route fd00:2::/64 table main stays (the flushed entries sit under it)",
                             "fd00:2::1 answers ping (it does now)"]
    assert rb["desired"] == {"scope": "sticky", "destinations": [], "probes": ["fd00:2::1"]}


def test_rollback_sticky_entries_back_after_the_flush_fail_at_once_and_nothing_is_undone(run_module, daemon):
    daemon(answers={"fd00:2::1": False})
    t0 = time.monotonic()
    res = run_module("ip6_route_cache_flush", {"rollback": True, "rollback_window": 30,
                                               "rollback_probes": ["fd00:2::1"]})
    assert time.monotonic() - t0 < 5  # judged at once, not after the 30 s window
    rb = res["rollback"]
    assert res.failed and rb["last_result"] == "rollback_failed"
    assert res["msg"].startswith("ROLLBACK FAILED: after the flush, within 0.")
    assert rb["worse"] == ["2 sticky entries are in the IPv6 route cache after the flush (the cause persists: is a "
                           "daemon still replacing routes by delete-then-add?): fd00:2::1, fd00:2::7",
                           "fd00:2::1 does not answer ping (nor before the flush)"]
    assert rb["undone"] == [] and "a route cache entry cannot be restored" in rb["undo_error"]
    assert rb["state_now"] == ("2 sticky entries in the IPv6 route cache; routes: fd00:2::/64 table main unicast; "
                               "ping: fd00:2::1 no answer; left as found")


def test_without_rollback_sticky_entries_back_are_a_plain_failure(run_module, daemon):
    daemon()
    res = run_module("ip6_route_cache_flush", {})
    assert res.failed and "came back right after the flush" in res["msg"]
    assert res["rollback"]["last_result"] == "failed" and res["rollback"]["enabled"] is False


def test_rollback_good_flush_is_applied_after_the_settle_time(run_module, daemon):
    k = daemon(comes_back=False)
    res = run_module("ip6_route_cache_flush", {"rollback": True, "rollback_window": 20, "rollback_settle": 0.2,
                                               "rollback_probes": ["fd00:2::1"]})
    rb = res["rollback"]
    assert not res.failed and res["changed"] and rb["last_result"] == "applied"
    assert rb["before"]["sticky_count"] == 2 and rb["after"]["sticky_count"] == 0
    assert rb["after"]["routes"] == {"fd00:2::/64 table main": "unicast"} and rb["after"]["answers"] == {"fd00:2::1": True}
    assert rb["healthy_after"] < 0.1 and 0.2 <= rb["watch_seconds"] < 2 and rb["worse"] == []
    assert k.pings.count("fd00:2::1") >= 2


def test_rollback_probe_that_stops_answering_is_worse_after_the_window(run_module, daemon):
    k = daemon(comes_back=False)
    k.answers["fd00:2::1"] = True
    original = k.flush

    def flush(lines):  # the destination goes silent with the flush
        k.answers["fd00:2::1"] = False
        return original(lines)
    k.flush = flush
    res = run_module("ip6_route_cache_flush", {"rollback": True, "rollback_window": 0.3, "rollback_settle": 0.1,
                                               "rollback_probes": ["fd00:2::1"]})
    rb = res["rollback"]
    assert res.failed and rb["last_result"] == "rollback_failed"
    assert rb["worse"] == ["fd00:2::1 does not answer ping (it did before the flush)"]
    assert rb["detected_after"] >= 0.3


@pytest.mark.parametrize("args, msg", [
    ({"rollback_probes": ["fd00:2::1"]}, "rollback_probes are pinged only with rollback: true"),
    ({"rollback": True, "rollback_probes": ["10.0.0.1"]}, "rollback_probes: '10.0.0.1' is not an IPv6 address"),
    ({"rollback": True, "rollback_probes": ["fd00:2::/64"]}, "rollback_probes: 'fd00:2::/64' is not an IPv6 address"),
    ({"rollback": True, "rollback_probes": ["-f"]}, "rollback_probes: '-f' is not an IPv6 address"),
    ({"rollback": True, "rollback_window": float("nan")}, "rollback_window must be a finite number"),
    ({"rollback": True, "rollback_settle": -1}, "rollback_settle must be between"),
    ({"rollback": "maybe"}, "rollback"),
])
def test_rollback_bad_input(run_module, daemon, args, msg):
    k = daemon()
    res = run_module("ip6_route_cache_flush", args)
    assert res.failed and msg in res["msg"], res["msg"]
    assert "Traceback" not in json.dumps(res) and k.batches == [] and k.pings == []
