"""ipmi_tool: command lines, where the password goes, and how failures read."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bmc import tool as T
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import (
    CommandNotFound, CommandTimeout, Result)

from support.fake_bmc import Scripted

PW = "pa55-w0rd"
REMOTE = T.Target(interface="lanplus", host="192.0.2.10", port=6230, user="ADMIN", password=PW)


def test_inband_argv_is_plain():
    tool = T.Ipmitool(T.Target())
    assert tool.argv(["mc", "info"]) == ["ipmitool", "-I", "open", "mc", "info"]
    assert tool.env() == {}


def test_lanplus_argv_pins_cipher_suite_and_never_carries_the_password():
    tool = T.Ipmitool(REMOTE)
    argv = tool.argv(["raw", "0x30"], verbose=True)
    assert argv == ["ipmitool", "-v", "-I", "lanplus", "-H", "192.0.2.10", "-p", "6230", "-U", "ADMIN",
                    "-L", "ADMINISTRATOR", "-C", "3", "-E", "raw", "0x30"]
    assert PW not in " ".join(argv)
    assert tool.env() == {"IPMI_PASSWORD": PW}


def test_password_file_uses_f_and_no_environment():
    t = T.Target(interface="lanplus", host="h", user="u", password_file="/root/.bmcpw")
    tool = T.Ipmitool(t)
    assert tool.argv(["mc", "info"])[-4:] == ["-f", "/root/.bmcpw", "mc", "info"]
    assert "-E" not in tool.argv(["mc", "info"])
    assert tool.env() == {}


def test_no_cipher_suite_when_none():
    t = T.Target(interface="lanplus", host="h", user="u", password="p", cipher_suite=None)
    assert "-C" not in T.Ipmitool(t).argv([])


@pytest.mark.parametrize("target,problem", [
    (T.Target(interface="lanplus", user="u", password="p"), "needs host"),
    (T.Target(interface="lanplus", host="h", password="p"), "needs user"),
    (T.Target(interface="lanplus", host="h", user="u"), "needs password"),
    (T.Target(interface="lanplus", host="h", user="u", password="p", password_file="/f"), "not both"),
    (T.Target(interface="lanplus", host="h", user="u", password="p", port=0), "port must be"),
    (T.Target(interface="lanplus", host="h", user="u", password="p", cipher_suite=99), "cipher_suite"),
    (T.Target(interface="serial"), "interface must be"),
])
def test_target_problems_are_sentences(target, problem):
    assert any(problem in p for p in target.problems())


def test_valid_targets_have_no_problems():
    assert T.Target().problems() == []
    assert REMOTE.problems() == []


def test_every_call_has_the_timeout_and_the_password_env():
    runner = Scripted((0, "Manufacturer ID : 10876\n", ""))
    tool = T.Ipmitool(REMOTE, runner=runner, timeout=7)
    assert tool.mc_info().vendor == "supermicro"
    call = runner.calls[0]
    assert call["timeout"] == 7
    assert call["env"] == {"IPMI_PASSWORD": PW}
    assert "-v" in call["argv"]  # lanplus identify is verbose so auth failures can be told apart


def test_raw_formats_bytes_and_parses_answer():
    runner = Scripted((0, " 02\n", ""))
    tool = T.Ipmitool(T.Target(), runner=runner)
    assert tool.raw(0x30, 0x70, [0x0C, 0]) == [2]
    assert runner.calls[0]["argv"][-5:] == ["raw", "0x30", "0x70", "0x0c", "0x00"]


@pytest.mark.parametrize("answer,exc,text", [
    ((1, "", "> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n"),
     T.IpmiAuthError, "refused the login of user 'ADMIN': wrong password or user name, or a password changed on "
                      "the BMC \\(ipmitool: RAKP 2 HMAC"),
    ((1, "", "Get Auth Capabilities error\nError: Unable to establish IPMI v2 / RMCP+ session\n"),
     T.IpmiUnreachable, "BMC at 192.0.2.10:6230 does not answer"),
    ((1, "", "Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x70 rsp=0xc1): Invalid command\n"),
     T.IpmiCommandError, "completion code 0xc1 \\(Invalid command\\)"),
    ((1, "", "Unable to read password from environment\n"), T.IpmiAuthError, "could not read the BMC password"),
    ((1, "", "something odd\n"), T.IpmiCommandError, "exit 1\\): something odd"),
    ((1, "", ""), T.IpmiCommandError, "no message"),
    (CommandTimeout("x", Result(["ipmitool"], -9, "", "", 7, True)), T.IpmiTimeout,
     "did not answer 'ipmitool mc info' within 7 s"),
    (CommandNotFound("ipmitool: command not found"), T.IpmiNotInstalled, "install the ipmitool package"),
])
def test_failures_are_classified(answer, exc, text):
    tool = T.Ipmitool(REMOTE, runner=Scripted(answer), timeout=7)
    with pytest.raises(exc, match=text):
        tool.run(["mc", "info"])


def test_completion_code_is_kept():
    tool = T.Ipmitool(T.Target(), runner=Scripted((1, "", "... rsp=0xc7): Request data length invalid")))
    with pytest.raises(T.IpmiCommandError) as err:
        tool.raw(0x30, 0x70, [0x0C, 0])
    assert err.value.cc == 0xC7


def test_no_device_inband():
    tool = T.Ipmitool(T.Target(), runner=Scripted(
        (1, "", "Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: No such file or directory")))
    with pytest.raises(T.IpmiNoDevice, match="ipmi_si and ipmi_devintf"):
        tool.run(["mc", "info"])


def test_password_is_scrubbed_from_errors():
    tool = T.Ipmitool(REMOTE, runner=Scripted((1, "", "weird: echoing %s back\n" % PW)))
    with pytest.raises(T.IpmiError) as err:
        tool.run(["mc", "info"])
    assert PW not in str(err.value) and "********" in str(err.value)


def test_target_repr_hides_password():
    assert PW not in repr(REMOTE)


def test_privilege_is_asked_with_L_over_lanplus_only():
    """Issue 13: ipmitool asks for ADMINISTRATOR by default; an operator account needs -L OPERATOR."""
    t = T.Target(interface="lanplus", host="h", user="u", password="p", privilege="OPERATOR")
    argv = T.Ipmitool(t).argv(["mc", "info"])
    assert argv[argv.index("-L") + 1] == "OPERATOR"
    assert "-L" not in T.Ipmitool(T.Target(privilege="OPERATOR")).argv(["mc", "info"])
    assert any("privilege must be one of ADMINISTRATOR, OPERATOR, USER" in p
               for p in T.Target(interface="lanplus", host="h", user="u", password="p", privilege="ROOT").problems())


@pytest.mark.parametrize("first,verbose,exc,text", [
    ("Error: Unable to establish IPMI v2 / RMCP+ session\n", "> RAKP 2 HMAC is invalid\nError: Unable to establish "
     "IPMI v2 / RMCP+ session\n", T.IpmiAuthError, "wrong password"),
    ("Error: Unable to establish IPMI v2 / RMCP+ session\n", "RAKP 2 message indicates an error : unauthorized "
     "name\n", T.IpmiAuthError, "unauthorized name"),
    ("Error: Unable to establish IPMI v2 / RMCP+ session\n", "Get Auth Capabilities error\n", T.IpmiUnreachable,
     "does not answer"),
    ("Error: Unable to establish IPMI v2 / RMCP+ session\n", "Error: Unable to establish IPMI v2 / RMCP+ session\n",
     T.IpmiSessionError, "gives no reason"),
])
def test_a_bare_session_failure_is_asked_again_with_v(first, verbose, exc, text):
    """Issue 13: a changed password was 'unreachable, check the network'; ipmitool says more with -v."""
    runner = Scripted((1, "", first), (1, "", verbose))
    with pytest.raises(exc, match=text):
        T.Ipmitool(REMOTE, runner=runner).raw(0x30, 0x70, [0x0C, 0])
    assert "-v" not in runner.calls[0]["argv"] and runner.calls[1]["argv"][:2] == ["ipmitool", "-v"]


def test_a_session_failure_inband_is_not_asked_again():
    runner = Scripted((1, "", "Error: Unable to establish IPMI v2 / RMCP+ session\n"))
    with pytest.raises(T.IpmiSessionError):
        T.Ipmitool(T.Target(), runner=runner).run(["mc", "info"])
    assert len(runner.calls) == 1


@pytest.mark.parametrize("err,exc,text", [
    ("Error in open session response message : invalid role\n\nError: Unable to establish IPMI v2 / RMCP+ "
     "session\n", T.IpmiPrivilegeError, "refused a session at privilege ADMINISTRATOR for user 'ADMIN'"),
    ("Get HPM.x Capabilities request failed, compcode = d4\nUnable to send RAW command (channel=0x0 netfn=0x30 "
     "lun=0x0 cmd=0x70 rsp=0xd4): Insufficient privilege level\n", T.IpmiPrivilegeError, "completion code 0xd4"),
    ("Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x70 rsp=0xc1): Invalid command\n",
     T.IpmiUnsupported, "0xc1"),
])
def test_authorisation_and_unsupported_are_their_own_kinds(err, exc, text):
    with pytest.raises(exc, match=text) as caught:
        T.Ipmitool(REMOTE, runner=Scripted((1, "", err))).raw(0x30, 0x70, [0x0C, 0])
    assert caught.value.kind in ("privilege", "unsupported")


def test_stderr_of_a_command_that_exits_0_is_kept():
    """delloem lan set prints FM001 on stderr and exits 0."""
    runner = Scripted((0, "", "FM001 : A required license is missing or expired\n"))
    out, err = T.Ipmitool(T.Target(), runner=runner).run_full(["delloem", "lan", "set", "dedicated"])
    assert out == "" and "FM001" in err
