import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import audit as A
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import INFO, Finding
from ansible_collections.netmedic.network.plugins.module_utils.core.registry import AUDITS
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandTimeout, Result


def finding(subject):
    return Finding(id="NM-TEST-001", severity=INFO, summary="seen " + subject, subject=subject)


def test_run_audits_records_each_outcome():
    def crash(ctx):
        raise KeyError("state")

    def hang(ctx):
        raise CommandTimeout("'vtysh' did not finish within 20 s",
                             Result(["vtysh"], -9, "", "", 20.0, True))

    audits = [
        A.Audit("ok", "finds one", run=lambda ctx: [finding("a")]),
        A.Audit("absent", "not here", run=lambda ctx: [finding("never")], applies=lambda ctx: False),
        A.Audit("crash", "bug", run=crash),
        A.Audit("hang", "timeout", run=hang),
        A.Audit("other", "not chosen", run=lambda ctx: [finding("never")]),
    ]
    findings, runs = A.run_audits(A.AuditContext(), audits, only=["ok", "absent", "crash", "hang"])
    status = {r.name: r.status for r in runs}
    assert status == {"ok": "ran", "absent": "skipped", "crash": "failed", "hang": "failed", "other": "excluded"}
    ids = sorted((f.id, f.subject) for f in findings)
    assert ids == [("NM-CORE-001", "crash"), ("NM-CORE-001", "hang"), ("NM-TEST-001", "a")]
    crash_f = [f for f in findings if f.subject == "crash"][0]
    assert "KeyError" in crash_f.summary and "traceback" in crash_f.evidence
    hang_f = [f for f in findings if f.subject == "hang"][0]
    assert "did not finish" in hang_f.summary and "traceback" not in hang_f.evidence


def test_an_audit_reads_its_options_with_their_declared_defaults():
    audit = A.Audit("bgp", "test", run=lambda ctx: [], area="bgp",
                    options={"min": A.integer((0, None), default=1), "max": A.integer((0, None), default=9)})
    ctx = A.AuditContext(options={"bgp": {"min": 5}})
    assert audit.option(ctx, "min") == 5
    assert audit.option(ctx, "max") == 9
    with pytest.raises(KeyError):
        audit.option(ctx, "undeclared")  # a programming error, caught here, never a silent default
    assert ctx.sysfs.root == "/"


def test_every_audit_reads_its_options_one_way_and_declares_them():
    """Options are read only with AUDIT.option(ctx, "key") (issue 12: three ways before), keys declared."""
    import glob
    import os
    import re
    from ansible_collections.netmedic.network.plugins.module_utils.core import registry as R
    here = os.path.dirname(os.path.abspath(A.__file__))
    declared = set().union(*(set(a.options) for a in R.AUDITS))
    for path in glob.glob(os.path.join(os.path.dirname(here), "*", "*.py")):
        if os.path.dirname(path) == here:
            continue  # core is the framework
        with open(path) as fh:
            text = fh.read()
        assert not re.search(r"ctx\.opt\(|_opt\(ctx|\bDEFAULTS\b|ctx\.options\.get", text), path
        read = set(re.findall(r'AUDIT\.option\(ctx, "([a-z_0-9]+)"\)', text))
        assert read <= declared, (path, sorted(read - declared))


def test_check_options_names_each_problem():
    audits = {"a": A.Audit("a", "test", run=lambda ctx: [], options={
        "n": A.number((0, 10)), "i": A.integer((1, 5)), "s": A.Option("str", choices=("x", "y")),
        "b": A.Option("bool"), "l": A.Option("list"), "d": A.Option("dict"), "any": A.ANY},
        retired={"old": "use n"})}
    clean, errors = A.check_options(audits, {"a": {"n": "2.5", "i": 3.0, "s": "x", "b": True, "l": ["p"],
                                                   "d": {}, "any": object, "n2": None}})
    assert errors == ["options.a.n2 is not an option of the a audit. Its options: any, b, d, i, l, n, s"]
    assert clean["a"]["n"] == 2.5 and clean["a"]["i"] == 3 and isinstance(clean["a"]["i"], int)
    clean, errors = A.check_options(audits, {"a": {"n": float("nan"), "i": 2.5, "s": "z", "b": "yes", "l": "p",
                                                   "d": [], "old": 1}, "zz": {}})
    assert errors == [
        "options.a.b must be true or false, got 'yes'",
        "options.a.d must be a dictionary, got list",
        "options.a.i must be a whole number, got 2.5",
        "options.a.l must be a list of strings, got 'p'",
        "options.a.n must be a finite number, got nan",
        "options.a.old is no longer used: use n",
        "options.a.s must be one of x, y, got 'z'",
        "options given for unknown audit 'zz'. Known audits: a",
    ]
    assert A.check_options(audits, "a=1")[1] == ["options must be a dictionary keyed by audit name, got str"]
    assert A.check_options(audits, {"a": None}) == ({}, [])


