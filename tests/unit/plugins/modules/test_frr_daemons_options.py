"""frr_daemons_options in-process on a copy of Debian's daemons file (bash -n checks the result for real)."""

import os

import pytest
from support.paths import FIXTURES
from support.procs import fake_process

from ansible_collections.netmedic.network.plugins.module_utils.frr import settings
from support import snapshot

FIXTURE = os.path.join(FIXTURES, "nmaud", "daemons.debian")


@pytest.fixture
def daemons(tmp_path):
    p = tmp_path / "daemons"
    p.write_text(open(FIXTURE).read())
    os.chmod(p, 0o640)
    return p


def test_check_diff_apply_idempotent(run_module, daemons):
    before = daemons.read_text()
    args = {"path": str(daemons), "watchfrr_restart_timeout": 300, "zebra_netlink_buffer": 180000000}
    res = run_module("frr_daemons_options", args, check_mode=True, diff=True)
    assert res["changed"] and daemons.read_text() == before
    assert 'watchfrr_options="-T 300"' not in res["diff"]["before"]
    assert 'watchfrr_options="-T 300"' in res["diff"]["after"]
    assert res["changes"] == {"watchfrr_options": {"before": None, "after": "-T 300"},
                              "zebra_options": {"before": "  -A 127.0.0.1 -s 90000000",
                                                "after": "  -A 127.0.0.1 -s 180000000"}}
    res = run_module("frr_daemons_options", args)
    assert res["changed"] and res["restarted"] is False
    assert open(res["backup_file"]).read() == before
    after = daemons.read_text()
    assert oct(os.stat(daemons).st_mode & 0o777) == "0o640"
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    res = run_module("frr_daemons_options", args)
    assert not res["changed"] and res["changes"] == {} and daemons.read_text() == after


def test_no_backup(run_module, daemons, tmp_path):
    res = run_module("frr_daemons_options", {"path": str(daemons), "watchfrr_restart_timeout": 60, "backup": False})
    assert res["changed"] and "backup_file" not in res
    assert [p.name for p in tmp_path.iterdir()] == ["daemons"]


def _tree_with_links(tmp_path):
    (tmp_path / "dir").mkdir()
    os.symlink(str(tmp_path / "none"), str(tmp_path / "dangling"))
    (tmp_path / "latin1").write_bytes(b"# caf\xe9\nwatchfrr_options=\"-T 20\"\n")
    (tmp_path / "afile").write_text("x\n")
    return tmp_path


# (args, the option the message must name, words of the message); DAEMONS is replaced by the fixture's path
BAD_INPUT = [
    ({}, "watchfrr_restart_timeout", "one of the following is required"),
    ({"watchfrr_restart_timeout": 2}, "watchfrr_restart_timeout", "between 5 and 3600"),
    ({"watchfrr_restart_timeout": 3601}, "watchfrr_restart_timeout", "between 5 and 3600"),
    ({"watchfrr_restart_timeout": -300}, "watchfrr_restart_timeout", "between 5 and 3600"),
    ({"watchfrr_restart_timeout": float("nan")}, "watchfrr_restart_timeout", "int"),
    ({"watchfrr_restart_timeout": float("inf")}, "watchfrr_restart_timeout", "finite"),
    ({"watchfrr_restart_timeout": "-inf"}, "watchfrr_restart_timeout", "finite"),
    ({"watchfrr_restart_timeout": 60, "restart_timeout": "Infinity"}, "restart_timeout", "finite"),
    ({"watchfrr_restart_timeout": "300s"}, "watchfrr_restart_timeout", "int"),
    ({"watchfrr_restart_timeout": "三百"}, "watchfrr_restart_timeout", "int"),
    ({"watchfrr_restart_timeout": [300]}, "watchfrr_restart_timeout", "int"),
    ({"watchfrr_restart_timeout": "300; reboot"}, "watchfrr_restart_timeout", "int"),
    ({"zebra_netlink_buffer": 1000}, "zebra_netlink_buffer", "between 4194304 and 1073741823"),
    ({"zebra_netlink_buffer": 2 ** 31}, "zebra_netlink_buffer", "between 4194304 and 1073741823"),
    ({"zebra_netlink_buffer": 1e308}, "zebra_netlink_buffer", ""),
    ({"zebra_netlink_buffer": ""}, "zebra_netlink_buffer", ""),
    ({"watchfrr_restart_timeout": 60, "restart_timeout": 0}, "restart_timeout", "between 1 and 3600"),
    ({"watchfrr_restart_timeout": 60, "restart_timeout": 10 ** 9}, "restart_timeout", "between 1 and 3600"),
    ({"watchfrr_restart_timeout": 60, "pathspace": "../x"}, "pathspace", "is not a plain name"),
    ({"watchfrr_restart_timeout": 60, "pathspace": "$(reboot)"}, "pathspace", "is not a plain name"),
    ({"watchfrr_restart_timeout": 60, "pathspace": "é"}, "pathspace", "is not a plain name"),
    ({"watchfrr_restart_timeout": 60, "pathspace": ""}, "pathspace", "empty string"),
    ({"watchfrr_restart_timeout": 60, "path": ""}, "path", "empty string"),
    ({"watchfrr_restart_timeout": 60, "path": "  "}, "path", "empty string"),
    ({"watchfrr_restart_timeout": 60, "root": ""}, "root", "empty string"),
    ({"watchfrr_restart_timeout": 60, "root": "ROOT/none"}, "root", "not a directory"),
    ({"watchfrr_restart_timeout": 60, "root": "ROOT/afile"}, "root", "not a directory"),
    ({"watchfrr_restart_timeout": 60, "root": "ROOT", "restart": True}, "root", "cannot be combined"),
    ({"watchfrr_restart_timeout": 60, "path": "ROOT/none"}, "path", "does not exist"),
    ({"watchfrr_restart_timeout": 60, "path": "ROOT/dangling"}, "path", "dangling symlink"),
    ({"watchfrr_restart_timeout": 60, "path": "ROOT/dir"}, "path", "is a directory"),
    ({"watchfrr_restart_timeout": 60, "path": "ROOT/latin1"}, "path", "not UTF-8"),
    ({"watchfrr_restart_timeout": 60, "root": "ROOT"}, "root", "does not exist"),
    ({"watchfrr_restart_timeout": 60, "root": "ROOT", "pathspace": "edge9"}, "pathspace edge9", "does not exist"),
    ({"watchfrr_restart_timeout": 60, "backup": "perhaps"}, "backup", "bool"),
]


