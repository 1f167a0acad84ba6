from ansible_collections.netmedic.network.plugins.module_utils import audits as A
from ansible_collections.netmedic.network.plugins.module_utils.findings import INFO, Finding
from ansible_collections.netmedic.network.plugins.module_utils.runner import CommandTimeout, Result


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


def test_context_options():
    ctx = A.AuditContext(options={"bgp": {"min": 5}})
    assert ctx.opt("bgp", "min", 1) == 5
    assert ctx.opt("bgp", "max", 9) == 9
    assert ctx.opt("tinc", "x", None) is None
    assert ctx.sysfs.root == "/"


def test_registry_names_are_unique_and_checks_well_formed():
    names = [a.name for a in A._registered()]
    assert len(names) == len(set(names))
    for audit in A._registered():
        for check_id in audit.checks:
            assert A.Finding is not None and check_id.startswith("NM-")