def test_check_options_under_an_earlier_name_are_kept_under_the_name():
    audits = {"bond": A.Audit("bond", "test", run=lambda ctx: [], aliases=("bonding",),
                              options={"value": A.Option("str", choices=("all", "active"))})}
    assert A.check_options(audits, {"bonding": {"value": "active"}}) == ({"bond": {"value": "active"}}, [])
    assert A.check_options(audits, {"bond": {"value": "all"}}) == ({"bond": {"value": "all"}}, [])
    # the message names the key as written, and the audit by its name
    assert A.check_options(audits, {"bonding": {"valeu": "all"}})[1] == [
        "options.bonding.valeu is not an option of the bond audit. Its options: value"]
    assert A.check_options(audits, {"bond": {}, "bonding": {}})[1] == [
        "options.bond and options.bonding are the same audit (bond): give its options once, under bond"]
    assert A.check_options(audits, {"bnd": {}})[1] == [
        "options given for unknown audit 'bnd'. Known audits: bond (earlier names: bonding)"]


def test_run_audits_wanted_ids_keep_only_those_findings_and_record_the_checks():
    def two(ctx):
        return [Finding(id="NM-TEST-001", severity=INFO, summary="one", subject="a"),
                Finding(id="NM-TEST-002", severity=INFO, summary="two", subject="a"),
                Finding(id="NM-TEST-009", severity=INFO, summary="undeclared", subject="a")]

    audits = [A.Audit("t", "two checks", run=two, checks={"NM-TEST-001": "one", "NM-TEST-002": "two"}),
              A.Audit("u", "another", run=two, checks={"NM-TEST-003": "three"})]
    findings, runs = A.run_audits(A.AuditContext(), audits, only=["t"], wanted={"NM-TEST-001"})
    # the other declared check is dropped; an id the audit does not declare is never hidden
    assert [f.id for f in findings] == ["NM-TEST-001", "NM-TEST-009"]
    assert [r.to_dict() for r in runs] == [
        {"name": "t", "status": "ran", "duration": runs[0].duration, "findings": 2, "error": None,
         "checks": ["NM-TEST-001"], "reason": None},
        {"name": "u", "status": "excluded", "duration": 0.0, "findings": 0, "error": None, "checks": [],
         "reason": "not chosen (checks, skip or --tags)"}]
    findings, runs = A.run_audits(A.AuditContext(), audits)
    assert len(findings) == 6 and [r.checks for r in runs] == [["NM-TEST-001", "NM-TEST-002"], ["NM-TEST-003"]]
    # only=[] runs nothing (None runs everything)
    assert [r.status for r in A.run_audits(A.AuditContext(), audits, only=[])[1]] == ["excluded", "excluded"]


def test_a_skipped_audit_says_why():
    """Issue 17: "localhost: clean" while 6 of 8 audits were skipped; each skip now carries its reason."""
    audits = [A.Audit("t", "never applies", run=lambda ctx: [], applies=lambda ctx: False,
                      skip_reason="no widget on this host"),
              A.Audit("u", "default reason", run=lambda ctx: [], applies=lambda ctx: False)]
    runs = A.run_audits(A.AuditContext(), audits)[1]
    assert [(r.status, r.reason) for r in runs] == [
        ("skipped", "no widget on this host"), ("skipped", "it does not apply to this host")]


def test_every_registered_audit_says_why_it_is_skipped():
    for audit in AUDITS:
        assert audit.skip_reason != A.Audit.skip_reason and audit.skip_reason.strip(), audit.name
