"""preflight_report: input checked once (host, finding, key named), honest changed, nothing half-written."""

import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from support import snapshot


def finding(**kw):
    base = {"id": "NM-BGP-001", "severity": "warning", "summary": "peer 192.0.2.1 is Active", "subject": "peer x",
            "evidence": {"state": "Active"}, "incident": "002",
            "fix": {"module": None, "params": {}, "role": None, "manual": "check the peer"}}
    base.update(kw)
    return base


RESULTS = {"r1": {"findings": [finding()], "audits": [{"name": "bgp", "status": "ran"}],
                  "snapshots": {"link_flaps": {"format": "netmedic-link-snapshot", "version": 1, "interfaces": {}}}},
           "r2": {"findings": []}, "r3": None}


@pytest.fixture
def out(tmp_path):
    d = tmp_path / "reports"
    return {"json_path": str(d / "preflight.json"), "markdown_path": str(d / "preflight.md"),
            "junit_path": str(d / "preflight.junit.xml"), "fail_on": "never", "fail_on_no_result": False}


def mtimes(paths):
    return {p: os.stat(p).st_mtime_ns for p in paths}


def test_report_module_writes_and_gates(run_module, tmp_path):
    results = {
        "r1": {"findings": [{"id": "NM-BGP-001", "severity": "critical", "summary": "peer down", "subject": "peer x"}]},
        "r2": {"findings": []},
    }
    jp, mp = tmp_path / "out" / "r.json", tmp_path / "out" / "r.md"
    res = run_module("preflight_report", {"results": results, "json_path": str(jp), "markdown_path": str(mp)})
    assert res.failed and res["failing_hosts"] == ["r1"] and res["changed"]
    assert "do not start maintenance: 1 host(s) with findings at or above 'critical': r1 (NM-BGP-001)" in res["msg"]
    assert json.loads(jp.read_text())["summary"]["critical"] == 1
    assert "## r1: 1 critical" in mp.read_text()

    res = run_module("preflight_report", {"results": results, "json_path": str(jp), "markdown_path": str(mp),
                                          "fail_on": "never"})
    assert not res.failed and res["changed"] is False


def test_report_check_mode_writes_nothing(run_module, tmp_path):
    jp = tmp_path / "r.json"
    res = run_module("preflight_report", {"results": {"h": {"findings": []}}, "json_path": str(jp),
                                          "markdown_path": str(tmp_path / "r.md")}, check_mode=True)
    assert not res.failed and res["changed"] is True and not jp.exists()


def test_report_rejects_garbage(run_module, tmp_path):
    res = run_module("preflight_report", {"results": {"h": {"findings": [{"id": "bad"}]}},
                                          "json_path": str(tmp_path / "j"), "markdown_path": str(tmp_path / "m")})
    assert res.failed and "do not look like netmedic.network.preflight output" in res["msg"]


def test_report_module_writes_junit(run_module, tmp_path):
    results = {"r1": {"findings": [{"id": "NM-BGP-001", "severity": "warning", "summary": "flapping"}]}}
    jx = tmp_path / "r.junit.xml"
    res = run_module("preflight_report", {"results": results, "json_path": str(tmp_path / "r.json"),
                                          "markdown_path": str(tmp_path / "r.md"), "junit_path": str(jx),
                                          "fail_on": "warning"})
    assert res.failed and res["junit_path"] == str(jx)
    assert ET.parse(str(jx)).getroot().get("failures") == "1"


def test_string_evidence_is_a_clear_error(run_module, out, tmp_path):
    """Issue 11: a finding with string evidence crashed the module with ValueError."""
    results = {"r1": {"findings": [finding(), finding(id="NM-BGP-002", evidence="Established 5 s")]}}
    res = run_module("preflight_report", dict(out, results=results))
    assert res.failed and "Traceback" not in json.dumps(res)
    assert "results['r1'].findings[1] (NM-BGP-002): finding NM-BGP-002: evidence must be a dictionary, " \
           "got str 'Established 5 s'" in res["msg"]
    assert not (tmp_path / "reports").exists()


