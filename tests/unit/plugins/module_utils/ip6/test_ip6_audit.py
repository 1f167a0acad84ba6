"""The ip6_route_cache audit (and the readers and the sticky test it uses).

The FIB and the PMTU cache entry are real captures (iproute2 6.1, kernel 6.18).
The sticky entries are derived in the same format: kernel 6.18 no longer
clones reject routes into the cache (see fixtures/nmaud/README.md), so the
incident-003 state cannot be captured on this kernel.
"""

import json
import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import audit as C
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import risk as R

from support.fakes import FakeRunner, fixture


def ctx(cache, fib=None, root="/nonexistent"):
    return AuditContext(root=root, runner=FakeRunner({"show cache": cache,
                                                      "show table all": fib or fixture("ip6_fib.json")}))


def test_real_pmtu_entry_is_not_sticky():
    assert C.run(ctx(fixture("ip6_cache_pmtu.json"))) == []


def test_sticky_entries_found_exactly():
    f = C.run(ctx(fixture("ip6_cache_sticky.json")))
    assert [(x.id, x.subject, x.severity) for x in f] == [
        ("NM-IP6-001", "fd00:2::1 (table main)", "critical"),
        ("NM-IP6-001", "fd00:2::7 (table main)", "critical")]
    first = f[0]
    assert first.incident == "003"
    assert first.evidence["covering_route"]["dst"] == "fd00:2::/64"
    assert "shadows the reachable route fd00:2::/64 via fd00:1::2" in first.summary
    assert first.fix.module == "netmedic.network.ip6_route_cache_flush"
    assert first.fix.params == {"destinations": ["fd00:2::1"]}


def test_unreachable_entry_under_an_unreachable_cover_is_legitimate():
    cache = [e for e in json.loads(fixture("ip6_cache_sticky.json")) if e["dst"] in ("fd00:5::1", "fd00:4::1")]
    assert C.run(ctx(json.dumps(cache))) == []


@pytest.mark.parametrize("cache, expect", [
    ("not json", "did not print JSON"),
    ('{"dst": "x"}', "not a list of routes"),
    ((255, "", "Error: invalid argument"), "exited 255: Error: invalid argument"),
])
def test_bad_output_is_a_finding(cache, expect):
    [f] = C.run(ctx(cache))
    assert f.id == "NM-IP6-009" and expect in f.evidence["error"]


def test_empty_cache_is_fine():
    assert C.run(ctx("")) == [] and C.run(ctx("[]")) == []


def fake_proc(tmp_path, release, procs=()):
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/osrelease").write_text(release + "\n")
    for pid, argv in procs:
        d = tmp_path / "proc" / str(pid)
        d.mkdir()
        (d / "comm").write_text(os.path.basename(argv[0]) + "\n")
        (d / "cmdline").write_text("\0".join(argv) + "\0")
    return str(tmp_path)


def test_risk_factors_babeld_and_old_kernel(tmp_path):
    root = fake_proc(tmp_path, "3.16.0-4-amd64", [(400, ["/usr/bin/babeld", "-D", "re6stnet8"]),
                                                  (401, ["/usr/lib/frr/babeld", "-d"])])
    f = {x.id: x for x in C.run(ctx("[]", root=root))}
    assert f["NM-IP6-002"].severity == "warning"
    assert f["NM-IP6-002"].evidence["processes"] == [{"pid": 400, "argv": ["/usr/bin/babeld", "-D", "re6stnet8"]}]
    assert "this kernel clones them" in f["NM-IP6-002"].summary
    assert f["NM-IP6-003"].evidence["kernel"] == "3.16.0-4-amd64" and f["NM-IP6-003"].evidence["babeld_running"]


def test_new_kernel_frr_babeld_only_and_installed_babeld(tmp_path):
    root = fake_proc(tmp_path, "6.18.44-fc-v657", [(401, ["/usr/lib/frr/babeld", "-d"])])
    assert C.run(ctx("[]", root=root)) == []
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/sbin/babeld").write_text("")
    [f] = C.run(ctx("[]", root=root))
    assert (f.id, f.severity) == ("NM-IP6-002", "info")


@pytest.mark.parametrize("release, older", [("4.1.52", True), ("4.2.0", False), ("3.16.0-4-amd64", True),
                                            ("6.18.44-fc", False), ("garbage", None)])
def test_kernel_older_than(release, older):
    assert R.kernel_older_than(release, 4, 2) is older


@pytest.mark.parametrize("key, value", [("gateway", "fd00:1::2\nNM-FAKE-001 critical"), ("dst", "fd00:2::/64\n"),
                                        ("gateway", "\x1b[2J" + "a" * 500)])
def test_odd_text_from_ip_stays_on_one_line(key, value):
    """Found by the fuzz suite (odd strings): a newline in the covering route's gateway made the
    summary two lines, the Finding refused it and the whole audit failed."""
    fib = json.loads(fixture("ip6_fib.json"))
    fib[1][key] = value
    found = C.run(ctx(fixture("ip6_cache_sticky.json"), json.dumps(fib)))
    assert all("\n" not in f.summary and len(f.summary) < 300 for f in found)
    assert {f.id for f in found} <= {"NM-IP6-001"}


def test_audit_shape_name_area_alias_and_fix_module():
    """Issue 12: one name per area; the old audit name stays an alias, the fix names the new module."""
    assert (C.AUDIT.name, C.AUDIT.area, C.AUDIT.aliases) == ("ip6_route_cache", "ip6", ("ipv6_route_cache",))
    assert C.FIX_MODULE == "netmedic.network.ip6_route_cache_flush" and C.AUDIT.options == {}
    assert sorted(C.AUDIT.checks) == ["NM-IP6-001", "NM-IP6-002", "NM-IP6-003", "NM-IP6-009"]
