"""bmc_lan_mode through run_module: bad input, nan/inf timeouts, check mode (issue 11).

A fake ``ipmitool`` on PATH (fake_ipmitool.py) answers like a Supermicro X9
BMC; the module against a real BMC (ipmi_sim) is in tests/integration/bmc.
"""

import json
import math
import os
import sys

import pytest
import yaml

from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import RANGES
from ansible_collections.netmedic.network.plugins.modules import bmc_lan_mode as M

from support import snapshot

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "pw-Long-1"
LANPLUS = {"interface": "lanplus", "host": "192.0.2.1", "user": "admin", "password": PASSWORD}


@pytest.fixture
def bmc(tmp_path, monkeypatch):
    """A fake BMC in failover mode; ``bmc.mode()`` reads its state."""
    state = tmp_path / "bmc" / "state.json"
    state.parent.mkdir()
    state.write_text(json.dumps({"mode": "failover"}))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "ipmitool"
    tool.write_text("#!%s\nimport sys\nsys.path.insert(0, %r)\nimport fake_ipmitool\n"
                    "sys.exit(fake_ipmitool.main(sys.argv[1:]))\n" % (sys.executable, HERE))
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ.get("PATH", "")))
    monkeypatch.setenv("NM_FAKE_BMC", str(state))

    class Bmc:
        root = tmp_path

        @staticmethod
        def mode():
            return json.loads(state.read_text())["mode"]
    return Bmc


def no_traceback(res):
    text = json.dumps(res)
    assert "Traceback" not in text and "exception" not in res


def ipmitool_args(commands):
    """The ipmitool subcommands run (after the connection options)."""
    out = []
    for argv in commands:
        assert os.path.basename(argv[0]) == "ipmitool", argv
        i = 1
        while i < len(argv) and argv[i].startswith("-"):
            i += 1 if argv[i] in ("-E", "-v") else 2
        out.append(" ".join(argv[i:]))
    return out


# ---------------------------------------------------------------- bad input

NAN, INF = math.nan, math.inf
BAD = [
    ({"command_timeout": NAN}, "command_timeout"), ({"command_timeout": INF}, "command_timeout"),
    ({"command_timeout": 1e308}, "command_timeout"), ({"command_timeout": -1}, "command_timeout"),
    ({"command_timeout": 0}, "command_timeout"), ({"command_timeout": "soon"}, "command_timeout"),
    ({"reconnect_timeout": NAN}, "reconnect_timeout"), ({"reconnect_timeout": -INF}, "reconnect_timeout"),
    ({"reconnect_timeout": 0}, "reconnect_timeout"), ({"reconnect_timeout": [60]}, "reconnect_timeout"),
    ({"port": 0}, "port"), ({"port": 70000}, "port"), ({"port": -1}, "port"), ({"port": "ipmi"}, "port"),
    ({"cipher_suite": 18}, "cipher_suite"), ({"cipher_suite": -1}, "cipher_suite"),
    ({"host": "h;reboot"}, "host"), ({"host": "-oProxyCommand=x"}, "host"), ({"host": ""}, "host"),
    ({"host": "h\u00f4st"}, "host"), ({"host": "a b"}, "host"), ({"host": "h\x00"}, "host"),
    ({"user": "u;rm -rf /"}, "user"), ({"user": "$(id)"}, "user"), ({"user": "a b"}, "user"),
    ({"user": "x" * 17}, "user"), ({"user": "\u00e9" * 9}, "user"), ({"user": ""}, "user"),
    ({"password": "p" * 21}, "password"), ({"password": "p\x00w"}, "password"),
    ({"mode": "auto"}, "mode"), ({"interface": "ssh"}, "interface"), ({"generation": "x7"}, "generation"),
    ({"allow_remote_change": "maybe"}, "allow_remote_change"),
    ({"privilege": "ROOT"}, "privilege"), ({"privilege": ""}, "privilege"), ({"privilege": ["USER"]}, "privilege"),
]


@pytest.mark.parametrize("bad,option", BAD, ids=["%s=%r" % next(iter(case[0].items())) for case in BAD])
def test_bad_input_names_the_option_and_runs_nothing(run_module, bmc, exec_log, bad, option):
    before = snapshot.tree(str(bmc.root))
    args = dict(LANPLUS, mode="dedicated", allow_remote_change=True)
    args.update(bad)
    res = run_module("bmc_lan_mode", args)
    assert res.failed and option in res["msg"], res["msg"]
    no_traceback(res)
    assert exec_log.commands == [] and exec_log.signals == []
    assert snapshot.tree(str(bmc.root)) == before and bmc.mode() == "failover"
    if "password" in bad:
        assert bad["password"] not in json.dumps(res)


@pytest.mark.parametrize("what,words", [("missing", "cannot be read: No such file"), ("dir", "is a directory"),
                                        ("fifo", "is not a regular file")])
