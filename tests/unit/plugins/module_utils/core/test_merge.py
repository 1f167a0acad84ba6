"""core/merge.py: a sliced run's partial reports, merged, are one unsliced run's results (issue 18)."""

import json

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import merge
from ansible_collections.netmedic.network.plugins.module_utils.core.report import build_report, to_json


def finding(host, check="NM-BGP-001", severity="warning"):
    return {"id": check, "severity": severity, "summary": "peer down on %s" % host, "subject": "peer x",
            "evidence": {"state": "Active"}, "incident": "002",
            "fix": {"module": None, "params": {}, "role": None, "manual": "check the peer"}}


# What hostvars hold after the audit task: the module's result plus Ansible's bookkeeping.
RESULTS = {
    "r1": {"findings": [finding("r1")], "audits": [{"name": "bgp", "status": "ran", "checks": ["NM-BGP-001"]}],
           "snapshots": {"link_flaps": {"interfaces": {"eth0": {"carrier_changes": 2}}}}, "changed": False,
           "invocation": {"module_args": {"checks": [], "options": {}}}, "_ansible_no_log": False},
    "r2": {"findings": [], "audits": [], "changed": False},
    "r3": {"unreachable": True, "msg": "Failed to connect to the host via ssh", "changed": False},
    "r4": None,
    "r5": {"findings": [finding("r5", "NM-FRR-001", "critical")], "audits": []},
}


def slices(results, count):
    """AWX's dealing: hosts sorted by name, slice k gets every count-th from k-1 (inventory.py get_sliced_hosts)."""
    names = sorted(results)
    return [{h: results[h] for h in names[k::count]} for k in range(count)]


def partials(results, count, run="812", tmp=None):
    out = []
    for k, part in enumerate(slices(results, count), start=1):
        doc = json.loads(to_json(merge.partial_report(part, str(k), run, "2026-11-29T12:00:0%dZ" % k)))
        out.append(("/r/preflight.slice-%d.json" % k, merge.check_partial(doc, "/r/preflight.slice-%d.json" % k)))
    return out


def comparable(report):
    report = dict(report)
    report.pop("generated")
    return report


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_merged_slices_build_the_same_report_as_one_run(count):
    merged = merge.merge(partials(RESULTS, count), targets=sorted(RESULTS))
    assert merged.missing_hosts == [] and merged.ignored_hosts == [] and merged.run == "812"
    assert len(merged.slices) == count
    one = build_report(RESULTS, generated="x")
    assert comparable(build_report(merged.results, generated="y")) == comparable(one)


def test_partial_drops_only_ansibles_bookkeeping():
    doc = merge.partial_report(RESULTS, "1", "", "t")
    assert "invocation" not in doc["results"]["r1"] and "_ansible_no_log" not in doc["results"]["r1"]
    assert doc["results"]["r1"]["snapshots"] == RESULTS["r1"]["snapshots"]
    assert doc["results"]["r3"] == RESULTS["r3"] and doc["results"]["r4"] is None
    assert doc["hosts"] == sorted(RESULTS)


def test_a_target_no_slice_reported_has_no_result():
    parts = partials(RESULTS, 3)[:2]          # slice 3 (r3) never wrote its report
    merged = merge.merge(parts, targets=sorted(RESULTS))
    assert merged.missing_hosts == ["r3"]
    report = build_report(merged.results, generated="t")
    assert report["hosts"]["r3"]["status"] == "no-result"
    assert report["hosts"]["r3"]["error"] == merge.NOT_REPORTED
    assert report["summary"]["hosts"] == 5


def test_hosts_that_are_not_targets_are_left_out():
    merged = merge.merge(partials(RESULTS, 2), targets=["r1", "r2"])
    assert sorted(merged.results) == ["r1", "r2"] and merged.ignored_hosts == ["r3", "r4", "r5"]


def test_a_host_in_two_partial_reports_of_the_run_is_refused():
    parts = partials(RESULTS, 2) + [("/r/preflight.slice-old.json", partials(RESULTS, 1)[0][1])]
    with pytest.raises(merge.PartialError, match="host r1 is in two partial reports of run '812': "
                                                 "preflight.slice-1.json and preflight.slice-old.json"):
        merge.merge(parts, targets=sorted(RESULTS))


