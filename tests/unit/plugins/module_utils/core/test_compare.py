"""The postflight comparison and gate (core/compare.py), which playbooks/postflight.yml used to do in Jinja."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import compare as C
from ansible_collections.netmedic.network.plugins.module_utils.core.report import build_report

NOTES = {"NM-LINK-006": "links_compared"}
CANONICAL = {"bond": "bond", "bonding": "bond", "bgp": "bgp", "link_flaps": "link_flaps"}
BOND_IDS = ["NM-BOND-001", "NM-BOND-002"]
BGP_IDS = ["NM-BGP-001", "NM-BGP-002"]
LINK_IDS = ["NM-LINK-001", "NM-LINK-002", "NM-LINK-006"]


def f(check_id, subject="", severity="warning", summary=None):
    return {"id": check_id, "severity": severity, "summary": summary or "%s on %s" % (check_id, subject or "host"),
            "subject": subject, "evidence": {}, "fix": None, "incident": None}


def run(name, status="ran", checks=None):
    return {"name": name, "status": status, "duration": 0.1, "findings": 0, "error": None,
            "checks": [] if status == "excluded" else checks}


def audits(bond="ran", bgp="ran", link="ran", bgp_ids=None):
    return [run("bond", bond, BOND_IDS), run("bgp", bgp, bgp_ids or BGP_IDS), run("link_flaps", link, LINK_IDS)]


def now(hosts):
    """A postflight report from {host: (findings, audits) or None}."""
    return build_report({h: (None if v is None else {"findings": v[0], "audits": v[1]}) for h, v in hosts.items()},
                        generated="2026-01-01T00:00:00+00:00")


def before(hosts):
    return now(hosts)


def compare(base, cur):
    return C.compare(base, cur, "reports/preflight.json", NOTES, CANONICAL)


def test_new_and_gone_by_check_id_and_subject():
    base = before({"r1": ([f("NM-BOND-001", "bond0", "critical"), f("NM-BGP-002", "peer 10.0.0.2")], audits())})
    cur = now({"r1": ([f("NM-BGP-002", "peer 10.0.0.2"), f("NM-BGP-001", "peer 10.0.0.2", "critical"),
                       f("NM-BOND-001", "bond1", "critical")], audits())})
    got = compare(base, cur)
    assert got["baseline"] == "reports/preflight.json"
    entry = got["hosts"]["r1"]
    new = [(x["id"], x["subject"]) for x in entry["new"]]
    assert new == [("NM-BGP-001", "peer 10.0.0.2"), ("NM-BOND-001", "bond1")]
    assert entry["new"][0] == f("NM-BGP-001", "peer 10.0.0.2", "critical")   # the whole finding
    assert entry["gone"] == ["NM-BOND-001 bond0"]
    assert entry["in_baseline"] is True and entry["links_compared"] is True


def test_only_what_was_audited_now_is_compared():
    """`--tags bgp` (issue 12: the tag->area map in Jinja): the bond finding of the preflight is not "gone"."""
    base = before({"r1": ([f("NM-BOND-001", "bond0"), f("NM-BGP-001", "peer a"), f("NM-LINK-002", "eth0")], audits())})
    cur = now({"r1": ([], audits(bond="excluded", link="excluded"))})
    assert compare(base, cur)["hosts"]["r1"]["gone"] == ["NM-BGP-001 peer a"]
    # a check id asked: only that id is compared, the rest of its audit is not
    base = before({"r1": ([f("NM-BGP-001", "peer a"), f("NM-BGP-002", "peer b")], audits())})
    cur = now({"r1": ([], audits(bond="excluded", link="excluded", bgp_ids=["NM-BGP-001"]))})
    assert compare(base, cur)["hosts"]["r1"]["gone"] == ["NM-BGP-001 peer a"]
    # an audit that ran but no longer applies (FRR removed): its findings are gone
    cur = now({"r1": ([], audits(bgp="skipped"))})
    assert compare(base, cur)["hosts"]["r1"]["gone"] == ["NM-BGP-001 peer a", "NM-BGP-002 peer b"]


def test_notes_are_never_new_or_gone_and_clear_their_flag():
    base = before({"r1": ([f("NM-LINK-006", "links", "info"), f("NM-LINK-005", "/var/x.json", "info")], audits())})
    cur = now({"r1": ([f("NM-LINK-006", "links", "info", "link counters not compared: none for this host")],
                      audits())})
    entry = compare(base, cur)["hosts"]["r1"]
    assert entry == {"new": [], "gone": [], "in_baseline": True, "links_compared": False}
    line = C.host_line(compare(base, cur), "r1", cur, NOTES)
    assert line == "link counters not compared: none for this host; new since the preflight: none; gone: none"


def test_a_retired_check_of_an_older_report_is_not_gone():
    # NM-LINK-005 ("snapshot saved") no longer exists: no audit looks for it now
    base = before({"r1": ([f("NM-LINK-005", "/var/lib/netmedic/link.json", "info")], audits())})
    assert compare(base, now({"r1": ([], audits())}))["hosts"]["r1"]["gone"] == []


def test_an_audit_that_could_not_run_is_compared_with_its_audit():
    failed = f("NM-CORE-001", "bonding")   # an older report names the audit by its earlier name
    base = before({"r1": ([failed], audits())})
    assert compare(base, now({"r1": ([], audits())}))["hosts"]["r1"]["gone"] == ["NM-CORE-001 bonding"]
    assert compare(base, now({"r1": ([], audits(bond="excluded"))}))["hosts"]["r1"]["gone"] == []
    cur = now({"r1": ([f("NM-CORE-001", "bgp")], audits())})
    assert [x["subject"] for x in compare(before({"r1": ([], audits())}), cur)["hosts"]["r1"]["new"]] == ["bgp"]


def test_a_host_not_in_the_baseline_has_everything_new():
    cur = now({"r9": ([f("NM-BGP-001", "peer a", "critical")], audits())})
    for base in (None, before({})):
        got = compare(base, cur)
        entry = got["hosts"]["r9"]
        assert entry["in_baseline"] is False and [x["id"] for x in entry["new"]] == ["NM-BGP-001"]
        assert C.host_line(got, "r9", cur, NOTES) == ("no preflight report entry (reports/preflight.json): nothing "
                                                      "compared; new since the preflight: NM-BGP-001; gone: none")


def test_a_host_without_result_is_not_compared():
    """The Jinja version called every preflight finding of an unreachable host "gone"."""
    base = before({"r1": ([f("NM-BOND-001", "bond0")], audits())})
    cur = now({"r1": None})
    got = compare(base, cur)
    assert got["hosts"]["r1"] == {"new": [], "gone": [], "in_baseline": True, "links_compared": False}
    assert C.host_line(got, "r1", cur, NOTES) == "no result from this host: nothing compared"


def test_results_that_do_not_say_what_was_audited_compare_everything():
    base = before({"r1": ([f("NM-BOND-001", "bond0")], [])})
    assert compare(base, now({"r1": ([], [])}))["hosts"]["r1"]["gone"] == ["NM-BOND-001 bond0"]


def test_gate_and_its_message():
    cur = now({"r1": ([f("NM-BGP-001", "peer a", "critical", "peer a is down"), f("NM-LINK-001", "eth1", "info")],
                      audits()),
               "r2": ([f("NM-BOND-002", "bond0", "warning", "bond0 has one ARP target")], audits())})
    got = compare(before({"r1": ([], audits()), "r2": ([], audits())}), cur)
    bad = C.new_at_or_above(got, "warning")
    assert {h: [x["id"] for x in v] for h, v in bad.items()} == {"r1": ["NM-BGP-001"], "r2": ["NM-BOND-002"]}
    # the text of the playbook's assert, per host
    assert C.gate_message(bad, "warning") == (
        "r1: 1 new finding(s) at or above warning since the preflight: NM-BGP-001: peer a is down; and "
        "r2: 1 new finding(s) at or above warning since the preflight: NM-BOND-002: bond0 has one ARP target")
    assert set(C.new_at_or_above(got, "critical")) == {"r1"}
    assert len(C.new_at_or_above(got, "info")["r1"]) == 2
    assert C.new_at_or_above(got, "never") == {}


@pytest.mark.parametrize("baseline, msg", [
    ([], "expected a dictionary with 'hosts', got list []"),
    ({"hosts": []}, "expected a dictionary with 'hosts', got dict"),
    ({"hosts": {"r1": {"findings": "none"}}}, "hosts['r1'].findings must be a list, got str 'none'"),
    ({"hosts": {"r1": None}}, "hosts['r1'].findings must be a list, got NoneType None"),
    ({"hosts": {"r1": {"findings": [{"id": "NM-X-1", "severity": "warning", "summary": "s"}]}}},
     "hosts['r1']: check id 'NM-X-1' does not match NM-<AREA>-<NNN>"),
])
def test_a_baseline_that_is_not_a_report(baseline, msg):
    with pytest.raises(C.BaselineError) as err:
        compare(baseline, now({"r1": ([], audits())}))
    assert msg in str(err.value)
