"""netmedic.network.bmc_lan_mode against a real IPMI peer: OpenIPMI's ipmi_sim on
127.0.0.1 over lanplus, with our OEM module answering Supermicro's LAN-mode command
(tests/lab/ipmi).  Driven at the function level and through Ansible itself."""

import json
import os
import subprocess
import sys
import threading
import time

import bmc as nmbmc  # tests/lab/ipmi/bmc.py, on sys.path through conftest.py
import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bmc import audit as audit_bmc
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits
from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import (
    LanModeError, LanModeRefused, ensure_lan_mode, read_lan_mode)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import (
    IpmiAuthError, IpmiTimeout, Ipmitool, Target)

from nmbmc_ansible import PASSWORD_ENV, REPO, adhoc_argv, parse_adhoc


def tool_for(bmc, timeout=10, **overrides):
    params = bmc.module_params(**overrides)
    target = Target(interface="lanplus", host=params["host"], port=params["port"], user=params["user"],
                    password=params["password"], cipher_suite=params["cipher_suite"], privilege=params["privilege"])
    return Ipmitool(target, timeout=timeout)


# ---------------------------------------------------------------- function level

@pytest.mark.parametrize("mode", ["dedicated", "shared", "failover"])
def test_read_each_mode(bmc_factory, mode):
    bmc = bmc_factory(mode=mode)
    r = read_lan_mode(tool_for(bmc))
    assert (r.mode, r.vendor, r.manufacturer_id, r.method) == (mode, "supermicro", 10876, "supermicro-x9")


def test_set_verify_and_idempotence_function_level(bmc_factory):
    bmc = bmc_factory(mode="failover")
    out = ensure_lan_mode(tool_for(bmc), "dedicated", allow_remote_change=True)
    assert out.changed and out.before.mode == "failover" and out.after.mode == "dedicated"
    assert out.reconnect_seconds is not None
    assert bmc.read_mode() == "dedicated" and bmc.set_calls() == ["dedicated"]
    again = ensure_lan_mode(tool_for(bmc), "dedicated", allow_remote_change=True)
    assert not again.changed and bmc.set_calls() == ["dedicated"]


def test_x8_board_is_read_with_the_long_form_and_never_written(bmc_factory):
    """Issue 13: the X8 set form has two public sources that disagree: read-only."""
    bmc = bmc_factory(mode="failover", generation="x8")
    with pytest.raises(LanModeRefused, match="never writes the X8 form"):
        ensure_lan_mode(tool_for(bmc), "dedicated", allow_remote_change=True)
    assert bmc.read_mode() == "failover" and bmc.set_calls() == []
    assert read_lan_mode(tool_for(bmc)).raw == "00 00"


def test_remote_change_refused_without_permission_writes_nothing(bmc_factory):
    bmc = bmc_factory(mode="failover")
    with pytest.raises(LanModeRefused, match="allow_remote_change"):
        ensure_lan_mode(tool_for(bmc), "dedicated")
    assert bmc.set_calls() == [] and bmc.read_mode() == "failover"


@pytest.mark.parametrize("profile", ["supermicro-nooem", "other", "hpe"])
def test_unsupported_bmc_is_unknown_and_untouched(bmc_factory, profile):
    bmc = bmc_factory(profile=profile, mode="failover")
    out = ensure_lan_mode(tool_for(bmc), "dedicated", allow_remote_change=True)
    assert out.after.mode == "unknown" and not out.changed and out.warnings
    assert bmc.set_calls() == [] and bmc.raw_log() == []


def test_wrong_password_function_level(bmc_factory):
    bmc = bmc_factory()
    with pytest.raises(IpmiAuthError, match="refused the login of user 'admin'"):
        read_lan_mode(tool_for(bmc, password="not-the-password"))


def test_hung_bmc_gives_a_bounded_timeout(bmc_factory):
    bmc = bmc_factory()
    bmc.pause()
    start = time.monotonic()
    with pytest.raises(IpmiTimeout, match="did not answer 'ipmitool mc info' within 2 s"):
        read_lan_mode(tool_for(bmc, timeout=2))
    assert time.monotonic() - start < 30  # bounded (generous: no timing assertion intended)
    bmc.resume()
    assert read_lan_mode(tool_for(bmc)).mode == "failover"


