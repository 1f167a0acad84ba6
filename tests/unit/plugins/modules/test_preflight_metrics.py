"""netmedic.network.preflight_metrics: the textfile written atomically, check and diff mode, bad input."""

import json
import os
import stat

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.netmedic.network.plugins.modules import preflight_metrics as M
from support import snapshot

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "metrics", "preflight-report.json")


def real_report():
    with open(FIXTURE) as fh:
        return json.load(fh)


@pytest.fixture
def textdir(tmp_path):
    d = tmp_path / "node-exporter"
    d.mkdir()
    return d


def names(text):
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_host_metrics_written_atomically_and_parsed(run_module, textdir):
    path = textdir / "netmedic.prom"
    res = run_module("preflight_metrics", {"result": real_report()["hosts"]["local"], "path": str(path)})
    assert not res.failed, res.get("msg")
    assert res["changed"] is True and res["findings"] == 4 and res["series"] > 30
    text = path.read_text()
    assert {"netmedic_finding", "netmedic_findings", "netmedic_audit_status", "netmedic_audit_duration_seconds",
            "netmedic_last_run_timestamp_seconds"} <= names(text)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    # only the file itself: the temporary file (not *.prom, so the collector never reads it) is gone
    assert os.listdir(textdir) == ["netmedic.prom"]


def test_fleet_metrics_from_the_report_file(run_module, tmp_path, textdir):
    report = tmp_path / "preflight.json"
    report.write_text(json.dumps(real_report()))
    path = textdir / "fleet.prom"
    res = run_module("preflight_metrics", {"report": str(report), "path": str(path)})
    assert not res.failed, res.get("msg")
    assert 'netmedic_host_result{host="gone"} 0' in path.read_text()


def test_check_mode_writes_nothing_and_diff_shows_the_file(run_module, textdir):
    path = textdir / "netmedic.prom"
    path.write_text("old\n")
    before = snapshot.tree(str(textdir))
    res = run_module("preflight_metrics", {"result": {"findings": [], "audits": []}, "path": str(path)},
                     check_mode=True, diff=True)
    assert res["changed"] is True and "netmedic_findings" in json.dumps(res["diff"])
    assert snapshot.tree(str(textdir)) == before


def test_an_existing_file_keeps_its_mode(run_module, textdir):
    path = textdir / "netmedic.prom"
    path.write_text("old\n")
    path.chmod(0o640)
    assert not run_module("preflight_metrics", {"result": {"findings": []}, "path": str(path)}).failed
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("case, option, words", [
    ({"path": "{d}/netmedic.txt"}, "path", "ending in .prom"),
    ({"path": "{d}/missing/netmedic.prom"}, "path", "does not exist"),
    ({"path": "{d}/adir.prom"}, "path", "is a directory"),
    ({"path": "{d}/a\x00b.prom"}, "path", "NUL"),
    ({"result": {"findings": "none"}}, "result", "findings must be a list"),
    ({"result": {"findings": [{"id": "NM-X-001", "severity": "bad"}]}}, "result", "severity 'bad'"),
    ({"result": None, "report": "{d}/nope.json"}, "report", "no such file"),
    ({"result": None, "report": "{d}/notjson.json"}, "report", "is not a preflight JSON report"),
    ({"result": None, "report": "{d}/list.json"}, "report", "hosts dictionary"),
])
def test_bad_input_names_the_option_and_writes_nothing(run_module, textdir, case, option, words):
    (textdir / "adir.prom").mkdir()
    (textdir / "notjson.json").write_text("{nope")
    (textdir / "list.json").write_text("[]")
    args = {"result": {"findings": [], "audits": []}, "path": "{d}/netmedic.prom"}
    args.update(case)
    args = {k: v.format(d=textdir) if isinstance(v, str) else v for k, v in args.items() if v is not None}
    before = snapshot.tree(str(textdir))
    res = run_module("preflight_metrics", args)
    assert res.failed and option in res["msg"] and words in res["msg"], res["msg"]
    assert "Traceback" not in json.dumps(res) and "exception" not in res
    assert snapshot.tree(str(textdir)) == before


def test_result_and_report_exclude_each_other(run_module, textdir):
    res = run_module("preflight_metrics", {"result": {"findings": []}, "report": "/x.json",
                                           "path": str(textdir / "n.prom")})
    assert res.failed and "mutually exclusive" in res["msg"]


def test_documentation_matches_argument_spec(argument_spec):
    captured = argument_spec("preflight_metrics")
    doc = yaml.safe_load(M.DOCUMENTATION)["options"]
    assert set(doc) == set(captured)
    for name, spec in captured.items():
        assert doc[name].get("type", "str") == spec.get("type", "str"), name
        assert bool(doc[name].get("required")) == bool(spec.get("required")), name
