"""BGP session audit against vtysh JSON captured from real FRR 8.4.4 (fixtures/nmaud/README.md)."""

import json

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as B
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandTimeout, Result

from support.fakes import FakeRunner, fixture


def ctx(answers, **opts):
    opts.setdefault("sample_interval", 0)
    return AuditContext(root="/nonexistent", runner=FakeRunner(answers), options={"bgp": opts})


def answers(state, neighbors2=None):
    a = {"summary json": fixture("bgp_sum_%s.json" % state)}
    nbr = fixture("bgp_nbr_%s.json" % state)
    a["neighbors json"] = [nbr, neighbors2] if neighbors2 else nbr
    return a


def by_id(findings):
    out = {}
    for f in findings:
        out.setdefault(f.id, []).append(f)
    return out


def test_established_session_is_clean_with_relaxed_thresholds():
    f = B.run(ctx(answers("est"), min_established_seconds=5, min_hold_time=9))
    assert f == []


def test_established_8s_ago_is_a_recent_flap_and_short_hold_time():
    f = by_id(B.run(ctx(answers("est"), min_hold_time=10)))
    assert set(f) == {"NM-BGP-002", "NM-BGP-006"}
    flap = f["NM-BGP-002"][0]
    assert flap.subject == "peer 10.99.0.2" and flap.severity == "warning" and flap.incident == "002"
    assert flap.evidence["established_seconds"] == 8.0
    assert flap.evidence["families"] == ["ipv4Unicast", "l2VpnEvpn"]
    assert f["NM-BGP-006"][0].evidence["hold_time_seconds"] == 9.0


def test_down_session():
    f = by_id(B.run(ctx(answers("down"))))
    down = f["NM-BGP-001"][0]
    assert down.severity == "critical" and down.subject == "peer 10.99.0.2"
    assert down.evidence["states"] == ["Active"]
    assert down.evidence["lastResetDueTo"] == "Waiting for NHT"
    # both families lost their only peer
    assert sorted(x.subject for x in f["NM-BGP-007"]) == ["vrf default ipv4Unicast", "vrf default l2VpnEvpn"]
    assert all(x.severity == "critical" for x in f["NM-BGP-007"])
    assert "NM-BGP-002" not in f


def test_flapped_session_counts_drops():
    f = by_id(B.run(ctx(answers("flap"), max_connections_dropped=3)))
    assert f["NM-BGP-003"][0].evidence["connectionsDropped"] == 3
    assert f["NM-BGP-002"][0].evidence["established_seconds"] == 1.0
    assert "NM-BGP-001" not in f


def test_dropped_growing_between_samples(monkeypatch):
    sleeps = []
    monkeypatch.setattr(B, "_sleep", sleeps.append)
    first, second = fixture("bgp_sum_down.json"), fixture("bgp_sum_flap.json")
    c = ctx({"summary json": [first, second], "neighbors json": fixture("bgp_nbr_down.json")}, sample_interval=4)
    f = by_id(B.run(c))
    assert sleeps == [4.0]
    # issue 15: the second sample is the summary (0.9 MB at 1,000 peers), not the neighbors again (3.4 MB)
    # (and issue 14: 'show version' once, after the samples, because there are findings to say it in)
    assert [call.split(" -c ")[1] for call in c.runner.calls] == [
        "show bgp vrf all summary json", "show bgp vrf all neighbors json", "show bgp vrf all summary json",
        "show version"]
    grow = f["NM-BGP-004"][0]
    assert grow.severity == "critical"
    assert (grow.evidence["connectionsDropped_first"], grow.evidence["connectionsDropped_second"]) == (1, 3)
    assert "dropped 2 more time(s) in 4 s" in grow.summary


def test_no_second_sample_when_interval_is_zero(monkeypatch):
    monkeypatch.setattr(B, "_sleep", lambda s: pytest.fail("slept"))
    c = ctx(answers("est"))
    B.run(c)
    assert sum("neighbors json" in call for call in c.runner.calls) == 1


def test_admin_down_and_vrf_peer():
    f = by_id(B.run(ctx(answers("mixed"), min_established_seconds=5)))
    admin = f["NM-BGP-008"][0]
    assert admin.severity == "info" and admin.subject == "peer 10.99.0.9"
    down = f["NM-BGP-001"]
    assert [x.subject for x in down] == ["peer 10.98.0.2 vrf nmaud-red"]  # admin shutdown is not "down"
    fams = {x.subject: x for x in f["NM-BGP-007"]}
    # failedPeers=1 in default ipv4Unicast is the admin-shutdown peer: not reported
    assert set(fams) == {"vrf nmaud-red ipv4Unicast", "vrf nmaud-red ipv6Unicast"}
    assert fams["vrf nmaud-red ipv4Unicast"].evidence["failedPeers"] == 1


def test_queue_backlog():
    summary = json.loads(fixture("bgp_sum_est.json"))
    summary["default"]["l2VpnEvpn"]["peers"]["10.99.0.2"]["outq"] = 120  # a stuck peer, not reproducible live
    f = by_id(B.run(ctx({"summary json": json.dumps(summary), "neighbors json": fixture("bgp_nbr_est.json")},
                        min_established_seconds=1)))
    q = f["NM-BGP-005"][0]
    assert q.evidence["outq"] == 120 and "the peer is not keeping up" in q.summary


