"""bmc.lan (read, set, verify, poll) and bmc.audit against a scripted BMC (unit level; the real
proof is tests/integration/bmc against ipmi_sim).  Per-vendor cases: test_bmc_vendors.py."""

import math

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bmc import audit as AB
from ansible_collections.netmedic.network.plugins.module_utils.bmc import lan as L
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandTimeout, Result

from support.fake_bmc import FakeBmc


def tool(bmc, remote=False):
    target = Target(interface="lanplus", host="192.0.2.1", user="u", password="p") if remote else Target()
    return Ipmitool(target, runner=bmc, timeout=5)


def test_ensure_changes_in_band_and_verifies():
    bmc = FakeBmc(mode="failover")
    out = L.ensure_lan_mode(tool(bmc), "dedicated")
    assert out.changed and out.after.mode == "dedicated" and out.after.raw == "00"
    assert bmc.sets == ["dedicated"]
    assert out.reconnect_seconds is None


def test_ensure_is_idempotent():
    bmc = FakeBmc(mode="dedicated")
    out = L.ensure_lan_mode(tool(bmc), "dedicated")
    assert not out.changed and bmc.sets == []


def test_check_mode_writes_nothing():
    bmc = FakeBmc(mode="failover")
    out = L.ensure_lan_mode(tool(bmc), "dedicated", check_mode=True)
    assert out.changed and out.after.mode == "dedicated" and bmc.sets == [] and bmc.mode == "failover"


def test_read_only_when_no_mode_wanted():
    bmc = FakeBmc(mode="failover")
    out = L.ensure_lan_mode(tool(bmc), None)
    assert not out.changed and out.after.mode == "failover" and bmc.sets == []


def test_unknown_mode_warns_and_writes_nothing():
    bmc = FakeBmc("supermicro-nooem")
    out = L.ensure_lan_mode(tool(bmc), "dedicated")
    assert not out.changed and out.after.mode == "unknown"
    assert out.warnings and "left alone" in out.warnings[0]
    assert bmc.sets == []


def test_remote_change_is_refused_without_permission():
    bmc = FakeBmc(mode="failover")
    with pytest.raises(L.LanModeRefused, match="allow_remote_change=true"):
        L.ensure_lan_mode(tool(bmc, remote=True), "dedicated")
    assert bmc.sets == []


def test_remote_change_polls_until_the_bmc_answers_again():
    bmc = FakeBmc(mode="failover", down_after_set=3)
    naps = []
    out = L.ensure_lan_mode(tool(bmc, remote=True), "dedicated", allow_remote_change=True,
                            reconnect_timeout=60, poll_interval=0.5, sleep=naps.append)
    assert out.after.mode == "dedicated" and out.reconnect_seconds is not None
    assert len(naps) == 3


def test_lost_answer_to_the_set_is_tolerated_remotely():
    bmc = FakeBmc(mode="failover")
    t = tool(bmc, remote=True)
    real = bmc._accepted

    def set_then_drop(mode):
        real(mode)
        bmc.mode = mode
        raise CommandTimeout("lost", Result([], -9, "", "", 5, True))
    bmc._accepted = set_then_drop
    out = L.ensure_lan_mode(t, "dedicated", allow_remote_change=True, sleep=lambda s: None)
    assert out.after.mode == "dedicated" and "verifying" in out.warnings[0]


def test_wait_is_bounded():
    bmc = FakeBmc(mode="dedicated")
    bmc.down = 10 ** 6
    now = [0.0]

    def sleep(s):
        now[0] += s
    with pytest.raises(L.LanModeError, match="did not answer again within 10 s"):
        L.wait_until_answers(tool(bmc, remote=True), 10, 2, sleep=sleep, clock=lambda: now[0])
    assert now[0] == pytest.approx(10)


class Looping(AssertionError):
    pass


def counting_sleep(limit=50):
    """A sleep that fails the test after ``limit`` naps instead of letting a broken loop run forever."""
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) >= limit:
            raise Looping("still polling after %d naps: the loop has no end" % limit)
    return sleep