def test_string_fix_params_is_a_clear_error(run_module, out, tmp_path):
    """Issue 11: a finding with string fix.params crashed the module with ValueError."""
    bad = finding(fix={"module": "netmedic.network.bond_arp_validate", "params": "bond=bond0"})
    res = run_module("preflight_report", dict(out, results={"r1": None, "r2": {"findings": [bad]}}))
    assert res.failed and "results['r2'].findings[0] (NM-BGP-001): finding NM-BGP-001: fix.params must be a " \
                          "dictionary, got str 'bond=bond0'" in res["msg"]
    assert not (tmp_path / "reports").exists()


def test_second_run_with_the_same_results_changes_nothing(run_module, out):
    """Issue 11: every run rewrote the reports (new timestamp) and said changed=true."""
    res = run_module("preflight_report", dict(out, results=RESULTS))
    assert not res.failed and res["changed"] is True
    paths = [out["json_path"], out["markdown_path"], out["junit_path"]]
    first = mtimes(paths)
    texts = [open(p).read() for p in paths]
    res = run_module("preflight_report", dict(out, results=json.loads(json.dumps(RESULTS))))
    assert not res.failed and res["changed"] is False
    assert mtimes(paths) == first and [open(p).read() for p in paths] == texts
    # check mode agrees
    res = run_module("preflight_report", dict(out, results=RESULTS), check_mode=True)
    assert res["changed"] is False and mtimes(paths) == first


def test_new_results_rewrite_and_a_lost_file_comes_back(run_module, out):
    run_module("preflight_report", dict(out, results=RESULTS))
    generated = json.load(open(out["json_path"]))["generated"]
    os.unlink(out["markdown_path"])
    res = run_module("preflight_report", dict(out, results=RESULTS))
    assert res["changed"] is True and os.path.exists(out["markdown_path"])
    # same content: the recreated Markdown carries the report's original time
    assert "Generated %s" % generated in open(out["markdown_path"]).read()
    more = dict(RESULTS, r2={"findings": [finding(severity="critical")]})
    res = run_module("preflight_report", dict(out, results=more), check_mode=True)
    assert res["changed"] is True and json.load(open(out["json_path"]))["summary"]["critical"] == 0
    res = run_module("preflight_report", dict(out, results=more))
    assert res["changed"] is True and json.load(open(out["json_path"]))["summary"]["critical"] == 1


def test_a_garbled_earlier_report_is_replaced(run_module, out):
    os.makedirs(os.path.dirname(out["json_path"]))
    for text in ("{", "[" * 100000, '"just a string"', "\udcff".encode("utf-8", "surrogateescape").decode("latin-1")):
        with open(out["json_path"], "w", encoding="latin-1") as fh:
            fh.write(text)
        res = run_module("preflight_report", dict(out, results=RESULTS))
        assert not res.failed and res["changed"] is True
        assert json.load(open(out["json_path"]))["hosts"]["r1"]["snapshots"]["link_flaps"]["version"] == 1


def test_control_characters_and_surrogates_from_hosts_keep_the_files_readable(run_module, out):
    nasty = finding(summary="peer \x1b[31m\x00 down \udcff", subject="peer |x|\r\n")
    res = run_module("preflight_report", dict(out, results={"r\x07": {"findings": [nasty]}}))
    assert not res.failed
    ET.parse(out["junit_path"])
    json.load(open(out["json_path"]))
    open(out["markdown_path"], encoding="utf-8").read()


# ---------------------------------------------------------------- comparison with the preflight (postflight)

def audits_now(bgp="ran"):
    return [{"name": "bgp", "status": bgp, "duration": 0.1, "findings": 0, "error": None,
             "checks": [] if bgp == "excluded" else ["NM-BGP-001", "NM-BGP-002"]},
            {"name": "link_flaps", "status": "ran", "duration": 0.1, "findings": 0, "error": None,
             "checks": ["NM-LINK-001", "NM-LINK-002", "NM-LINK-006"]}]


@pytest.fixture
def post(tmp_path):
    """A preflight report on disk (r1: a BGP session down, an old NM-LINK-005) and the postflight's arguments."""
    d = tmp_path / "reports"
    d.mkdir()
    pre = {"r1": {"findings": [finding(subject="peer a"), finding(id="NM-LINK-005", severity="info", subject="/x",
                                                                  summary="snapshot saved")],
                  "audits": audits_now()}, "r2": {"findings": [], "audits": audits_now()}}
    from ansible_collections.netmedic.network.plugins.module_utils.core.report import build_report, to_json
    (d / "preflight.json").write_text(to_json(build_report(pre, generated="2026-01-01T00:00:00+00:00")))
    return {"json_path": str(d / "postflight.json"), "markdown_path": str(d / "postflight.md"),
            "fail_on": "never", "baseline": str(d / "preflight.json"), "compare_fail_on": "warning"}


