"""The bmc audit per vendor (issue 13): each vendor's summary and fix, the evidence of every read,
and failures told apart (no answer: NM-BMC-004; login or privilege refused: NM-BMC-005)."""

import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bmc import audit as AB
from ansible_collections.netmedic.network.plugins.module_utils.bmc import lan as L
from ansible_collections.netmedic.network.plugins.module_utils.bmc import tool as T
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits

from support.fake_bmc import PUBLISHED, FakeBmc, Scripted

REMOTE = T.Target(interface="lanplus", host="192.0.2.9", user="oper", password_file="/pw")


def finding(profile, mode, wanted="dedicated", target=None, **kw):
    bmc = FakeBmc(profile, mode=mode, **kw)
    reading = L.read_lan_mode(T.Ipmitool(T.Target(), runner=bmc, timeout=5))
    found = AB.findings_for(reading, wanted, target or T.Target())
    return found[0] if found else None


def test_supermicro_47488_in_failover_is_the_incident_finding():
    """Issue 13: exactly the incident's hardware got NM-BMC-003 (warning) and no fix."""
    f = finding("supermicro-47488", "failover")
    assert (f.id, f.severity) == ("NM-BMC-001", "critical")
    assert "Supermicro's failover LAN mode" in f.summary and "DHCP" in f.summary
    assert f.fix.module == "netmedic.network.bmc_lan_mode" and f.fix.params == {"mode": "dedicated"}
    assert f.evidence["manufacturer_id"] == 47488 and f.evidence["vendor"] == "supermicro"


def test_dell_failover_has_dells_own_words():
    f = finding("dell-13g", "failover")
    assert f.id == "NM-BMC-001"
    assert "shared with lom1, failover to all loms" in f.summary and "between the host's LOMs" in f.summary
    assert "DHCP" not in f.summary and "iDRAC" in f.fix.manual and "Enterprise licence" in f.fix.manual


@pytest.mark.parametrize("profile,words", [("dell-12g", "the iDRAC is shared with lom1, failover none"),
                                           ("lenovo", "the IMM/XCC uses the shared (onboard interface) port"),
                                           ("supermicro", "Supermicro's shared LAN mode (onboard LAN1")])
def test_shared_is_a_warning_in_the_vendors_terms(profile, words):
    f = finding(profile, "shared")
    assert (f.id, f.severity) == ("NM-BMC-002", "warning") and words in f.summary
    assert f.fix.module == "netmedic.network.bmc_lan_mode"


def test_a_mode_netmedic_does_not_write_gets_a_manual_fix_only():
    f = finding("supermicro-x8", "failover")
    assert f.id == "NM-BMC-001" and f.fix.module is None and "X8 form" in f.fix.manual
    assert "X8" in f.evidence["not_settable"]
    f = finding("intel", "shared")
    assert f.id == "NM-BMC-002" and f.fix.module is None and "ipmitool lan set 1" in f.fix.manual


@pytest.mark.parametrize("profile", ["supermicro", "dell-12g", "idrac9", "lenovo", "intel"])
def test_evidence_says_vendor_generation_form_and_why(profile):
    f = finding(profile, "shared")
    for key in ("vendor", "generation", "form", "why", "detail", "settable"):
        assert key in f.evidence
    assert f.evidence["form"].startswith("ipmitool ") and f.evidence["why"]


def test_remote_fix_carries_the_privilege_and_no_password():
    f = finding("supermicro", "failover", target=REMOTE)
    assert f.fix.params["privilege"] == "ADMINISTRATOR" and "password" not in f.fix.params


def published(name):
    with open(os.path.join(PUBLISHED, name), encoding="utf-8") as fh:
        return fh.read()


@pytest.mark.parametrize("answers,check,kind,advice", [
    ([(1, "", published("x11_invalid_role.stderr"))], "NM-BMC-005", "privilege", "ADMINISTRATOR privilege"),
    ([(1, "", "> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n")],
     "NM-BMC-005", "auth", "password changed on the BMC"),
    ([(1, "", "Get Auth Capabilities error\nError: Unable to establish IPMI v2 / RMCP+ session\n")],
     "NM-BMC-004", "unreachable", "IPMI over LAN is enabled"),
    ([(0, published("mc_info_47488_x11spm.txt"), ""),
      (1, "", "Get HPM.x Capabilities request failed, compcode = d4\nUnable to send RAW command (channel=0x0 "
              "netfn=0x30 lun=0x0 cmd=0x70 rsp=0xd4): Insufficient privilege level\n")],
     "NM-BMC-005", "privilege", "ADMINISTRATOR privilege"),
])
def test_failures_are_told_apart(tmp_path, answers, check, kind, advice):
    """Issue 13: 'invalid role' and a session refused after a password change were 'unreachable'."""
    ctx = AuditContext(root=str(tmp_path), runner=Scripted(*answers), options={"bmc": {
        "interface": "lanplus", "host": "192.0.2.9", "user": "oper", "password_file": "/pw"}})
    findings, runs = run_audits(ctx, [AB.AUDIT])
    assert [r.status for r in runs] == ["ran"]
    (f,) = findings
    assert (f.id, f.evidence["kind"]) == (check, kind) and advice in f.fix.manual


def test_a_bare_session_failure_is_diagnosed_with_verbose(tmp_path):
    """ipmitool prints one line for a changed password and a dead BMC; -v tells them apart."""
    runner = Scripted((0, published("mc_info_47488_x11spm.txt"), ""),
                      (1, "", published("supermicro_password_changed.stderr")),
                      (1, "", "> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n"))
    tool = T.Ipmitool(REMOTE, runner=runner, timeout=5)
    with pytest.raises(T.IpmiAuthError, match="password changed on the BMC"):
        L.read_lan_mode(tool)
    assert "-v" in runner.calls[-1]["argv"] and runner.calls[-1]["argv"][-2:] == ["mc", "info"]


def test_privilege_option_is_declared_and_checked(tmp_path):
    assert AB.AUDIT.options["privilege"].choices == ("ADMINISTRATOR", "OPERATOR", "USER")
    ctx = AuditContext(root=str(tmp_path), runner=Scripted((0, "", "")), options={"bmc": {
        "interface": "lanplus", "host": "h", "user": "u", "password_file": "/pw", "privilege": "ROOT"}})
    findings, runs = run_audits(ctx, [AB.AUDIT])
    assert runs[0].status == "failed"
