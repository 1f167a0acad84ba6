"""preflight_report with fleet findings (issue 15): a fleet finding gates the report like a host's finding."""

import json

T0 = 1795957463.0
RR = "10.0.0.1"


def flapped(n):
    """What the bgp audit says on a client whose session to the reflector flapped (a warning alone)."""
    return {"id": "NM-BGP-002", "severity": "warning", "summary": "BGP session with %s flapped" % RR,
            "subject": "peer %s" % RR, "incident": "002", "fix": {"manual": "look"},
            "evidence": {"peer": RR, "vrf": "default",
                         "lost_session": {"peer": RR, "vrf": "default", "at": T0 + n, "seconds_ago": 5.0,
                                          "reason": "Hold Timer Expired"}}}


def test_the_report_module_gates_on_a_fleet_finding(run_module, tmp_path):
    results = {"c%02d" % n: {"findings": [flapped(n)]} for n in range(1, 5)}
    paths = {"json_path": str(tmp_path / "p.json"), "markdown_path": str(tmp_path / "p.md")}
    # each client alone is under fail_on=critical: only the fleet finding fails the report
    res = run_module("preflight_report", dict(paths, results=results, fail_on="critical"))
    assert res.failed and res["failing_hosts"] == ["c01", "c02", "c03", "c04"]
    assert "across the fleet: NM-FLEET-001 peer 10.0.0.1: 4 hosts lost their BGP session to 10.0.0.1" in res["msg"]
    assert [f["id"] for f in res["fleet"]] == ["NM-FLEET-001"]
    assert json.loads((tmp_path / "p.json").read_text())["fleet"]["findings"][0]["evidence"]["host_count"] == 4
    assert "## Across the fleet: 1 finding(s)" in (tmp_path / "p.md").read_text()

    res = run_module("preflight_report", dict(paths, results=results, fail_on="never"))
    assert not res.failed and res["changed"] is False and len(res["fleet"]) == 1


def test_three_hosts_make_a_pattern_two_do_not(run_module, tmp_path):
    paths = {"json_path": str(tmp_path / "p.json"), "markdown_path": str(tmp_path / "p.md"), "fail_on": "critical"}
    res = run_module("preflight_report", dict(paths, results={"c%02d" % n: {"findings": [flapped(n)]} for n in (1, 2)}))
    assert not res.failed and res["fleet"] == []