@pytest.mark.parametrize("args, option, words", BAD_INPUT)
@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_input(run_module, daemons, tmp_path, exec_log, args, option, words, check_mode):
    """Failed, the option named, no traceback, nothing written and nothing run (issue 11)."""
    _tree_with_links(tmp_path)
    args = {k: (v.replace("ROOT", str(tmp_path)) if isinstance(v, str) else v) for k, v in args.items()}
    if "root" not in args and "pathspace" not in args:
        args.setdefault("path", str(daemons))
    before = snapshot.tree(str(tmp_path))
    res = run_module("frr_daemons_options", args, check_mode=check_mode)
    assert res.failed and option in res["msg"] and words in res["msg"], res["msg"]
    assert "Traceback" not in str(res) and "exception" not in res
    assert snapshot.tree(str(tmp_path)) == before
    assert exec_log.commands == [] and exec_log.signals == []


def test_missing_file_and_shell_expansion(run_module, tmp_path):
    res = run_module("frr_daemons_options", {"path": str(tmp_path / "nope"), "watchfrr_restart_timeout": 60})
    assert res.failed and "cannot read FRR's daemons file (path)" in res["msg"] and "does not exist" in res["msg"]
    p = tmp_path / "daemons"
    p.write_text('zebra_options="$ZEBRA_EXTRA -s 1000000"\n')
    res = run_module("frr_daemons_options", {"path": str(p), "zebra_netlink_buffer": 90000000})
    assert res.failed and "uses shell expansion" in res["msg"] and "edit it by hand" in res["msg"]
    assert p.read_text() == 'zebra_options="$ZEBRA_EXTRA -s 1000000"\n'


def test_bash_rejects_a_broken_file(run_module, tmp_path, exec_log):
    p = tmp_path / "daemons"
    p.write_text("bgpd=yes\nif true; then\n")  # a syntax error bash sees and we do not
    res = run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 60})
    assert res.failed and "did not pass the bash syntax check" in res["msg"] and "Nothing was written" in res["msg"]
    assert "syntax error: unexpected end of file" in res["msg"]    # bash's own words
    assert p.read_text() == "bgpd=yes\nif true; then\n"
    assert [c[1:] for c in exec_log.commands] == [["--norc", "--noprofile", "-n"]]


ROGUE = "bgpd=yes\ntouch {marker}\nwatchfrr_options=\"-T 20\"\n"


def test_check_mode_executes_nothing_and_writes_nothing(run_module, tmp_path, exec_log):
    """Issue 11, defect 5: check mode sourced the daemons file with bash, so a line in it ran."""
    marker = tmp_path / "ran"
    p = tmp_path / "daemons"
    p.write_text(ROGUE.format(marker=marker))
    before = snapshot.tree(str(tmp_path))
    res = run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 300,
                                             "zebra_netlink_buffer": 90000000}, check_mode=True, diff=True)
    assert res["changed"] and 'watchfrr_options="-T 300"' in res["diff"]["after"]
    assert exec_log.commands == [] and exec_log.signals == []
    assert snapshot.tree(str(tmp_path)) == before and not marker.exists()


