import json

from ansible_collections.netmedic.network.plugins.module_utils.core import report as R


def f(id, sev, subject=""):
    return {"id": id, "severity": sev, "summary": "s " + id, "subject": subject, "evidence": {"x": 1},
            "fix": {"module": "netmedic.network.m", "params": {"a": "b"}}, "incident": "002"}


RESULTS = {
    "r2": {"findings": [f("NM-BGP-001", "critical", "peer 192.0.2.1"), f("NM-BGP-004", "info")], "audits": []},
    "r1": {"findings": [], "audits": [{"name": "bgp", "status": "ran"}]},
    "r3": None,
    "r4": {"msg": "Failed to connect to the host via ssh", "unreachable": True},
    "r5": {"findings": [f("NM-TINC-001", "warning")]},
}


def test_build_report_summary_and_hosts():
    rep = R.build_report(RESULTS, generated="2026-11-21T00:00:00+00:00")
    s = rep["summary"]
    assert (s["critical"], s["warning"], s["info"], s["hosts"], s["hosts_with_findings"]) == (1, 1, 1, 5, 2)
    assert s["hosts_without_result"] == ["r3", "r4"]
    assert rep["hosts"]["r4"]["error"] == "Failed to connect to the host via ssh"
    assert rep["hosts"]["r2"]["worst"] == "critical"
    assert R.hosts_at_or_above(rep, "critical") == ["r2"]
    assert R.hosts_at_or_above(rep, "warning") == ["r2", "r5"]
    json.loads(R.to_json(rep))
    assert R.summary_line(rep) == "5 host(s): 1 critical, 1 warning, 1 info; no result from r3, r4"


def test_markdown_orders_hosts_worst_first():
    md = R.to_markdown(R.build_report(RESULTS, generated="now"))
    order = [md.index("## " + h) for h in ("r3", "r4", "r2", "r5", "r1")]
    assert order == sorted(order)
    assert "`netmedic.network.m` (a=\"b\")" in md
    assert "## r1: clean" in md


def test_empty_fleet():
    rep = R.build_report({}, generated="now")
    assert "No hosts were audited." in R.to_markdown(rep)
    assert R.summary_line(rep) == "0 host(s): 0 critical, 0 warning, 0 info"


def test_junit_is_valid_xml_with_failures_and_errors():
    import xml.etree.ElementTree as ET
    rep = R.build_report(RESULTS, generated="now")
    root = ET.fromstring(R.to_junit(rep, fail_on="warning"))
    assert root.get("failures") == "2" and root.get("errors") == "2"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"r1", "r2", "r3", "r4", "r5"}
    r2 = suites["r2"].findall("testcase")
    assert [c.get("name") for c in r2] == ["NM-BGP-001 peer 192.0.2.1", "NM-BGP-004"]
    assert r2[0].find("failure").get("type") == "critical" and r2[1].find("failure") is None
    assert suites["r1"].find("testcase").get("name") == "preflight"
    assert suites["r4"].find("testcase/error").get("message") == "Failed to connect to the host via ssh"
    assert ET.fromstring(R.to_junit(rep, fail_on="never")).get("failures") == "0"


def test_json_is_strict_when_evidence_holds_non_finite_numbers():
    """report.to_json wrote NaN (not JSON: jq and browsers refuse it); now a string."""
    import json as _json
    from ansible_collections.netmedic.network.plugins.module_utils.core import report as _report
    text = _report.to_json({"hosts": {"r1": {"evidence": {"rate": float("nan"), "max": float("inf")}}}})
    parsed = _json.loads(text, parse_constant=lambda c: (x for x in ()).throw(ValueError(c)))
    assert parsed["hosts"]["r1"]["evidence"] == {"rate": "nan", "max": "inf"}


def test_markdown_says_per_host_which_audits_ran_were_skipped_and_why_or_failed():
    """Issue 17: "localhost: clean" while 6 of 8 audits were skipped."""
    audits = [{"name": "link_flaps", "status": "ran", "duration": 0.012},
              {"name": "ip6_route_cache", "status": "ran", "duration": 0.03},
              {"name": "bond", "status": "skipped", "reason": "no bond on this host"},
              {"name": "frr_drift", "status": "skipped", "reason": "no FRR with an frr.conf, or no vtysh"},
              {"name": "tinc", "status": "failed", "error": "CommandTimeout: tinc dump timed out\nmore"},
              {"name": "bgp", "status": "excluded", "reason": "not chosen (checks, skip or --tags)"}]
    md = R.to_markdown(R.build_report({"localhost": {"findings": [], "audits": audits}}, generated="now"))
    assert "## localhost: clean (3 of 6 audits ran)" in md
    assert "- ran: link_flaps (0.01 s), ip6_route_cache (0.03 s)" in md
    assert "- failed: tinc (CommandTimeout: tinc dump timed out)" in md
    assert "- skipped: bond (no bond on this host), frr_drift (no FRR with an frr.conf, or no vtysh)" in md
    assert "- not chosen: bgp" in md
    with_finding = R.to_markdown(R.build_report(
        {"r": {"findings": [f("NM-BGP-001", "critical")], "audits": audits[:1]}}, generated="now"))
    assert "## r: 1 critical (1 of 1 audits ran)" in with_finding and "- ran: link_flaps (0.01 s)" in with_finding
