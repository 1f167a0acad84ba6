"""netmedic.network.preflight with metrics_path: the audit writes the host's metrics itself.

Issue 18 keeps the preflight at one task per host, so the metrics of issue 17 are written by the
audit task (the role passes preflight_metrics_dir as metrics_path), not by a second task.
"""

import os
import stat

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support import snapshot


@pytest.fixture
def setup(tmp_path):
    root = tmp_path / "host"
    (root / "proc/sys/kernel/random").mkdir(parents=True)
    (root / "proc/sys/kernel/random/boot_id").write_text("b00t-1\n")
    textdir = tmp_path / "node-exporter"
    textdir.mkdir()
    return str(root), textdir


def test_the_audit_writes_its_metrics_and_says_changed(run_module, setup):
    root, textdir = setup
    path = textdir / "netmedic.prom"
    res = run_module("preflight", {"root": root, "checks": ["link_flaps"], "metrics_path": str(path)})
    assert not res.failed, res.get("msg")
    assert res["changed"] is True and res["metrics"]["path"] == str(path) and res["metrics"]["changed"] is True
    samples = {s.name: s for f in text_string_to_metric_families(path.read_text()) for s in f.samples}
    assert {"netmedic_findings", "netmedic_audit_status", "netmedic_last_run_timestamp_seconds"} <= set(samples)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 and os.listdir(str(textdir)) == ["netmedic.prom"]
    assert [a["name"] for a in res["audits"] if a["status"] != "excluded"] == ["link_flaps"]


def test_check_mode_writes_no_metrics(run_module, setup):
    root, textdir = setup
    before = snapshot.tree(str(textdir))
    res = run_module("preflight", {"root": root, "checks": ["link_flaps"],
                                   "metrics_path": str(textdir / "netmedic.prom")}, check_mode=True)
    assert not res.failed and res["metrics"]["changed"] is True
    assert snapshot.tree(str(textdir)) == before


def test_without_metrics_path_nothing_changes(run_module, setup):
    root, textdir = setup
    res = run_module("preflight", {"root": root, "checks": ["link_flaps"]})
    assert res["changed"] is False and "metrics" not in res and os.listdir(str(textdir)) == []


@pytest.mark.parametrize("name, why", [
    ("netmedic.txt", "must name a file ending in .prom"),
    ("missing/netmedic.prom", "does not exist"),
    ("a-dir.prom", "is a directory"),
    ("nul\x00.prom", "NUL byte"),
])
def test_a_bad_metrics_path_fails_before_any_audit_naming_it(run_module, setup, exec_log, name, why):
    root, textdir = setup
    (textdir / "a-dir.prom").mkdir()
    before = snapshot.tree(str(textdir))
    res = run_module("preflight", {"root": root, "metrics_path": str(textdir / name)})
    assert res.failed and "metrics_path" in res["msg"] and why in res["msg"], res["msg"]
    assert "Traceback" not in str(res) and "Nothing was audited" in res["msg"]
    assert exec_log.commands == [] and snapshot.tree(str(textdir)) == before


def test_an_unwritable_directory_fails_naming_it(run_module, setup, monkeypatch):
    root, textdir = setup
    from ansible_collections.netmedic.network.plugins.module_utils.core import fileops, metrics

    def denied(*_a, **_k):
        raise fileops.FileOpError("Permission denied")
    monkeypatch.setattr(metrics, "write_atomic", denied)
    res = run_module("preflight", {"root": root, "checks": ["link_flaps"],
                                   "metrics_path": str(textdir / "netmedic.prom")})
    assert res.failed and res["msg"].startswith("metrics_path: cannot write") and "Permission denied" in res["msg"]
    # no findings in a failed result: the report lists the host as giving no result, with this message
    assert "findings" not in res and res["metrics"]["changed"] is False