def _silence_after_set(bmc, seconds):
    """Like a BMC switching ports: stop answering as soon as the set arrives, for ``seconds``."""
    def watch():
        deadline = time.monotonic() + 30
        while not bmc.set_calls() and time.monotonic() < deadline:
            time.sleep(0.005)
        bmc.pause()
        if seconds is not None:
            time.sleep(seconds)
            bmc.resume()
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def test_remote_change_waits_for_the_bmc_to_come_back(bmc_factory):
    bmc = bmc_factory(mode="failover")
    watcher = _silence_after_set(bmc, 3)
    out = ensure_lan_mode(tool_for(bmc, timeout=2), "dedicated", allow_remote_change=True,
                          reconnect_timeout=30, poll_interval=0.5)
    watcher.join(10)
    assert out.after.mode == "dedicated" and bmc.read_mode() == "dedicated"
    assert out.reconnect_seconds is not None


def test_remote_change_gives_up_after_the_reconnect_timeout(bmc_factory):
    bmc = bmc_factory(mode="failover")
    watcher = _silence_after_set(bmc, None)
    with pytest.raises(LanModeError, match="did not answer again within 4 s after the LAN mode change"):
        ensure_lan_mode(tool_for(bmc, timeout=2), "dedicated", allow_remote_change=True,
                        reconnect_timeout=4, poll_interval=0.5)
    watcher.join(10)
    bmc.resume()
    assert bmc.read_mode() == "dedicated"  # it did take the change; it just went quiet


def test_audit_finds_failover_over_lanplus_with_a_password_file(bmc_factory, tmp_path):
    bmc = bmc_factory(mode="failover")
    pw = tmp_path / "bmc.pw"
    pw.write_text(bmc.password + "\n")
    pw.chmod(0o600)
    ctx = AuditContext(options={"bmc": {"interface": "lanplus", "host": bmc.host, "port": bmc.port,
                                        "user": bmc.user, "password_file": str(pw)}})
    findings, runs = run_audits(ctx, [audit_bmc.AUDIT])
    assert [r.status for r in runs] == ["ran"]
    (f,) = findings
    assert (f.id, f.severity, f.evidence["mode"]) == ("NM-BMC-001", "critical", "failover")
    assert f.fix.params["mode"] == "dedicated" and bmc.password not in repr(f.to_dict())
    bmc.ipmitool("raw", "0x30", "0x70", "0x0c", "1", "0")
    assert run_audits(ctx, [audit_bmc.AUDIT])[0] == []


# ---------------------------------------------------------------- through Ansible

def test_ansible_reads_sets_and_is_idempotent(bmc_factory, ansible_module):
    bmc = bmc_factory(mode="failover")
    read = ansible_module(bmc)
    assert not read.get("failed"), read["_stdout"]
    assert (read["mode"], read["changed"], read["vendor"], read["raw"]) == ("failover", False, "supermicro", "02")

    first = ansible_module(bmc, mode="dedicated", allow_remote_change=True, diff=True)
    assert not first.get("failed"), first["_stdout"]
    assert first["changed"] and (first["previous_mode"], first["mode"]) == ("failover", "dedicated")
    assert first["diff"]["before"] == "mode: failover\n" and first["diff"]["after"] == "mode: dedicated\n"
    assert bmc.read_mode() == "dedicated" and bmc.set_calls() == ["dedicated"]

    second = ansible_module(bmc, mode="dedicated", allow_remote_change=True)
    assert not second.get("failed") and second["changed"] is False
    assert bmc.set_calls() == ["dedicated"]
    for res in (read, first, second):
        assert bmc.password not in res["_stdout"]


def test_the_old_module_name_ipmi_lan_mode_still_works(bmc_factory, ansible_module):
    """Issue 12 renamed ipmi_lan_mode to bmc_lan_mode; meta/runtime.yml redirects the old name, so
    existing playbooks keep working (read, set, idempotent, through Ansible's own plugin routing)."""
    bmc = bmc_factory(mode="failover")
    read = ansible_module(bmc, module="ipmi_lan_mode")
    assert not read.get("failed"), read["_stdout"]
    assert (read["mode"], read["changed"], read["vendor"]) == ("failover", False, "supermicro")
    first = ansible_module(bmc, module="ipmi_lan_mode", mode="dedicated", allow_remote_change=True)
    assert not first.get("failed") and first["changed"], first["_stdout"]
    assert bmc.read_mode() == "dedicated" and bmc.set_calls() == ["dedicated"]
    second = ansible_module(bmc, module="ipmi_lan_mode", mode="dedicated", allow_remote_change=True)
    assert not second.get("failed") and second["changed"] is False and bmc.set_calls() == ["dedicated"]