@pytest.mark.parametrize("timeout", [math.nan, math.inf, -1.0, 0.0])
def test_wait_refuses_a_deadline_that_never_comes(timeout):
    """issue 11: reconnect_timeout=nan made `remaining <= 0` false forever, ipmitool called in a loop."""
    bmc = FakeBmc(mode="dedicated")
    bmc.down = 10 ** 6
    with pytest.raises(L.LanModeError, match="^reconnect_timeout must be"):
        L.wait_until_answers(tool(bmc, remote=True), timeout, 2, sleep=counting_sleep())
    assert bmc.calls == []


@pytest.mark.parametrize("option,value", [("reconnect_timeout", math.nan), ("reconnect_timeout", math.inf),
                                          ("poll_interval", math.nan), ("poll_interval", -1.0)])
def test_ensure_refuses_bad_waits_before_writing(option, value):
    """The set must not go out when the wait after it cannot end (the BMC stays silent after the set)."""
    bmc = FakeBmc(mode="failover", down_after_set=10 ** 6)
    with pytest.raises(L.LanModeError, match="^%s must be" % option):
        L.ensure_lan_mode(tool(bmc, remote=True), "dedicated", allow_remote_change=True, sleep=counting_sleep(),
                          **{option: value})
    assert bmc.sets == [] and bmc.calls == []


@pytest.mark.parametrize("timeout", [math.nan, math.inf, 0, -5, 1e308, "15"])
def test_ipmitool_refuses_a_timeout_that_is_not_a_number_of_seconds(timeout):
    """issue 11: command_timeout=nan reached subprocess and crashed; refused when the tool is made."""
    with pytest.raises(ValueError, match="^timeout must be"):
        Ipmitool(Target(), runner=FakeBmc(), timeout=timeout)


def test_audit_numeric_options_are_checked(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "ipmi0").write_text("")
    for opts, words in (({"timeout": "nan"}, "options.bmc: timeout must be a finite number"),
                        ({"port": 0}, "options.bmc: port must be between 1 and 65535"),
                        ({"cipher_suite": "x"}, "options.bmc: cipher_suite must be a number")):
        bmc = FakeBmc()
        findings, runs = run_audits(AuditContext(root=str(tmp_path), runner=bmc, options={"bmc": opts}), [AB.AUDIT])
        assert [r.status for r in runs] == ["failed"] and words in runs[0].error and bmc.calls == []
    ok = AuditContext(root=str(tmp_path), runner=FakeBmc(), options={"bmc": {"timeout": "5", "port": "623"}})
    assert [r.status for r in run_audits(ok, [AB.AUDIT])[1]] == ["ran"]


def test_a_bmc_that_ignores_the_set_fails_verification_after_reading_back_a_while():
    bmc = FakeBmc(mode="failover", ignore_sets=True)
    now, naps = [0.0], []

    def sleep(s):
        naps.append(s)
        now[0] += s
    with pytest.raises(L.LanModeError, match="still reports failover .*did not take"):
        L.ensure_lan_mode(tool(bmc), "dedicated", poll_interval=2, sleep=sleep, clock=lambda: now[0])
    assert bmc.sets == ["dedicated"] and naps == [2] * 5   # in-band: 10 s of read-back


def test_the_read_back_waits_for_a_bmc_that_takes_a_moment():
    """The IMM/XCC moves its network configuration before it reports the new port (xCAT polls it)."""
    bmc = FakeBmc("lenovo", mode="shared")
    real = bmc.raw
    late = [2]

    def slow(data):
        if data[:4] == [0x0C, 0x02, 0x01, 0xC0] and bmc.sets and late[0]:
            late[0] -= 1
            return 0, " 11 00\n", ""
        return real(data)
    bmc.raw = slow
    out = L.ensure_lan_mode(tool(bmc), "dedicated", sleep=lambda s: None)
    assert out.after.mode == "dedicated" and late == [0]


def test_bad_wanted_mode():
    with pytest.raises(L.LanModeError, match="mode must be one of"):
        L.ensure_lan_mode(tool(FakeBmc()), "auto")


# ---------------------------------------------------------------- audit

