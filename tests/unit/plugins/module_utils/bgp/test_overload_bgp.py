"""Incident 002 on the reflector (issue 15): NM-BGP-010/011 and the lost-session evidence the fleet checks group,
on vtysh JSON captured in the reflector lab (fixtures/nmaud/README.md: bgp_*_rr_freeze, bgp_*_rr_client)."""

import json

from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as B
from ansible_collections.netmedic.network.plugins.module_utils.bgp import load as L
from ansible_collections.netmedic.network.plugins.module_utils.bgp import overload as O
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.core.report import build_report

from support.fakes import FakeRunner, fixture
from support.procs import fake_process

NOW = 1795956334.0  # the capture's clock: the summary's peerUptimeEstablishedEpoch is 1795956333 for a 1 s uptime


def run(name, monkeypatch, root="/nonexistent", **opts):
    monkeypatch.setattr(B, "_now", lambda: NOW)
    opts.setdefault("sample_interval", 0)
    ctx = AuditContext(root=root, runner=FakeRunner({"summary json": fixture("bgp_sum_%s.json" % name),
                                                     "neighbors json": fixture("bgp_nbr_%s.json" % name)}),
                       options={"bgp": opts})
    return B.run(ctx), ctx


def ids(findings, check):
    return [f for f in findings if f.id == check]


def test_reflector_after_bgpd_was_frozen_is_named_overloaded(monkeypatch):
    found, ctx = run("rr_freeze", monkeypatch, overload_min_sessions=3)
    [over] = ids(found, "NM-BGP-010")
    assert over.severity == "critical" and over.subject == "bgpd" and over.incident == "002"
    assert over.summary == ("route reflector 10.0.0.1 is overloaded: 4 of 8 sessions reset in the same second, "
                            "3 down now; hold timer expired on 3: do not start maintenance")
    ev = over.evidence
    assert ev["router_ids"] == ["10.0.0.1"] and ev["local_addresses"] == ["10.0.0.1"]
    assert (ev["sessions"], ev["down"], ev["reset_in_window"], ev["hold_timer_expired"]) == (8, 3, 4, 3)
    # FRR 8.4.4 overwrote the reason of the session that came back (seen in the lab)
    assert ev["reset_reasons"] == {"Hold Timer Expired (BGP Notification send)": 3, "No AFI/SAFI activated for peer": 1}
    assert ev["route_reflector_clients"] == 8
    assert ev["update_groups"][0] == {"afi": "ipv4Unicast", "update_group": 1, "peers": 4}
    assert ev["resets_per_10s"] == [[0, 4]] and ev["reset_from"] == NOW - 1
    for advice in ("shard the reflector", "raise hold timers", "rate-limit updates"):
        assert advice in over.fix.manual
    # each session keeps its own finding, with when and why it was lost
    [down] = [f for f in ids(found, "NM-BGP-001") if f.subject == "peer 10.0.1.1"]
    assert down.evidence["lost_session"] == {"peer": "10.0.1.1", "vrf": "default", "at": NOW - 1, "seconds_ago": 1.0,
                                             "reason": "Hold Timer Expired (BGP Notification send)"}
    # a session that never dropped was not lost (its uptime is the reflector's start)
    [young] = [f for f in ids(found, "NM-BGP-002") if f.subject == "peer 10.0.1.2"]
    assert "lost_session" not in young.evidence
    snap = ctx.snapshots["bgp"]["sessions"]
    assert snap["peer 10.0.1.1"] == {"up": False, "state": "Idle", "established_epoch": NOW - 1,
                                     "connections_established": 2}
    assert snap["peer 10.0.1.2"]["up"] is True and len(snap) == 8


def test_a_few_resets_are_not_an_overload_and_zero_turns_it_off(monkeypatch):
    assert ids(run("rr_freeze", monkeypatch)[0], "NM-BGP-010") == []          # default: 10 sessions
    assert ids(run("rr_freeze", monkeypatch, overload_min_sessions=0)[0], "NM-BGP-010") == []


def test_client_says_when_and_why_it_lost_the_reflector(monkeypatch):
    found, dummy = run("rr_client", monkeypatch)
    [down] = ids(found, "NM-BGP-001")
    assert down.subject == "peer 10.0.0.1"
    assert down.evidence["lost_session"] == {"peer": "10.0.0.1", "vrf": "default", "at": NOW - 8, "seconds_ago": 8.0,
                                             "reason": "Hold Timer Expired (BGP Notification send)"}
    assert ids(found, "NM-BGP-010") == []


def test_reflector_and_its_clients_in_one_report_are_one_fleet_finding(monkeypatch):
    results = {"rr": run("rr_freeze", monkeypatch, overload_min_sessions=3)[0]}
    for n in range(1, 4):
        results["c%02d" % n] = run("rr_client", monkeypatch)[0]
    report = build_report({h: {"findings": [f.to_dict() for f in fs]} for h, fs in results.items()}, generated="x")
    [fleet] = report["fleet"]["findings"]
    assert fleet["id"] == "NM-FLEET-001" and fleet["subject"] == "peer 10.0.0.1"
    assert fleet["evidence"]["hosts"] == ["c01", "c02", "c03"] and fleet["evidence"]["peer_host"] == "rr"
    assert fleet["evidence"]["peer_host_findings"] == ["NM-BGP-010"]


def test_densest_window():
    resets = [{"seconds_ago": s} for s in (1, 2, 3, 200, 250, 260, 270, 280)]
    assert [r["seconds_ago"] for r in O.densest(resets, 90, 300)] == [200, 250, 260, 270, 280]
    assert [r["seconds_ago"] for r in O.densest(resets, 90, 100)] == [1, 2, 3]