def test_pathspace_goes_to_vtysh():
    c = ctx(dict(answers("est"), **{"show version": fixture("../frr_versions/show_version_10.3.txt")}),
            pathspace="nmaud-r1")
    f = B.run(c)
    assert c.runner.calls[:2] == ["vtysh -N nmaud-r1 -c show bgp vrf all summary json",
                                  "vtysh -N nmaud-r1 -c show bgp vrf all neighbors json"]
    assert f[0].subject.endswith("(pathspace nmaud-r1)")
    # issue 14: the FRR version in every finding's evidence, read once (show version) when there are findings
    assert c.runner.calls[2:] == ["vtysh -N nmaud-r1 -c show version"]
    assert {(x.evidence["frr_version"], x.evidence["frr_version_tested"]) for x in f} == {("10.3", True)}


def test_an_unknown_future_version_is_audited_and_said():
    c = ctx(dict(answers("est"), **{"show version": "FRRouting 11.2 (r1) on Linux(6.20.0).\n"}))
    f = B.run(c)
    assert f and {(x.evidence["frr_version"], x.evidence["frr_version_tested"]) for x in f} == {("11.2", False)}


def test_no_bgp_instance_is_no_finding():
    assert B.run(ctx(answers("nopeers"))) == []


@pytest.mark.parametrize("answer, expect", [
    ("", "printed nothing"),
    ("% Unknown command: show bgp vrf all summary json", "did not print JSON"),
    ('{"default": {"ipv4Unicast": {"peers": {"10.0.0.1": {"state": "Established"', "did not print JSON"),
    ("[1, 2]", "expected an object keyed by VRF"),
    ('{"default": 5}', "VRF 'default' is int"),
    ('{"default": {"ipv4Unicast": {"peers": []}}}', "'peers' is not an object"),
    ((1, "", "bgpd is not running"), "exited 1: bgpd is not running"),
    (CommandTimeout("'vtysh' did not finish within 20 s", Result(["vtysh"], -9, "", "", 20, True)),
     "did not finish within 20 s"),
])
def test_malformed_output_is_a_finding_not_a_crash(answer, expect):
    f = B.run(ctx({"summary json": answer, "neighbors json": fixture("bgp_nbr_est.json")}))
    assert len(f) == 1 and f[0].id == "NM-BGP-009" and f[0].severity == "warning"
    assert expect in f[0].summary or expect in f[0].evidence["error"]
    assert f[0].evidence["commands"][0] == "vtysh -c show bgp vrf all summary json"


def test_applies(tmp_path):
    def c(**o):
        return AuditContext(root=str(tmp_path), runner=FakeRunner({}), options={"bgp": o})
    assert not B.applies(c())
    (tmp_path / "etc/frr/r1").mkdir(parents=True)
    (tmp_path / "etc/frr/r1/daemons").write_text("bgpd=no\n")
    assert not B.applies(c(pathspace="r1"))
    (tmp_path / "etc/frr/r1/daemons").write_text("bgpd=yes\n")
    assert B.applies(c(pathspace="r1")) and not B.applies(c())
    (tmp_path / "var/run/frr").mkdir(parents=True)
    (tmp_path / "var/run/frr/bgpd.pid").write_text("1\n")
    assert B.applies(c())
    assert B.applies(c(pathspace="../etc"))  # run() reports the bad option
    [f] = B.run(c(pathspace="../etc"))
    assert f.id == "NM-BGP-009" and "is not a plain name" in f.summary


def test_several_pathspaces_one_pause(monkeypatch):
    sleeps = []
    monkeypatch.setattr(B, "_sleep", sleeps.append)
    c = AuditContext(root="/nonexistent", runner=FakeRunner({
        "-N ra -c show bgp vrf all summary json": fixture("bgp_sum_down.json"),
        "-N ra -c show bgp vrf all neighbors json": fixture("bgp_nbr_down.json"),
        "-N rb -c show bgp vrf all summary json": (1, "", "bgpd is not running"),
        "-N rc -c show bgp vrf all summary json": fixture("bgp_sum_est.json"),
        "-N rc -c show bgp vrf all neighbors json": fixture("bgp_nbr_est.json")}),
        options={"bgp": {"pathspaces": ["ra", "rb", "rc"], "sample_interval": 2, "min_established_seconds": 5}})
    f = B.run(c)
    assert sleeps == [2.0]
    got = sorted((x.id, x.subject) for x in f if x.id in ("NM-BGP-001", "NM-BGP-009"))
    assert got == [("NM-BGP-001", "peer 10.99.0.2 (pathspace ra)"), ("NM-BGP-009", "bgpd (pathspace rb)")]
    assert not [x for x in f if "pathspace rc" in x.subject]
    # ra and rc: the summary twice, the neighbors once (issue 15)
    assert sum("neighbors json" in call for call in c.runner.calls) == 2
    assert sum("summary json" in call for call in c.runner.calls) == 5
