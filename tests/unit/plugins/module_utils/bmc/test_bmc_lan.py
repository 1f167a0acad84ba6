"""bmc.lan and bmc.audit against a scripted BMC (unit level; the real proof is
tests/integration/bmc against ipmi_sim)."""

import math

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bmc import audit as AB
from ansible_collections.netmedic.network.plugins.module_utils.bmc import lan as L
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandTimeout, Result

IDS = {"supermicro": 10876, "dell": 674, "other": 343}
X9 = {0: "dedicated", 1: "shared", 2: "failover"}
X8 = {(0, 0): "failover", (1, 0): "dedicated", (1, 1): "shared"}


class FakeBmc:
    """Answers ipmitool argv like a BMC would (a runner for Ipmitool)."""

    def __init__(self, vendor="supermicro", mode="failover", gen="x9", oem=True, ignore_sets=False,
                 down_after_set=0, answer=None):
        self.vendor, self.mode, self.gen, self.oem = vendor, mode, gen, oem
        self.ignore_sets = ignore_sets
        self.down_after_set = down_after_set  # calls that time out after a set (BMC switching ports)
        self.answer = answer  # override the get answer (malformed output)
        self.sets = []
        self.calls = []
        self.down = 0

    def available(self, name):
        return True

    def _res(self, argv, rc=0, out="", err=""):
        return Result(list(argv), rc, out, err, 0.01)

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        self.calls.append(list(argv))
        if self.down:
            self.down -= 1
            raise CommandTimeout("timeout", Result(list(argv), -9, "", "", timeout or 1, True))
        i = argv.index("-I") + 2
        while i < len(argv) and argv[i].startswith("-"):
            i += 1 if argv[i] == "-E" else 2
        args = argv[i:]
        if args == ["mc", "info"]:
            return self._res(argv, out="Manufacturer ID : %d\nManufacturer Name : X\n" % IDS[self.vendor])
        if args[:1] == ["raw"]:
            return self._raw(argv, [int(a, 16) for a in args[1:]])
        if args[:2] == ["delloem", "lan"] and self.vendor == "dell" and self.oem:
            if args[2] == "get":
                return self._res(argv, out=self.answer or {"dedicated": "dedicated\n", "shared": "shared with lom1\n",
                                                           "failover": "shared with failover all loms\n"}[self.mode])
            self._set(" ".join(args[3:]).replace("shared with failover all loms", "failover")
                      .replace("shared with lom1", "shared"))
            return self._res(argv)
        return self._res(argv, 1, err="Error in getting nic selection (Invalid command)")

    def _set(self, mode):
        self.sets.append(mode)
        if not self.ignore_sets:
            self.mode = mode
        self.down = self.down_after_set

    def _cc(self, argv, cc):
        return self._res(argv, 1, err="Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x70 "
                                      "rsp=0x%02x): x" % cc)

    def _raw(self, argv, b):
        if not self.oem or self.vendor != "supermicro" or b[:3] != [0x30, 0x70, 0x0C]:
            return self._cc(argv, 0xC1)
        data = b[3:]
        if self.gen == "x9":
            if data == [0]:
                return self._res(argv, out=self.answer or " %02x\n" % {v: k for k, v in X9.items()}[self.mode])
            if len(data) == 2 and data[0] == 1:
                self._set(X9[data[1]])
                return self._res(argv, out="\n")
        else:
            if data == [0, 0, 0]:
                a, p = {v: k for k, v in X8.items()}[self.mode]
                return self._res(argv, out=self.answer or " %02x %02x\n" % (a, p))
            if len(data) == 3 and data[0] == 1:
                self._set(X8[(data[1], data[2])])
                return self._res(argv, out="\n")
        return self._cc(argv, 0xC7)


def tool(bmc, remote=False):
    target = Target(interface="lanplus", host="192.0.2.1", user="u", password="p") if remote else Target()
    return Ipmitool(target, runner=bmc, timeout=5)