def test_findings_failover_is_critical_with_fix():
    r = L.read_lan_mode(tool(FakeBmc(mode="failover")))
    (f,) = AB.findings_for(r, "dedicated", Target())
    assert (f.id, f.severity, f.incident) == ("NM-BMC-001", "critical", "004")
    assert f.evidence["mode"] == "failover" and f.evidence["raw_answer"] == "02"
    assert f.fix.module == "netmedic.network.bmc_lan_mode" and f.fix.params == {"mode": "dedicated"}
    assert f.fix.role == "netmedic.network.bmc"


def test_findings_other_mismatch_is_warning_and_remote_fix_has_no_password():
    target = Target(interface="lanplus", host="192.0.2.1", user="u", password="secret")
    r = L.read_lan_mode(tool(FakeBmc(mode="shared")))
    (f,) = AB.findings_for(r, "dedicated", target)
    assert (f.id, f.severity) == ("NM-BMC-002", "warning")
    assert f.fix.params["allow_remote_change"] is True and "password" not in f.fix.params
    assert "secret" not in repr(f.to_dict())


def test_findings_none_when_mode_matches_and_unknown_is_warning():
    assert AB.findings_for(L.read_lan_mode(tool(FakeBmc(mode="dedicated"))), "dedicated", Target()) == []
    (f,) = AB.findings_for(L.read_lan_mode(tool(FakeBmc("supermicro-nooem"))), "dedicated", Target())
    assert (f.id, f.severity) == ("NM-BMC-003", "warning") and f.fix.manual


def test_audit_through_the_registry(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "ipmi0").write_text("")
    ctx = AuditContext(root=str(tmp_path), runner=FakeBmc(mode="failover"))
    findings, runs = run_audits(ctx, [AB.AUDIT])
    assert [r.status for r in runs] == ["ran"]
    assert [f.id for f in findings] == ["NM-BMC-001"]


def test_audit_skipped_without_a_bmc(tmp_path):
    ctx = AuditContext(root=str(tmp_path), runner=FakeBmc())
    findings, runs = run_audits(ctx, [AB.AUDIT])
    assert [r.status for r in runs] == ["skipped"] and findings == []


def test_audit_remote_applies_when_host_given_and_reports_a_dead_bmc(tmp_path):
    bmc = FakeBmc()
    bmc.down = 99
    ctx = AuditContext(root=str(tmp_path), runner=bmc, options={"bmc": {
        "interface": "lanplus", "host": "192.0.2.1", "user": "u", "password_file": "/x"}})
    findings, runs = run_audits(ctx, [AB.AUDIT])
    assert [r.status for r in runs] == ["ran"]
    assert [(f.id, f.severity) for f in findings] == [("NM-BMC-004", "warning")]
    assert "did not answer" in findings[0].evidence["error"]


def test_audit_bad_options_become_an_audit_failure(tmp_path):
    ctx = AuditContext(root=str(tmp_path), runner=FakeBmc(), options={"bmc": {
        "interface": "lanplus", "host": "h", "wanted_mode": "dedicated"}})
    findings, runs = run_audits(ctx, [AB.AUDIT])
    assert runs[0].status == "failed" and "needs user" in findings[0].summary


def test_audit_shape_area_options_and_defaults():
    """Issue 12: the audit declares its area and every option with a default and a description; an
    option not given reads as its declared default (the values the audit used before)."""
    assert (AB.AUDIT.name, AB.AUDIT.area, AB.FIX_MODULE) == ("bmc", "bmc", "netmedic.network.bmc_lan_mode")
    assert all(spec.description for spec in AB.AUDIT.options.values())
    ctx = AuditContext()
    assert {key: AB.AUDIT.option(ctx, key) for key in AB.AUDIT.options} == {
        "wanted_mode": "dedicated", "interface": "open", "host": None, "port": 623, "user": None,
        "password_file": None, "cipher_suite": 3, "privilege": "ADMINISTRATOR", "generation": "auto", "timeout": 10}
    assert AB.RANGES == {"port": (1, 65535), "cipher_suite": (0, 17), "timeout": (0.001, 86400)}