def test_password_file_of_the_wrong_kind(run_module, bmc, exec_log, what, words):
    path = str(bmc.root / "pw")
    if what == "dir":
        os.mkdir(path)
    elif what == "fifo":
        os.mkfifo(path)
    args = dict(LANPLUS, password_file=path)
    del args["password"]
    res = run_module("bmc_lan_mode", args)
    assert res.failed and "password_file %s %s" % (path, words) in res["msg"], res["msg"]
    assert exec_log.commands == []


@pytest.mark.parametrize("args,msg", [
    ({"interface": "lanplus", "user": "u", "password": PASSWORD}, "interface=lanplus needs host"),
    ({"interface": "lanplus", "host": "h", "password": PASSWORD}, "interface=lanplus needs user"),
    ({"interface": "lanplus", "host": "h", "user": "u"}, "needs password"),
    ({"interface": "lanplus", "host": "h", "user": "u", "password": PASSWORD, "password_file": "/f"},
     "mutually exclusive"),
])
def test_incomplete_lanplus_settings(run_module, args, msg):
    res = run_module("bmc_lan_mode", args)
    assert res.failed and msg in res["msg"], res
    assert "Traceback" not in res["msg"]


def test_nan_timeouts_are_refused_before_ipmitool_runs(run_module, bmc, exec_log):
    """issue 11: command_timeout=nan crashed the module (a traceback from the runner) and
    reconnect_timeout=nan made it poll the BMC forever after a change."""
    for option in ("command_timeout", "reconnect_timeout"):
        res = run_module("bmc_lan_mode", dict(LANPLUS, mode="dedicated", allow_remote_change=True, **{option: NAN}))
        assert res.failed and res["msg"] == "%s must be a finite number, got nan. Nothing was done." % option
    assert exec_log.commands == [] and bmc.mode() == "failover"


@pytest.mark.skipif(os.path.exists("/dev/ipmi0"), reason="this host has a real BMC")
def test_inband_without_a_bmc_device_is_explained(run_module):
    res = run_module("bmc_lan_mode", {"mode": "dedicated"})
    assert res.failed
    assert "/dev/ipmi0" in res["msg"] and "ipmi_si" in res["msg"]


def test_password_never_in_a_failure(run_module):
    res = run_module("bmc_lan_mode", {"interface": "lanplus", "host": "h", "user": "u", "password": "Sekr1t",
                                      "port": 0})
    assert res.failed and "Sekr1t" not in str(res)


# ---------------------------------------------------------------- check mode

def test_check_mode_reads_only_then_apply_then_idempotent(run_module, bmc, exec_log):
    before = snapshot.tree(str(bmc.root))
    res = run_module("bmc_lan_mode", {"mode": "dedicated"}, check_mode=True, diff=True)
    assert not res.failed, res["msg"]
    assert (res["changed"], res["previous_mode"], res["mode"]) == (True, "failover", "dedicated")
    assert res["diff"]["before"] == "mode: failover\n" and res["diff"]["after"] == "mode: dedicated\n"
    # issue 13: every read says the vendor, the generation, the command form and why
    assert (res["vendor"], res["board_generation"], res["form"]) == (
        "supermicro", "X11, X9+ command form", "ipmitool raw 0x30 0x70 0x0c 0x00")
    assert "answered the X9+ get with one byte, 02 = failover" in res["why"]
    assert res["settable"] == ["dedicated", "shared", "failover"]
    assert ipmitool_args(exec_log.commands) == ["mc info", "raw 0x30 0x70 0x0c 0x00"]  # GETs only
    assert exec_log.signals == [] and snapshot.tree(str(bmc.root)) == before and bmc.mode() == "failover"

    exec_log.commands.clear()
    res = run_module("bmc_lan_mode", {"mode": "dedicated"})
    assert res["changed"] is True and bmc.mode() == "dedicated"
    assert "raw 0x30 0x70 0x0c 0x01 0x00" in ipmitool_args(exec_log.commands)  # the fake does record a set
    res = run_module("bmc_lan_mode", {"mode": "dedicated"})
    assert res["changed"] is False and res["mode"] == "dedicated"


# ---------------------------------------------------------------- documentation

def test_every_numeric_option_has_a_range(argument_spec):
    captured = argument_spec("bmc_lan_mode")
    numeric = {n for n, spec in captured.items() if spec.get("type") in ("int", "float")}
    assert numeric == set(RANGES) | {"rollback_window", "rollback_settle"}   # those two: doc fragment rollback
    assert set(yaml.safe_load(M.DOCUMENTATION)["options"]) | {"rollback_window", "rollback_settle"} == set(captured)


def test_a_refused_remote_change_fails_with_what_was_read(run_module, bmc, exec_log):
    res = run_module("bmc_lan_mode", dict(LANPLUS, mode="dedicated"))
    assert res.failed and "allow_remote_change=true" in res["msg"] and res["msg"].endswith("Nothing was changed.")
    assert (res["vendor"], res["mode"], res["form"]) == ("supermicro", "failover", "ipmitool raw 0x30 0x70 0x0c 0x00")
    assert bmc.mode() == "failover"
    assert [a for a in ipmitool_args(exec_log.commands) if "0x0c 0x01" in a] == []