def test_postflight_comparison_is_written_returned_and_gated(run_module, post, tmp_path):
    now = {"r1": {"findings": [finding(id="NM-BGP-002", subject="peer b", summary="peer b flapped")],
                  "audits": audits_now()},
           "r2": {"findings": [finding(id="NM-LINK-006", severity="info", subject="links",
                                       summary="link counters not compared: none")], "audits": audits_now()}}
    res = run_module("preflight_report", dict(post, results=now))
    # the text of the playbook's assert it replaces, with the host's name
    assert res.failed and res["msg"] == ("r1: 1 new finding(s) at or above warning since the preflight: "
                                         "NM-BGP-002: peer b flapped"), res["msg"]
    assert res["failing_hosts"] == ["r1"]
    path = tmp_path / "reports" / "postflight-diff.json"
    assert res["comparison_path"] == str(path)
    written = json.loads(path.read_text())
    assert written == res["comparison"]
    assert written["baseline"] == post["baseline"]
    assert written["hosts"]["r1"]["gone"] == ["NM-BGP-001 peer a"]     # NM-LINK-005 is retired: not "gone"
    assert [f["id"] for f in written["hosts"]["r1"]["new"]] == ["NM-BGP-002"]
    assert written["hosts"]["r2"] == {"new": [], "gone": [], "in_baseline": True, "links_compared": False}
    # the format the playbook's to_nice_json wrote
    assert path.read_text() == json.dumps(written, indent=4, sort_keys=True) + "\n"
    assert res["comparison_lines"] == {
        "r1": "new since the preflight: NM-BGP-002; gone: NM-BGP-001 peer a",
        "r2": "link counters not compared: none; new since the preflight: none; gone: none"}
    # the postflight report itself is written too, in the preflight's schema
    assert json.loads((tmp_path / "reports" / "postflight.json").read_text())["hosts"]["r1"]["status"] == "ok"

    # critical: the new warning passes; a second run changes nothing
    res = run_module("preflight_report", dict(post, results=now, compare_fail_on="critical"))
    assert not res.failed and res["changed"] is False and res["failing_hosts"] == []
    res = run_module("preflight_report", dict(post, results=now, compare_fail_on="never"))
    assert not res.failed and res["changed"] is False


def test_postflight_with_no_preflight_report(run_module, post, tmp_path):
    os.unlink(post["baseline"])
    now = {"r1": {"findings": [finding(id="NM-BGP-002", severity="info", subject="peer b")], "audits": audits_now()}}
    res = run_module("preflight_report", dict(post, results=now))
    assert not res.failed, res["msg"]
    assert res["comparison"]["hosts"]["r1"]["in_baseline"] is False
    assert res["comparison_lines"]["r1"].startswith("no preflight report entry (%s): nothing compared; "
                                                    % post["baseline"])
    res = run_module("preflight_report", dict(post, results=now, compare_fail_on="info"))
    assert res.failed and "r1: 1 new finding(s) at or above info since the preflight" in res["msg"]


def test_postflight_check_mode_and_own_path(run_module, post, tmp_path):
    now = {"r1": {"findings": [], "audits": audits_now(bgp="excluded")}}
    target = tmp_path / "elsewhere" / "cmp.json"
    res = run_module("preflight_report", dict(post, results=now, comparison_path=str(target)), check_mode=True)
    assert not res.failed and res["changed"] is True and not target.exists()
    # bgp was not audited now: its finding of the preflight is not gone
    assert res["comparison"]["hosts"]["r1"]["gone"] == []
    res = run_module("preflight_report", dict(post, results=now, comparison_path=str(target)))
    assert json.loads(target.read_text())["hosts"]["r1"]["gone"] == []


def test_postflight_gate_and_hosts_without_result_together(run_module, post):
    now = {"r1": {"findings": [finding(id="NM-BGP-002", subject="peer b", summary="flapped")], "audits": audits_now()},
           "r2": None}
    res = run_module("preflight_report", dict(post, results=now, fail_on_no_result=True))
    assert res.failed and res["failing_hosts"] == ["r1", "r2"]
    assert res["msg"].startswith("r1: 1 new finding(s) at or above warning since the preflight: NM-BGP-002: flapped; "
                                 "and do not start maintenance: 1 host(s) gave no result: r2.")
    assert res["comparison_lines"]["r2"] == "no result from this host: nothing compared"