def test_ansible_check_mode_changes_nothing(bmc_factory, ansible_module):
    bmc = bmc_factory(mode="failover")
    res = ansible_module(bmc, mode="dedicated", allow_remote_change=True, check=True, diff=True)
    assert not res.get("failed"), res["_stdout"]
    assert res["changed"] and res["mode"] == "dedicated" and res["previous_mode"] == "failover"
    assert res["diff"]["after"] == "mode: dedicated\n"
    assert bmc.set_calls() == [] and bmc.read_mode() == "failover"


def test_ansible_refuses_remote_change_by_default(bmc_factory, ansible_module):
    bmc = bmc_factory(mode="failover")
    res = ansible_module(bmc, mode="dedicated")
    assert res["failed"] and "allow_remote_change=true" in res["msg"]
    assert bmc.set_calls() == []


def test_ansible_wrong_password_is_a_clear_error(bmc_factory, ansible_module):
    bmc = bmc_factory()
    res = ansible_module(bmc, mode="dedicated", allow_remote_change=True, password="Wrong-Passw0rd")
    assert res["failed"]
    assert "refused the login of user 'admin': wrong password or user name" in res["msg"]
    assert "Wrong-Passw0rd" not in res["_stdout"] and bmc.password not in res["_stdout"]
    assert bmc.set_calls() == []


def test_ansible_bmc_without_oem_command_is_unknown_not_failed(bmc_factory, ansible_module):
    bmc = bmc_factory(oem=False)
    res = ansible_module(bmc, mode="dedicated", allow_remote_change=True)
    assert not res.get("failed"), res["_stdout"]
    assert res["changed"] is False and res["mode"] == "unknown" and res["supported"] is False
    assert "0xc1" in res["reason"]
    assert any("unknown, left alone" in str(w) for w in res.get("warnings", [])), res


def test_ansible_hung_bmc_fails_clearly_within_the_timeout(bmc_factory, ansible_module):
    bmc = bmc_factory()
    bmc.pause()
    res = ansible_module(bmc, mode="dedicated", allow_remote_change=True, command_timeout=3)
    assert res["failed"] and "did not answer 'ipmitool mc info' within 3 s" in res["msg"]


@pytest.mark.parametrize("option,value", [("command_timeout", "nan"), ("reconnect_timeout", "nan"),
                                          ("reconnect_timeout", "inf"), ("command_timeout", "1e308")])
def test_ansible_non_finite_timeouts_fail_fast_naming_the_option(bmc_factory, ansible_module, option, value):
    """issue 11: command_timeout=nan crashed the module; reconnect_timeout=nan polled forever after a change."""
    bmc = bmc_factory(mode="failover")
    start = time.monotonic()
    res = ansible_module(bmc, mode="dedicated", allow_remote_change=True, timeout=60, **{option: value})
    assert res["failed"] and res["msg"].startswith("%s must be" % option), res["_stdout"]
    assert "Traceback" not in res["_stdout"] and time.monotonic() - start < 60
    assert bmc.set_calls() == [] and bmc.read_mode() == "failover"


def test_nan_reconnect_timeout_is_refused_before_the_set_function_level(bmc_factory):
    bmc = bmc_factory(mode="failover")
    with pytest.raises(LanModeError, match="^reconnect_timeout must be a finite number"):
        ensure_lan_mode(tool_for(bmc), "dedicated", allow_remote_change=True, reconnect_timeout=float("nan"))
    assert bmc.set_calls() == [] and bmc.read_mode() == "failover"


