"""Fleet checks (core/fleet.py): one finding about the peer that many hosts lost together (issue 15)."""

import json

from ansible_collections.netmedic.network.plugins.module_utils.core import fleet as F
from ansible_collections.netmedic.network.plugins.module_utils.core.report import (
    build_report, summary_line, to_junit, to_markdown)

T0 = 1795957463.0  # when the lab's clients lost the reflector (epoch seconds)
RR = "10.0.0.1"


def lost(host_n, at, check="NM-BGP-002", peer=RR, reason="Hold Timer Expired (BGP Notification send)"):
    return {"id": check, "severity": "critical" if check != "NM-BGP-002" else "warning",
            "summary": "BGP session with %s flapped" % peer, "subject": "peer %s (pathspace c%02d)" % (peer, host_n),
            "evidence": {"peer": peer, "vrf": "default",
                         "lost_session": {"peer": peer, "vrf": "default", "at": at, "seconds_ago": 5.0,
                                          "reason": reason}},
            "fix": {"manual": "look"}, "incident": "002"}


def overloaded(addresses=(RR,)):
    return {"id": "NM-BGP-010", "severity": "critical", "summary": "route reflector 10.0.0.1 is overloaded",
            "subject": "bgpd", "evidence": {"speaker": "route reflector 10.0.0.1", "router_ids": list(addresses),
                                            "local_addresses": list(addresses)},
            "fix": {"manual": "shard"}, "incident": "002"}


def report(per_host):
    return build_report({h: {"findings": f} for h, f in per_host.items()}, generated="2026-11-29T13:04:00+00:00")


def test_37_hosts_losing_the_reflector_in_90_s_are_one_finding_about_it():
    hosts = {"c%02d" % n: [lost(n, T0 + n)] for n in range(1, 38)}
    hosts["rr"] = [overloaded()]
    rep = report(hosts)
    [f] = rep["fleet"]["findings"]
    assert f["id"] == "NM-FLEET-001" and f["severity"] == "critical" and f["subject"] == "peer 10.0.0.1"
    assert f["summary"].startswith("37 hosts lost their BGP session to 10.0.0.1 within 36 s (")
    assert "one cause at 10.0.0.1, not 37 separate ones; 10.0.0.1 is host rr, which reports NM-BGP-010" in f["summary"]
    ev = f["evidence"]
    assert ev["host_count"] == 37 and ev["hosts"][0] == "c01" and ev["peer_host"] == "rr"
    assert ev["reasons"] == {"Hold Timer Expired (BGP Notification send)": 37}
    assert ev["first"] == T0 + 1 and ev["last"] == T0 + 37 and ev["other_hosts_that_lost_it"] == []
    assert rep["summary"]["fleet"] == {"critical": 1, "warning": 0, "info": 0}
    assert "across the fleet: 1 critical" in summary_line(rep)
    md = to_markdown(rep)
    assert md.index("## Across the fleet: 1 finding(s)") < md.index("## rr:")
    assert "| critical | NM-FLEET-001 | peer 10.0.0.1 | 37 hosts lost" in md
    assert '<testsuite name="(fleet)" tests="1" failures="1"' in to_junit(rep)


def test_losses_spread_over_more_than_the_window_are_not_grouped():
    hosts = {"c%02d" % n: [lost(n, T0 + n * 100)] for n in range(1, 6)}
    assert report(hosts)["fleet"]["findings"] == []


def test_the_densest_window_wins_and_the_others_are_named():
    hosts = {"c01": [lost(1, T0)], "c02": [lost(2, T0 + 300)], "c03": [lost(3, T0 + 320)], "c04": [lost(4, T0 + 350)]}
    [f] = report(hosts)["fleet"]["findings"]
    assert f["evidence"]["hosts"] == ["c02", "c03", "c04"] and f["evidence"]["other_hosts_that_lost_it"] == ["c01"]