BAD_BASELINES = [
    ("DIR", "baseline: {tmp}/reports is a directory; give the path of the preflight's JSON report in it"),
    ("{", "baseline: {tmp}/reports/preflight.json is not JSON: "),
    ("[" * 100000, "baseline: {tmp}/reports/preflight.json is not JSON: "),
    ('"a string"', "baseline: {tmp}/reports/preflight.json is not a netmedic preflight report: expected a "
                   "dictionary with 'hosts', got str 'a string'"),
    ('{"hosts": {"r1": {"findings": {}}}}', "is not a netmedic preflight report: hosts['r1'].findings must be a list"),
    ('{"hosts": {"r1": {"findings": [{"id": "NM-BGP-001"}]}}}',
     "is not a netmedic preflight report: hosts['r1']: finding lacks severity, summary"),
    (b"\xff\xfe{}", "baseline: {tmp}/reports/preflight.json cannot be read: "),
]


@pytest.mark.parametrize("content, msg", BAD_BASELINES, ids=[repr(c)[:30] for c, m in BAD_BASELINES])
def test_bad_baseline_is_named_and_nothing_is_written(run_module, post, tmp_path, content, msg):
    if content == "DIR":
        post = dict(post, baseline=str(tmp_path / "reports"))
    elif isinstance(content, bytes):
        (tmp_path / "reports" / "preflight.json").write_bytes(content)
    else:
        (tmp_path / "reports" / "preflight.json").write_text(content)
    before = snapshot.tree(str(tmp_path))
    res = run_module("preflight_report", dict(post, results={"r1": {"findings": [], "audits": audits_now()}}))
    assert res.failed and msg.format(tmp=str(tmp_path)) in res["msg"], res["msg"]
    assert res["msg"].endswith("Nothing was written.")
    assert "Traceback" not in json.dumps(res) and "exception" not in res
    assert snapshot.tree(str(tmp_path)) == before


# ---------------------------------------------------------------- bad input

@pytest.fixture
def read_only_dir(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(d)], capture_output=True, check=False).returncode:
            pytest.skip("chattr +i is not available here")
    else:
        d.chmod(0o555)
    yield str(d)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(d)], check=False)
    else:
        d.chmod(0o755)


BAD_RESULTS = [
    (["r1"], "results"),
    ("r1", "results"),
    ({"r1": "ok"}, "results['r1'] must be the preflight module's result (a dictionary) or null, got str 'ok'"),
    ({"r1": [1]}, "results['r1'] must be the preflight module's result"),
    ({"r1": {"findings": "none"}}, "results['r1'].findings must be a list, got str 'none'"),
    ({"r1": {"findings": None}}, "results['r1'].findings must be a list"),
    ({"r1": {"findings": ["NM-BGP-001"]}}, "results['r1'].findings[0]: a finding must be a dictionary, got str"),
    ({"r1": {"findings": [{}]}}, "results['r1'].findings[0]: finding lacks id, severity, summary"),
    ({"r1": {"findings": [finding(id="NM-bgp-1")]}}, "findings[0] (NM-bgp-1): check id 'NM-bgp-1' does not match"),
    ({"r1": {"findings": [finding(id=7)]}}, "findings[0]: check id 7 does not match"),
    ({"r1": {"findings": [finding(severity="fatal")]}}, "findings[0] (NM-BGP-001): unknown severity 'fatal'"),
    ({"r1": {"findings": [finding(severity=["critical"])]}}, "severity must be a string, got list"),
    ({"r1": {"findings": [finding(summary="two\nlines")]}}, "needs a one-line summary"),
    ({"r1": {"findings": [finding(summary=None)]}}, "needs a one-line summary"),
    ({"r1": {"findings": [finding(evidence=[1, 2])]}}, "evidence must be a dictionary, got list [1, 2]"),
    ({"r1": {"findings": [finding(evidence=float("nan"))]}}, "evidence must be a dictionary, got float nan"),
    ({"r1": {"findings": [finding(fix="restart")]}}, "fix must be a dictionary or null, got str 'restart'"),
    ({"r1": {"findings": [finding(fix={"params": {}})]}}, "a fix needs a module, a role or a manual"),
    ({"r1": {"findings": [finding(fix={"module": 5})]}}, "fix.module must be a string or null, got int 5"),
    ({"r1": {"findings": [finding(fix={"module": "m", "params": ["a"]})]}}, "fix.params must be a dictionary"),
    ({"r1": {"findings": [finding(incident=["003"])]}}, "names unknown incident ['003']"),
    ({"r1": {"findings": [finding(incident="\u202e003")]}}, "names unknown incident"),
    ({"r1": {"findings": [finding(subject=["bond0"])]}}, "subject must be a string, got list"),
    ({"r1": {"findings": [], "audits": "bgp"}}, "results['r1'].audits must be a list of dictionaries"),
    ({"r1": {"findings": [], "audits": ["bgp"]}}, "results['r1'].audits must be a list of dictionaries"),
    ({"r1": {"findings": [], "snapshots": []}}, "results['r1'].snapshots must be a dictionary"),
]