@pytest.mark.parametrize("mode", ["dedicated", "shared", "failover"])
@pytest.mark.parametrize("gen", ["x9", "x8"])
def test_reads_supermicro_both_generations(mode, gen):
    r = L.read_lan_mode(tool(FakeBmc(mode=mode, gen=gen)))
    assert (r.mode, r.vendor, r.method) == (mode, "supermicro", "supermicro-" + gen)


def test_x8_is_not_tried_when_generation_is_forced():
    bmc = FakeBmc(gen="x8")
    r = L.read_lan_mode(tool(bmc), generation="x9")
    assert r.mode == "unknown" and "0xc7" in r.reason
    assert len(bmc.calls) == 2  # mc info + one raw


def test_invalid_command_is_unknown_not_an_error():
    r = L.read_lan_mode(tool(FakeBmc(oem=False)))
    assert r.mode == "unknown" and r.method == "supermicro-x9"
    assert "invalid command" in r.reason and "0xc1" in r.reason


def test_other_vendor_is_unknown_without_any_oem_command():
    bmc = FakeBmc(vendor="other")
    r = L.read_lan_mode(tool(bmc))
    assert r.mode == "unknown" and r.vendor == "other" and "343" in r.reason
    assert len(bmc.calls) == 1


@pytest.mark.parametrize("answer", [" 07\n", " zz\n", " 01 00 00\n"])
def test_malformed_answers_are_unknown(answer):
    r = L.read_lan_mode(tool(FakeBmc(answer=answer)), generation="x9")
    assert r.mode == "unknown"


def test_dell_read_and_set():
    bmc = FakeBmc(vendor="dell", mode="failover")
    out = L.ensure_lan_mode(tool(bmc), "dedicated")
    assert (out.before.mode, out.after.mode, out.changed) == ("failover", "dedicated", True)
    assert bmc.sets == ["dedicated"]
    assert ["delloem", "lan", "set", "dedicated"] == bmc.calls[2][-4:]


def test_dell_without_delloem_support_is_unknown():
    r = L.read_lan_mode(tool(FakeBmc(vendor="dell", oem=False)))
    assert r.mode == "unknown" and "delloem" in r.reason


def test_ensure_changes_in_band_and_verifies():
    bmc = FakeBmc(mode="failover")
    out = L.ensure_lan_mode(tool(bmc), "dedicated")
    assert out.changed and out.after.mode == "dedicated" and out.after.raw == "00"
    assert bmc.sets == ["dedicated"]
    assert out.reconnect_seconds is None


def test_ensure_x8_sets_with_the_long_form():
    bmc = FakeBmc(mode="failover", gen="x8")
    out = L.ensure_lan_mode(tool(bmc), "shared")
    assert out.after.mode == "shared" and out.after.method == "supermicro-x8"
    set_call = [c for c in bmc.calls if c[-4:-3] == ["0x0c"] and c[-3] == "0x01"][0]
    assert set_call[-4:] == ["0x0c", "0x01", "0x01", "0x01"]


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
    bmc = FakeBmc(oem=False)
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
    real = bmc._set

    def set_then_drop(mode):
        real(mode)
        raise CommandTimeout("lost", Result([], -9, "", "", 5, True))
    bmc._set = set_then_drop
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


def test_a_bmc_that_ignores_the_set_fails_verification():
    bmc = FakeBmc(mode="failover", ignore_sets=True)
    with pytest.raises(L.LanModeError, match="now reports failover .*did not take"):
        L.ensure_lan_mode(tool(bmc), "dedicated")


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
    (f,) = AB.findings_for(L.read_lan_mode(tool(FakeBmc(oem=False))), "dedicated", Target())
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
        "password_file": None, "cipher_suite": 3, "generation": "auto", "timeout": 10}
    assert AB.RANGES == {"port": (1, 65535), "cipher_suite": (0, 17), "timeout": (0.001, 86400)}