def test_two_hosts_are_not_a_pattern_and_each_host_counts_once():
    # c01 reports the same loss three times (flapped, flapping now, down): one host
    hosts = {"c01": [lost(1, T0), lost(1, T0 + 1, "NM-BGP-004"), lost(1, T0 + 2, "NM-BGP-001")],
             "c02": [lost(2, T0 + 3)]}
    assert report(hosts)["fleet"]["findings"] == []
    hosts["c03"] = [lost(3, T0 + 4)]
    [f] = report(hosts)["fleet"]["findings"]
    assert f["evidence"]["host_count"] == 3
    assert f["evidence"]["per_host"][0]["checks"] == ["NM-BGP-001", "NM-BGP-002", "NM-BGP-004"]


def test_different_peers_and_vrfs_are_different_findings():
    hosts = {}
    for n in range(1, 4):
        other = lost(n, T0 + n, peer="10.0.0.2")
        red = json.loads(json.dumps(lost(n, T0 + n)))
        red["evidence"]["lost_session"]["vrf"] = "red"
        hosts["c%02d" % n] = [lost(n, T0 + n), other, red]
    subjects = sorted(f["subject"] for f in report(hosts)["fleet"]["findings"])
    assert subjects == ["peer 10.0.0.1", "peer 10.0.0.1 vrf red", "peer 10.0.0.2"]


def test_same_check_about_the_same_peer_is_grouped():
    def short_hold(n):
        return {"id": "NM-BGP-006", "severity": "warning", "summary": "BGP session with 10.0.0.1 runs a 3 s hold time",
                "subject": "peer 10.0.0.1", "evidence": {"peer": RR, "vrf": "default", "hold_time_seconds": 3.0},
                "fix": {"manual": "raise it"}, "incident": "002"}
    rep = report({"c%02d" % n: [short_hold(n)] for n in range(1, 5)})
    [f] = rep["fleet"]["findings"]
    assert f["id"] == "NM-FLEET-002" and f["severity"] == "warning" and f["subject"] == "NM-BGP-006 peer 10.0.0.1"
    assert f["summary"].startswith("4 hosts report NM-BGP-006 about 10.0.0.1 (c01: BGP session with 10.0.0.1 runs")
    assert f["fix"]["manual"] == "raise it" and f["evidence"]["hosts"] == ["c01", "c02", "c03", "c04"]


def test_odd_evidence_is_ignored_not_a_crash():
    odd = []
    for n, ls in enumerate([{"peer": RR, "at": "soon"}, {"peer": 5, "at": T0}, {"peer": RR, "at": float("nan")},
                            {"peer": RR, "at": True}, "lost", {"peer": RR, "vrf": {}, "at": T0},
                            {"peer": RR, "at": 1e300, "reason": {"x": 1}}]):
        f = lost(n, T0)
        f["evidence"]["lost_session"] = ls
        f["evidence"]["peer"] = [RR] if n % 2 else RR
        odd.append(f)
    hosts = {"c%02d" % n: [f, overloaded(addresses="10.0.0.1")] for n, f in enumerate(odd)}
    rep = report(hosts)
    # no usable loss time, no peer name: nothing to group (and NM-BGP-010 has no peer of its own)
    assert rep["fleet"]["findings"] == []


def test_hosts_without_result_and_an_empty_fleet():
    rep = build_report({"a": None, "b": {"findings": []}}, generated="x")
    assert rep["fleet"] == {"checks": ["NM-FLEET-001", "NM-FLEET-002"], "findings": []}
    assert "across the fleet" not in summary_line(rep) and "Across the fleet" not in to_markdown(rep)


def test_every_fleet_check_is_declared_with_a_title():
    assert sorted(F.FLEET_CHECKS) == ["NM-FLEET-001", "NM-FLEET-002"]
    assert all(title and callable(run) for title, run in F.FLEET_CHECKS.values())


def test_every_fleet_check_is_documented_like_the_host_checks():
    import os
    import yaml
    from ansible_collections.netmedic.network.plugins.modules import preflight_report
    from support.paths import REPO
    with open(os.path.join(REPO, "docs", "report-schema.md"), encoding="utf-8") as fh:
        schema = fh.read()
    module_doc = " ".join(yaml.safe_load(preflight_report.DOCUMENTATION)["description"])
    for check_id, (title, dummy) in F.FLEET_CHECKS.items():
        assert "| %s |" % check_id in schema and title in schema, check_id
        assert "C(%s), %s" % (check_id, title) in module_doc, check_id
