"""frr_daemons_options in-process on a copy of Debian's daemons file (bash checks the result for real)."""

import os

import pytest

from ansible_collections.netmedic.network.plugins.modules import frr_daemons_options as M

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils", "fixtures",
                       "nmaud", "daemons.debian")


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


@pytest.mark.parametrize("args, msg", [
    ({}, "one of the following is required"),
    ({"watchfrr_restart_timeout": 2}, "between 5 and 3600 seconds"),
    ({"zebra_netlink_buffer": 1000}, "between 1048576 (1 MiB) and 2147483647 bytes"),
    ({"watchfrr_restart_timeout": 60, "pathspace": "../x"}, "is not a plain name"),
    ({"watchfrr_restart_timeout": 60, "restart_timeout": 0}, "restart_timeout must be a positive"),
])
def test_bad_input(run_module, daemons, args, msg):
    args.setdefault("path", str(daemons))
    res = run_module("frr_daemons_options", args)
    assert res.failed and msg in res["msg"]


def test_missing_file_and_shell_expansion(run_module, tmp_path):
    res = run_module("frr_daemons_options", {"path": str(tmp_path / "nope"), "watchfrr_restart_timeout": 60})
    assert res.failed and "cannot edit FRR's daemons file" in res["msg"] and "no such file" in res["msg"]
    p = tmp_path / "daemons"
    p.write_text('zebra_options="$ZEBRA_EXTRA -s 1000000"\n')
    res = run_module("frr_daemons_options", {"path": str(p), "zebra_netlink_buffer": 90000000})
    assert res.failed and "uses shell expansion" in res["msg"] and "edit it by hand" in res["msg"]
    assert p.read_text() == 'zebra_options="$ZEBRA_EXTRA -s 1000000"\n'


def test_bash_rejects_a_broken_file(run_module, tmp_path):
    p = tmp_path / "daemons"
    p.write_text("bgpd=yes\nif true; then\n")  # a syntax error bash sees and we do not
    res = run_module("frr_daemons_options", {"path": str(p), "watchfrr_restart_timeout": 60})
    assert res.failed and "did not pass the bash check, nothing written" in res["msg"]
    assert p.read_text() == "bgpd=yes\nif true; then\n"


def test_restart_command():
    assert M._restart_argv("edge1") == ["/usr/lib/frr/frrinit.sh", "restart", "edge1"]
