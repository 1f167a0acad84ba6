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