# ---------------------------------------------------------------- bgpd's CPU (bgp/load.py)

def _bgpd(root, pid=4242, utime=100, stime=50, waits=(10 ** 9,), cgroup="0::/system.slice/frr.service"):
    fake_process(root, pid, ["/usr/lib/frr/bgpd", "-d", "-F", "traditional", "-A", "127.0.0.1"])
    fields = ["S"] + ["0"] * 10 + [str(utime), str(stime)] + ["0"] * 27
    (root / "proc" / str(pid) / "stat").write_text("%d (bgpd) %s\n" % (pid, " ".join(fields)))
    for n, wait in enumerate(waits):
        task = root / "proc" / str(pid) / "task" / str(pid + n)
        task.mkdir(parents=True, exist_ok=True)
        (task / "schedstat").write_text("5000000 %d 42\n" % wait)
    (root / "proc" / str(pid) / "cgroup").write_text(cgroup + "\n")
    (root / "var/run/frr").mkdir(parents=True, exist_ok=True)
    (root / "var/run/frr/bgpd.pid").write_text("%d\n" % pid)


def _cpu_stat(root, periods, throttled, where="system.slice/frr.service"):
    d = root / "sys/fs/cgroup" / where
    d.mkdir(parents=True, exist_ok=True)
    (d / "cpu.stat").write_text("usage_usec 1\nnr_periods %d\nnr_throttled %d\nthrottled_usec 5\n" % (periods, throttled))


def test_starved_bgpd_is_reported_from_its_cgroup(tmp_path, monkeypatch):
    # the lab's figures under a 3 % quota: 49 of 51 periods throttled, threads waiting 1.6 s a second
    _bgpd(tmp_path, waits=(10 ** 9, 2 * 10 ** 9))
    _cpu_stat(tmp_path, 1000, 10)
    clock = iter([100.0, 103.0])
    monkeypatch.setattr(L, "_monotonic", lambda: next(clock))
    first = L.sample(str(tmp_path), None)
    assert first["cpu"] == 1.5 and first["wait"] == 3.0 and first["cgroup"] == {"nr_periods": 1000, "nr_throttled": 10}
    _bgpd(tmp_path, utime=103, stime=50, waits=(3 * 10 ** 9, 48 * 10 ** 8))
    _cpu_stat(tmp_path, 1030, 39)
    second = L.sample(str(tmp_path), None)
    share = L.share(first, second)
    assert share == {"pid": 4242, "seconds": 3.0, "cpu_percent": 1.0, "wait_percent": 160.0, "throttled_percent": 96.7}
    assert L.starved(share, 80) == "its CPU limit (cgroup) stopped bgpd in 97% of the periods"
    assert L.starved(dict(share, throttled_percent=0), 80) == "bgpd waited for a CPU 160% of the time and ran 1%"
    assert L.starved({"cpu_percent": 95.0}, 80) == "bgpd used 95% of a CPU"
    assert L.starved({"cpu_percent": 95.0}, 0) is None and L.starved(None, 80) is None
    assert L.starved({"cpu_percent": 30.0, "wait_percent": 20.0}, 80) is None


def test_cpu_sample_needs_the_proved_bgpd(tmp_path):
    assert L.sample(str(tmp_path), None) is None                      # no pid file
    _bgpd(tmp_path)
    fake_process(tmp_path, 4242, ["/usr/sbin/sshd", "-D"])           # a reused pid: not bgpd
    assert L.sample(str(tmp_path), None) is None
    assert L.share({"pid": 1, "at": 0, "cpu": 0}, {"pid": 2, "at": 1, "cpu": 1}) is None  # bgpd restarted between


def test_cgroup_paths_v1_and_odd_lines(tmp_path):
    _bgpd(tmp_path, cgroup="12:cpu,cpuacct:/nmrr-rr-bgpd\n0::/../../etc\nnonsense")
    _cpu_stat(tmp_path, 7, 3, where="cpu/nmrr-rr-bgpd")
    assert L.cgroup_cpu_stat(str(tmp_path), 4242) == {"nr_periods": 7, "nr_throttled": 3}
    assert L.cpu_seconds("garbage") is None and L.cpu_seconds("1 (bgpd) S 0") is None


def test_the_audit_reports_a_starved_bgpd(monkeypatch):
    samples = iter([{"pid": 7, "at": 0.0, "cpu": 1.0, "wait": 0.0, "cgroup": {"nr_periods": 0, "nr_throttled": 0}},
                    {"pid": 7, "at": 3.0, "cpu": 1.03, "wait": 4.8, "cgroup": {"nr_periods": 30, "nr_throttled": 29}}])
    monkeypatch.setattr(L, "sample", lambda root, pathspace: next(samples))
    monkeypatch.setattr(B, "_sleep", lambda seconds: None)
    found, dummy = run("rr_freeze", monkeypatch, overload_min_sessions=3, sample_interval=3)
    [cpu] = ids(found, "NM-BGP-011")
    assert cpu.severity == "warning" and cpu.summary == (
        "route reflector 10.0.0.1 is short of CPU: its CPU limit (cgroup) stopped bgpd in 97% of the periods "
        "between the two samples")
    assert cpu.evidence["bgpd_cpu"]["wait_percent"] == 160.0
    [over] = ids(found, "NM-BGP-010")
    assert over.summary.endswith("hold timer expired on 3; its CPU limit (cgroup) stopped bgpd in 97% of the periods: "
                                 "do not start maintenance")
    assert json.loads(json.dumps(over.evidence))["bgpd_cpu"]["throttled_percent"] == 96.7
