import json

from ansible_collections.netmedic.network.plugins.module_utils import audits as A


def test_runs_registered_audits_and_reports_each(run_module, tmp_path):
    res = run_module("preflight", {"root": str(tmp_path)})
    assert not res.failed and res["changed"] is False
    assert res["schema_version"] == 1
    assert {a["name"] for a in res["audits"]} == set(A.registry())
    assert set(res["summary"]) == {"critical", "warning", "info"}


def test_unknown_audit_is_a_clear_error(run_module):
    res = run_module("preflight", {"checks": ["no-such-audit"]})
    assert res.failed
    assert "unknown audit name(s): no-such-audit" in res["msg"] and "Known audits" in res["msg"]


def test_options_for_unknown_audit(run_module):
    res = run_module("preflight", {"options": {"nope": {"x": 1}}})
    assert res.failed and "options given for unknown audit 'nope'" in res["msg"]


def test_bad_timeout(run_module):
    res = run_module("preflight", {"command_timeout": 0})
    assert res.failed and "command_timeout must be a positive" in res["msg"]


def test_report_module_writes_and_gates(run_module, tmp_path):
    results = {
        "r1": {"findings": [{"id": "NM-BGP-001", "severity": "critical", "summary": "peer down", "subject": "peer x"}]},
        "r2": {"findings": []},
    }
    jp, mp = tmp_path / "out" / "r.json", tmp_path / "out" / "r.md"
    res = run_module("preflight_report", {"results": results, "json_path": str(jp), "markdown_path": str(mp)})
    assert res.failed and res["failing_hosts"] == ["r1"]
    assert "do not start maintenance: 1 host(s) with findings at or above 'critical': r1 (NM-BGP-001)" in res["msg"]
    assert json.loads(jp.read_text())["summary"]["critical"] == 1
    assert "## r1: 1 critical" in mp.read_text()

    res = run_module("preflight_report", {"results": results, "json_path": str(jp), "markdown_path": str(mp),
                                          "fail_on": "never"})
    assert not res.failed and res["changed"]


def test_report_check_mode_writes_nothing(run_module, tmp_path):
    jp = tmp_path / "r.json"
    res = run_module("preflight_report", {"results": {"h": {"findings": []}}, "json_path": str(jp),
                                          "markdown_path": str(tmp_path / "r.md")}, check_mode=True)
    assert not res.failed and res["changed"] is False and not jp.exists()


def test_report_rejects_garbage(run_module, tmp_path):
    res = run_module("preflight_report", {"results": {"h": {"findings": [{"id": "bad"}]}},
                                          "json_path": str(tmp_path / "j"), "markdown_path": str(tmp_path / "m")})
    assert res.failed and "do not look like netmedic.network.preflight output" in res["msg"]


def test_report_module_writes_junit(run_module, tmp_path):
    import xml.etree.ElementTree as ET
    results = {"r1": {"findings": [{"id": "NM-BGP-001", "severity": "warning", "summary": "flapping"}]}}
    jx = tmp_path / "r.junit.xml"
    res = run_module("preflight_report", {"results": results, "json_path": str(tmp_path / "r.json"),
                                          "markdown_path": str(tmp_path / "r.md"), "junit_path": str(jx),
                                          "fail_on": "warning"})
    assert res.failed and res["junit_path"] == str(jx)
    assert ET.parse(str(jx)).getroot().get("failures") == "1"