def test_apply_checks_syntax_without_running_the_file(run_module, tmp_path, exec_log):
    """Issue 11, defect 5: the real run validates with bash -n (nothing executed), not by sourcing."""
    marker = tmp_path / "ran"
    p = tmp_path / "daemons"
    p.write_text(ROGUE.format(marker=marker))
    res = run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 300})
    assert res["changed"] and not res.failed
    assert p.read_text() == ROGUE.format(marker=marker).replace("-T 20", "-T 300")
    assert not marker.exists()
    assert [os.path.basename(c[0]) for c in exec_log.commands] == ["bash"]
    assert exec_log.commands[0][1:] == ["--norc", "--noprofile", "-n"]


def test_a_value_less_flag_is_completed_once(run_module, tmp_path):
    """Issue 11, defect 6: '-T' became '-T -T 300', then '-T 300 300'."""
    p = tmp_path / "daemons"
    p.write_text('watchfrr_options="-d -T"\n')
    res = run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 300})
    assert res["changes"] == {"watchfrr_options": {"before": "-d -T", "after": "-d -T 300"}}
    assert p.read_text() == 'watchfrr_options="-d -T 300"\n'
    res = run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 300})
    assert not res["changed"] and p.read_text() == 'watchfrr_options="-d -T 300"\n'
    run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 400})
    assert p.read_text() == 'watchfrr_options="-d -T 400"\n'


def test_crlf_file_keeps_every_byte(run_module, tmp_path):
    p = tmp_path / "daemons"
    text = open(FIXTURE).read().replace("\n", "\r\n")
    p.write_bytes(text.encode())
    res = run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 300})
    assert res["changed"]
    after = p.read_bytes().decode()
    assert after == text.replace('#watchfrr_options=""\r\n', '#watchfrr_options=""\r\nwatchfrr_options="-T 300"\r\n')
    assert open(res["backup_file"], "rb").read() == text.encode()


def test_symlink_is_edited_at_its_target(run_module, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    target = real / "daemons"
    target.write_text(open(FIXTURE).read())
    link = tmp_path / "daemons"
    os.symlink(str(target), str(link))
    res = run_module("frr_daemons_options", {"path": str(link), "watchfrr_restart_timeout": 300})
    assert res["changed"] and os.path.islink(str(link)) and os.readlink(str(link)) == str(target)
    assert 'watchfrr_options="-T 300"' in target.read_text()
    assert os.path.dirname(res["backup_file"]) == str(real)


def _fake_root(tmp_path, pathspace=None, watchfrr_argv=("-d", "-T", "120")):
    """A root with a daemons file and a 'running' watchfrr (pid file + /proc/PID/cmdline)."""
    etc = tmp_path / "etc" / "frr" / (pathspace or "")
    run = tmp_path / "var" / "run" / "frr" / (pathspace or "")
    etc.mkdir(parents=True)
    run.mkdir(parents=True)
    (etc / "daemons").write_text(open(FIXTURE).read())
    (run / "watchfrr.pid").write_text("4242\n")
    # frrinit.sh starts a pathspace's watchfrr with -N NAME: procfs proves the pid is that one
    fake_process(tmp_path, 4242, ["/usr/lib/frr/watchfrr"] + list(watchfrr_argv) + (["-N", pathspace] if pathspace else []))
    return etc / "daemons"


def test_root_is_honoured_for_the_file_and_the_running_daemons(run_module, tmp_path, exec_log):
    path = _fake_root(tmp_path, pathspace="edge1")
    res = run_module("frr_daemons_options", {"root": str(tmp_path), "pathspace": "edge1",
                                             "watchfrr_restart_timeout": 300}, check_mode=True)
    assert res["path"] == str(path) and res["changed"]
    assert res["running"] == {"watchfrr_restart_timeout": 120, "zebra_netlink_buffer": None}
    assert res["restart_needed"] is True and exec_log.commands == []


def test_restart_command(tmp_path):
    assert settings.restart_argv(str(tmp_path), "edge1") == ["/usr/lib/frr/frrinit.sh", "restart", "edge1"]
    assert settings.restart_argv(str(tmp_path), None) == ["/usr/lib/frr/frrinit.sh", "restart"]
    (tmp_path / "run" / "systemd" / "system").mkdir(parents=True)
    assert settings.restart_argv(str(tmp_path), None) == ["systemctl", "restart", "frr"]
