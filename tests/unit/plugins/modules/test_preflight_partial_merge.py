"""preflight_partial and preflight_merge: a sliced run's partial reports and their merge (issue 18)."""

import json

import pytest

from support import snapshot

FINDING = {"id": "NM-BGP-001", "severity": "critical", "summary": "peer down", "subject": "peer x"}
RESULTS = {"r1": {"findings": [FINDING], "audits": [], "invocation": {"module_args": {}}},
           "r2": {"findings": []}, "r3": None}


def write_slices(run_module, tmp_path, run="812"):
    jp = str(tmp_path / "reports" / "preflight.json")
    for k, hosts in enumerate((["r1", "r3"], ["r2"]), start=1):
        res = run_module("preflight_partial", {"results": {h: RESULTS[h] for h in hosts}, "json_path": jp,
                                               "slice": str(k), "run": run})
        assert not res.failed and res["changed"] and res["hosts"] == len(hosts), res
    return jp


def test_partial_is_written_once_and_merged(run_module, tmp_path):
    jp = write_slices(run_module, tmp_path)
    doc = json.loads((tmp_path / "reports" / "preflight.slice-1.json").read_text())
    assert doc["hosts"] == ["r1", "r3"] and doc["run"] == "812" and "invocation" not in doc["results"]["r1"]
    # the same results again: the file is left as it is
    res = run_module("preflight_partial", {"results": {h: RESULTS[h] for h in ("r1", "r3")}, "json_path": jp,
                                           "slice": "1", "run": "812"})
    assert not res.failed and res["changed"] is False
    assert res["summary_line"] == "2 host(s): 1 critical, 0 warning, 0 info; no result from r3"

    merged = run_module("preflight_merge", {"json_path": jp, "targets": ["r1", "r2", "r3", "r4"], "run": "812"},
                        check_mode=True)
    assert not merged.failed and merged["changed"] is False
    assert sorted(merged["host_results"]) == ["r1", "r2", "r3", "r4"] and merged["missing_hosts"] == ["r4"]
    assert merged["summary_line"] == "run 812: 2 partial report(s), 3 of 4 target host(s); no slice reported r4"
    report = run_module("preflight_report", {"results": merged["host_results"], "json_path": jp,
                                             "markdown_path": str(tmp_path / "reports" / "preflight.md"),
                                             "fail_on": "critical"})
    assert report.failed and report["failing_hosts"] == ["r1", "r3", "r4"]


def test_partial_check_mode_writes_nothing(run_module, tmp_path):
    res = run_module("preflight_partial", {"results": RESULTS, "json_path": str(tmp_path / "p.json"), "slice": "1"},
                     check_mode=True)
    assert not res.failed and res["changed"] is True and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, option", [
    ({"slice": "../x"}, "slice must be 1 to 64 letters"),
    ({"slice": ""}, "slice must be 1 to 64 letters"),
    ({"run": "a b"}, "run must be 1 to 64 letters"),
    ({"json_path": " "}, "json_path must be a file path"),
    ({"results": {"r1": {"findings": "none"}}}, "results['r1'].findings must be a list"),
    ({"results": "x"}, "results"),
])
def test_partial_bad_input(run_module, tmp_path, args, option):
    before = snapshot.tree(tmp_path)
    full = {"results": RESULTS, "json_path": str(tmp_path / "preflight.json"), "slice": "1"}
    full.update(args)
    res = run_module("preflight_partial", full)
    assert res.failed and option in res["msg"], res
    assert "Traceback" not in json.dumps(res) and "exception" not in res
    assert snapshot.tree(tmp_path) == before


def test_partial_refuses_a_directory_in_its_place(run_module, tmp_path):
    (tmp_path / "preflight.slice-1.json").mkdir()
    res = run_module("preflight_partial", {"results": RESULTS, "json_path": str(tmp_path / "preflight.json"),
                                           "slice": "1"})
    assert res.failed and "json_path: the partial report" in res["msg"] and "is a directory" in res["msg"]


@pytest.mark.parametrize("args, message", [
    ({"run": "../x"}, "run must be 1 to 64 letters"),
    ({"json_path": ""}, "json_path must be the fleet report's file path"),
    ({"run": "5"}, "no partial report of run '5' (found: run '812': preflight.slice-1.json, preflight.slice-2.json)"),
    ({"targets": "r1"}, None),
])
def test_merge_bad_input(run_module, tmp_path, args, message):
    jp = write_slices(run_module, tmp_path)
    full = {"json_path": jp, "targets": ["r1", "r2", "r3"]}
    full.update(args)
    res = run_module("preflight_merge", full)
    if message is None:   # a string is a list of one host for Ansible: merged, r2 and r3 are not targets
        assert not res.failed and res["ignored_hosts"] == ["r2", "r3"]
        return
    assert res.failed and message in res["msg"], res
    assert "Traceback" not in json.dumps(res)


def test_merge_with_stale_partial_of_the_same_run(run_module, tmp_path):
    jp = write_slices(run_module, tmp_path)
    run_module("preflight_partial", {"results": {"r2": RESULTS["r2"]}, "json_path": jp, "slice": "old", "run": "812"})
    res = run_module("preflight_merge", {"json_path": jp, "targets": ["r1", "r2", "r3"]})
    assert res.failed and "host r2 is in two partial reports of run '812'" in res["msg"]
    assert "Nothing was merged" in res["msg"]