def test_partial_reports_of_two_runs_need_the_run_named():
    parts = partials(RESULTS, 2, run="812") + [("/r/preflight.slice-9.json", dict(partials(RESULTS, 1, run="790")[0][1]))]
    with pytest.raises(merge.PartialError, match=r"partial reports of 2 runs: run '790': preflight.slice-9.json; "
                                                 r"run '812': preflight.slice-1.json, preflight.slice-2.json\. "
                                                 r"Set preflight_slice_run"):
        merge.merge(parts, targets=sorted(RESULTS))
    merged = merge.merge(parts, targets=sorted(RESULTS), run="812")
    assert merged.other_runs == ["790"] and len(merged.slices) == 2 and merged.missing_hosts == []


def test_no_partial_report_of_the_run():
    with pytest.raises(merge.PartialError, match="no partial report of run '5' \\(found: run '812'"):
        merge.merge(partials(RESULTS, 2), targets=["r1"], run="5")
    with pytest.raises(merge.PartialError, match="no partial report found"):
        merge.merge([], targets=["r1"])


@pytest.mark.parametrize("doc, message", [
    ([], "is not a netmedic partial report"),
    ({"kind": "something else"}, "is not a netmedic partial report"),
    ({"kind": merge.KIND, "partial_version": 2}, "partial_version 2, this collection reads version 1"),
    ({"kind": merge.KIND, "partial_version": 1, "slice": 3}, "slice must be a string, got int"),
    ({"kind": merge.KIND, "partial_version": 1, "slice": "1", "run": "", "generated": "t", "results": []},
     "results must be a dictionary, got list"),
])
def test_check_partial_names_file_and_key(doc, message):
    with pytest.raises(merge.PartialError, match=message) as err:
        merge.check_partial(doc, "/r/preflight.slice-1.json")
    assert "/r/preflight.slice-1.json" in str(err.value)


@pytest.mark.parametrize("name", ["", "../x", "a/b", "-x", ".hidden", "a b", "x" * 65, None, 3])
def test_bad_slice_names(name):
    assert "slice must be 1 to 64 letters" in merge.name_error("slice", name)


@pytest.mark.parametrize("name", ["1", "812", "slice-2.of-4", "A_b"])
def test_good_slice_names(name):
    assert merge.name_error("slice", name) is None


def test_partial_path_and_pattern():
    assert merge.partial_path("/r/preflight.json", "7") == "/r/preflight.slice-7.json"
    assert merge.partial_path("/r/postflight.json", "7") == "/r/postflight.slice-7.json"
    directory, pattern = merge.partial_pattern("/r/postflight.json")
    assert directory == "/r" and pattern.match("postflight.slice-7.json").group(1) == "7"
    assert not pattern.match("preflight.slice-7.json") and not pattern.match("postflight.json")


def test_read_partials(tmp_path):
    json_path = str(tmp_path / "preflight.json")
    for path, doc in partials(RESULTS, 2):
        (tmp_path / path.split("/")[-1]).write_text(to_json(doc))
    (tmp_path / "postflight.slice-1.json").write_text("not read")
    (tmp_path / "preflight.json").write_text("{}")
    found = merge.read_partials(json_path)
    assert [p.split("/")[-1] for p, d in found] == ["preflight.slice-1.json", "preflight.slice-2.json"]
    assert merge.read_partials(str(tmp_path / "none" / "preflight.json")) == []
    (tmp_path / "preflight.slice-3.json").write_text("{broken")
    with pytest.raises(merge.PartialError, match="preflight.slice-3.json' did not print JSON"):
        merge.read_partials(json_path)
    (tmp_path / "preflight.slice-3.json").unlink()
    (tmp_path / "preflight.slice-3.json").mkdir()
    with pytest.raises(merge.PartialError, match="is not a regular file"):
        merge.read_partials(json_path)