@pytest.mark.parametrize("results, msg", BAD_RESULTS, ids=[repr(r)[:70] for r, m in BAD_RESULTS])
def test_bad_results(run_module, out, tmp_path, results, msg):
    before = snapshot.tree(str(tmp_path))
    res = run_module("preflight_report", dict(out, results=results))
    assert res.failed and msg in res["msg"], res["msg"]
    assert "Traceback" not in json.dumps(res) and "exception" not in res
    assert snapshot.tree(str(tmp_path)) == before


BAD_PATHS = [
    ({"json_path": ""}, "json_path must be a file path"),
    ({"markdown_path": " "}, "markdown_path must be a file path"),
    ({"json_path": "DIR"}, "json_path: {tmp}/existing is a directory"),
    ({"markdown_path": "FILE/preflight.md"},
     "markdown_path: cannot write {tmp}/afile/preflight.md: {tmp}/afile is not a directory"),
    ({"junit_path": "FILE/deeper/missing/x.xml"}, "junit_path: cannot write"),
    ({"json_path": "LINK"}, "json_path: {tmp}/link.json is a symbolic link (to {tmp}/target.json)"),
    ({"junit_path": "RO/x.xml"}, "junit_path: cannot write {tmp}/ro/x.xml: {tmp}/ro is not writable"),
    ({"json_path": "RO/sub/x.json"}, "json_path: cannot write {tmp}/ro/sub/x.json: {tmp}/ro is not writable"),
    ({"junit_path": "SAME"}, "json_path and junit_path are the same file"),
    ({"fail_on": "fatal"}, "fail_on"),
    ({"fail_on_no_result": "perhaps"}, "fail_on_no_result"),
    ({"compare_fail_on": "fatal"}, "compare_fail_on"),
    ({"baseline": "FILE", "comparison_path": "SAME"}, "json_path and comparison_path are the same file"),
    ({"baseline": "FILE", "comparison_path": "DIR"}, "comparison_path: {tmp}/existing is a directory"),
    ({"results": None}, "results"),
]


@pytest.mark.parametrize("args, msg", BAD_PATHS, ids=[repr(a)[:60] for a, m in BAD_PATHS])
def test_bad_paths(run_module, out, tmp_path, read_only_dir, args, msg):
    tmp = str(tmp_path)
    (tmp_path / "existing").mkdir()
    (tmp_path / "afile").write_text("x")
    (tmp_path / "target.json").write_text("{}")
    os.symlink(str(tmp_path / "target.json"), str(tmp_path / "link.json"))
    marks = {"DIR": tmp + "/existing", "FILE": tmp + "/afile", "LINK": tmp + "/link.json", "RO": read_only_dir,
             "SAME": out["json_path"]}
    args = dict(args)
    for key, value in args.items():
        if isinstance(value, str):
            for mark, real in marks.items():
                if value.startswith(mark):
                    args[key] = value.replace(mark, real, 1)
    before = snapshot.tree(tmp)
    res = run_module("preflight_report", dict(dict(out, results=RESULTS), **args))
    assert res.failed and msg.format(tmp=tmp) in res["msg"], res["msg"]
    assert "Traceback" not in json.dumps(res) and "exception" not in res
    assert snapshot.tree(tmp) == before