def test_password_never_in_the_process_table(bmc_factory, ansible_env):
    """While ipmitool runs (the BMC is paused, so it waits), no /proc/*/cmdline holds the password."""
    bmc = bmc_factory()
    bmc.pause()
    env = dict(ansible_env)
    env[PASSWORD_ENV] = bmc.password
    proc = subprocess.Popen(adhoc_argv(bmc, mode="dedicated", allow_remote_change=True, command_timeout=6),
                            env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    seen_ipmitool, leaks, env_has_it = 0, [], False
    secret = bmc.password.encode()
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as fh:
                        cmdline = fh.read()
                except OSError:
                    continue
                if secret in cmdline:
                    leaks.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
                if cmdline.split(b"\0")[0].endswith(b"ipmitool") and b"-E\0" in cmdline and str(bmc.port).encode() in cmdline:
                    seen_ipmitool += 1
                    try:
                        with open("/proc/%s/environ" % pid, "rb") as fh:
                            env_has_it = env_has_it or (b"IPMI_PASSWORD=" + secret) in fh.read().split(b"\0")
                    except OSError:
                        pass
            time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert seen_ipmitool > 0, "never saw ipmitool running:\n" + out + err
    assert leaks == []
    assert env_has_it  # the channel it does use
    res = parse_adhoc(out)
    assert res["failed"] and "did not answer" in res["msg"]
    assert bmc.password not in out + err


def test_lab_bmc_leaves_nothing_behind_even_when_paused_and_failing():
    with pytest.raises(RuntimeError, match="boom"):
        with nmbmc.Bmc() as b:
            pid, state_dir = b.pid, b.dir
            b.pause()
            raise RuntimeError("boom")
    assert not os.path.exists("/proc/%s" % pid)
    assert not os.path.exists(state_dir)


def _playbook(ansible_env, varsfile, check=False):
    argv = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "@" + str(varsfile), os.path.join(REPO, "playbooks", "bmc.yml")]
    if check:
        argv += ["--check", "--diff"]
    proc = subprocess.run(argv, env=ansible_env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=180, check=False)
    out = proc.stdout
    try:
        stats = json.loads(out[out.index("{"):])["stats"]["localhost"]
    except (ValueError, KeyError):
        raise AssertionError("no playbook result (rc %d):\n%s\n%s" % (proc.returncode, out[-3000:], proc.stderr[-2000:]))
    return proc.returncode, stats, out + proc.stderr


def test_role_through_the_playbook_check_then_apply_then_idempotent(bmc_factory, ansible_env, tmp_path):
    bmc = bmc_factory(mode="failover")
    varsfile = tmp_path / "bmc-vars.yml"
    varsfile.write_text(
        "bmc_targets: localhost\nbmc_interface: lanplus\nbmc_host: %s\nbmc_port: %d\nbmc_user: %s\n"
        "bmc_password: %s\nbmc_allow_remote_change: true\nbmc_install: false\n"
        "ansible_python_interpreter: %s\n" % (bmc.host, bmc.port, bmc.user, bmc.password, sys.executable))
    varsfile.chmod(0o600)

    rc, stats, out = _playbook(ansible_env, varsfile, check=True)
    assert rc == 0 and stats["failures"] == 0 and stats["changed"] == 1, out
    assert bmc.set_calls() == [] and bmc.read_mode() == "failover"

    rc, stats, out = _playbook(ansible_env, varsfile)
    assert rc == 0 and stats["changed"] == 1, out
    assert bmc.set_calls() == ["dedicated"] and bmc.read_mode() == "dedicated"

    rc, stats, out = _playbook(ansible_env, varsfile)
    assert rc == 0 and stats["changed"] == 0, out
    assert bmc.set_calls() == ["dedicated"]
    assert bmc.password not in out


def test_role_refuses_lanplus_without_credentials(bmc_factory, ansible_env, tmp_path):
    bmc = bmc_factory(mode="failover")
    varsfile = tmp_path / "bmc-vars.yml"
    varsfile.write_text("bmc_targets: localhost\nbmc_interface: lanplus\nbmc_host: %s\nbmc_port: %d\n"
                        "bmc_install: false\nansible_python_interpreter: %s\n" % (bmc.host, bmc.port, sys.executable))
    rc, stats, out = _playbook(ansible_env, varsfile)
    assert rc != 0 and stats["failures"] == 1
    assert "needs bmc_host, bmc_user and bmc_password" in out
    assert bmc.set_calls() == []
