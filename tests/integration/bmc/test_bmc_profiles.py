"""Every vendor case of issue 13 against the real ipmitool and ipmi_sim, one OEM profile each
(tests/lab/ipmi/PROFILES.md), over lanplus: read, set, verify, second run unchanged, and the
cases netmedic must leave alone.  The unit-level cases are tests/unit/.../bmc/test_bmc_vendors.py."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bmc import audit as audit_bmc
from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import (
    LanModeError, LanModeRefused, ensure_lan_mode, read_lan_mode)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiPrivilegeError, Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits


def tool_for(bmc, **overrides):
    p = bmc.module_params(**overrides)
    return Ipmitool(Target(interface="lanplus", host=p["host"], port=p["port"], user=p["user"],
                           password=p["password"], cipher_suite=p["cipher_suite"], privilege=p["privilege"]),
                    timeout=10)


def ensure(bmc, wanted, **kw):
    return ensure_lan_mode(tool_for(bmc), wanted, allow_remote_change=True, poll_interval=0.2, **kw)


# profile, start mode, wanted, (vendor, generation) the read must say, BMC log after the set
SET_CASES = [
    ("supermicro-47488", "failover", "dedicated", ("supermicro", "X9 or later"), ["set 0"]),
    ("dell-11g", "failover", "shared", ("dell", "11G (iDRAC6)"), ["dell11 0 0"]),
    ("dell-12g", "failover", "shared", ("dell", "12G (iDRAC7)"), ["dell 2 0"]),
    ("dell-13g", "dedicated", "failover", ("dell", "13G (iDRAC8)"), ["dell 2 0", "dell 2 6"]),
    ("idrac9", "failover", "dedicated", ("dell", "14G (iDRAC9)"), ["dell 1 0"]),
    ("lenovo", "shared", "dedicated", ("lenovo", "IMM/XCC"), ["lenovo 1 -1"]),
]


@pytest.mark.parametrize("profile,start,wanted,said,log", SET_CASES, ids=[c[0] for c in SET_CASES])
def test_read_set_verify_and_second_run(bmc_factory, profile, start, wanted, said, log):
    bmc = bmc_factory(profile=profile, mode=start)
    out = ensure(bmc, wanted)
    before = out.before
    assert (before.vendor, before.generation) == said and before.mode == start
    assert before.form.startswith("ipmitool ") and before.why
    assert out.changed and out.after.mode == wanted and bmc.read_mode() == wanted
    assert bmc.raw_log() == log
    again = ensure(bmc, wanted)
    assert not again.changed and bmc.raw_log() == log


def test_dell_12g_shared_from_failover_really_ends_failover(bmc_factory):
    """Issue 13: 'delloem lan set shared with lom1' keeps the failover byte; read both lines."""
    bmc = bmc_factory(profile="dell-12g", mode="failover")
    before = read_lan_mode(tool_for(bmc))
    assert before.detail == "shared with lom1, failover to all loms" and before.mode == "failover"
    out = ensure(bmc, "shared")
    assert out.after.detail == "shared with lom1, failover none" and bmc.read_mode() == "shared"


def test_dell_licence_refusal_exit_0_is_caught_by_the_read_back(bmc_factory):
    bmc = bmc_factory(profile="dell-13g", mode="shared", licence=False)
    with pytest.raises(LanModeError, match="still reports shared .*exited 0 but printed: FM001 : A required "
                                           "license is missing or expired.*Enterprise licence"):
        ensure(bmc, "dedicated")
    assert bmc.read_mode() == "shared" and bmc.raw_log() == []


def test_idrac9_never_uses_delloem(bmc_factory):
    """ipmitool 1.8.19 prints an empty line for 'delloem lan get' on this profile, as on a real iDRAC9."""
    bmc = bmc_factory(profile="idrac9", mode="shared")
    assert bmc.ipmitool("delloem", "lan", "get").stdout == "\n"
    r = read_lan_mode(tool_for(bmc))
    assert (r.mode, r.method, r.form) == ("shared", "dell-raw", "ipmitool raw 0x30 0x29")


def test_dell_blade_is_not_shared(bmc_factory):
    bmc = bmc_factory(profile="dell-13g-blade", mode="dedicated")
    with pytest.raises(LanModeRefused, match="cannot share a LOM"):
        ensure(bmc, "shared")
    assert bmc.raw_log() == []


@pytest.mark.parametrize("profile,start,wanted,words", [
    ("supermicro-x8", "failover", "dedicated", "never writes the X8 form"),
    ("supermicro-47488-x9scv", "failover", "dedicated", "0x061e is on ipmitool's X8-family list"),
    ("intel", "shared", "dedicated", "no LAN mode switch"),
    ("lenovo", "shared", "failover", "no failover value"),
])
def test_modes_netmedic_does_not_write_are_refused_and_untouched(bmc_factory, profile, start, wanted, words):
    bmc = bmc_factory(profile=profile, mode=start)
    with pytest.raises(LanModeRefused, match=words):
        ensure(bmc, wanted)
    assert bmc.raw_log() == []


def test_the_x9_board_on_the_x8_list_is_written_when_the_operator_says_x9(bmc_factory):
    bmc = bmc_factory(profile="supermicro-47488-x9scv", mode="failover")
    out = ensure(bmc, "dedicated", generation="x9")
    assert out.after.mode == "dedicated" and bmc.raw_log() == ["set 0"]


def test_intel_reports_its_channels(bmc_factory):
    bmc = bmc_factory(profile="intel", mode="shared")
    r = read_lan_mode(tool_for(bmc))
    assert r.mode == "shared" and "channel 1 (LAN1, onboard NIC shared with the host): 192.0.2.21" in r.detail
    assert "channel 2 (LAN2, onboard NIC shared with the host): absent" in r.detail


@pytest.mark.parametrize("profile,words", [("hpe", "HPE iLO"), ("other", "7244"), ("lenovo-tsm", "AMI TSM")])
def test_vendors_without_a_command_are_unknown_with_advice(bmc_factory, profile, words):
    bmc = bmc_factory(profile=profile)
    out = ensure(bmc, "dedicated")
    assert out.after.mode == "unknown" and not out.changed and words in out.after.reason
    assert bmc.raw_log() == []


def test_a_bmc_that_refuses_admin_sessions(bmc_factory, tmp_path):
    """Issue 13: 'invalid role' was 'unreachable, check the network'."""
    bmc = bmc_factory(profile="supermicro", admin_refused=True)
    with pytest.raises(IpmiPrivilegeError, match="refused a session at privilege ADMINISTRATOR .*invalid role"):
        read_lan_mode(tool_for(bmc, privilege="ADMINISTRATOR"))
    with pytest.raises(IpmiPrivilegeError, match="completion code 0xd4"):
        read_lan_mode(tool_for(bmc))                       # OPERATOR: the session opens, the OEM read needs admin
    pw = tmp_path / "pw"
    pw.write_text(bmc.password + "\n")
    pw.chmod(0o600)
    findings = {}
    for privilege in ("ADMINISTRATOR", "OPERATOR"):
        ctx = AuditContext(options={"bmc": {"interface": "lanplus", "host": bmc.host, "port": bmc.port,
                                            "user": bmc.user, "password_file": str(pw), "privilege": privilege}})
        (f,), runs = run_audits(ctx, [audit_bmc.AUDIT])
        findings[privilege] = (f.id, f.evidence["kind"])
    assert findings == {"ADMINISTRATOR": ("NM-BMC-005", "privilege"), "OPERATOR": ("NM-BMC-005", "privilege")}


def test_wrong_password_is_authentication_not_unreachable(bmc_factory, tmp_path):
    bmc = bmc_factory(profile="supermicro-47488")
    pw = tmp_path / "pw"
    pw.write_text("a-changed-password\n")
    ctx = AuditContext(options={"bmc": {"interface": "lanplus", "host": bmc.host, "port": bmc.port, "user": bmc.user,
                                        "password_file": str(pw)}})
    (f,), _runs = run_audits(ctx, [audit_bmc.AUDIT])
    assert (f.id, f.evidence["kind"]) == ("NM-BMC-005", "auth") and "RAKP 2 HMAC is invalid" in f.evidence["error"]


def test_the_incident_hardware_is_found_critical_with_a_fix(bmc_factory, tmp_path):
    """Issue 13: a 47488 Supermicro in failover was NM-BMC-003 (warning, no fix)."""
    bmc = bmc_factory(profile="supermicro-47488", mode="failover")
    pw = tmp_path / "pw"
    pw.write_text(bmc.password + "\n")
    ctx = AuditContext(options={"bmc": {"interface": "lanplus", "host": bmc.host, "port": bmc.port, "user": bmc.user,
                                        "password_file": str(pw)}})
    (f,), _runs = run_audits(ctx, [audit_bmc.AUDIT])
    assert (f.id, f.severity, f.fix.module) == ("NM-BMC-001", "critical", "netmedic.network.bmc_lan_mode")
    assert f.evidence["manufacturer_id"] == 47488 and "X9+ get" in f.evidence["why"]
