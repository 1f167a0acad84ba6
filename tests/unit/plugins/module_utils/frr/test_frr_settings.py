"""watchfrr -T and zebra -s: the values the audit and frr_daemons_options read, and plan / apply / verify."""

import dataclasses
import os

import pytest
from support.fakes import FakeRunner, fixture
from support.procs import fake_process

from ansible_collections.netmedic.network.plugins.module_utils.frr import daemons_file, settings
from ansible_collections.netmedic.network.plugins.module_utils.frr.processes import daemon_process
from ansible_collections.netmedic.network.plugins.module_utils.frr.settings import (
    WATCHFRR_RESTART_TIMEOUT as T, ZEBRA_NETLINK_BUFFER as S)


def values(text, setting):
    return settings.in_file(daemons_file.parse_assignments(text), setting)


def test_values_in_the_daemons_file():
    v = values('watchfrr_options="-d -T 40"\n', T)
    assert (v.given, v.readable, v.effective, v.assumed) == (40, True, 40, 40)
    v = values("bgpd=yes\n", T)                                # not set: the binary's default
    assert (v.given, v.readable, v.effective, v.assumed) == (None, True, 20, 20)
    v = values('zebra_options="-s lots"\n', S)                 # set, but not a number
    assert (v.given, v.readable, v.effective, v.assumed) == (None, False, None, 4194304)
    v = values('zebra_options="$EXTRA -s 1"\n', S)             # only a shell knows
    assert (v.given, v.readable, v.effective) == (None, False, None)
    assert settings.file_values(fixture("daemons.debian")) == {"watchfrr_restart_timeout": 20,
                                                               "zebra_netlink_buffer": 90000000}


def test_values_of_the_running_daemons(tmp_path):
    run = tmp_path / "var" / "run" / "frr"
    run.mkdir(parents=True)
    (run / "watchfrr.pid").write_text("4242\n")
    fake_process(tmp_path, 4242, ["/usr/lib/frr/watchfrr", "-d", "-T"])
    watchfrr = daemon_process(str(tmp_path), None, "watchfrr")
    v = settings.in_process(watchfrr, T)                       # '-T' without its value
    assert (v.given, v.readable, v.effective, v.assumed) == (None, False, None, 20)
    assert settings.in_process(daemon_process(str(tmp_path), None, "zebra"), S) is None   # not running
    running = settings.running_values(str(tmp_path), None)
    assert running == {"watchfrr_restart_timeout": None, "zebra_netlink_buffer": None}
    fake_process(tmp_path, 4242, ["/usr/lib/frr/watchfrr", "-d", "--restart-timeout=90"])
    assert settings.running_values(str(tmp_path), None)["watchfrr_restart_timeout"] == 90
    assert settings.restart_needed({"a": 90, "b": None}, {"a": 300, "b": 1}) is True
    assert settings.restart_needed({"a": 300, "b": None}, {"a": 300, "b": 1}) is False


def _root(tmp_path, watchfrr_argv=("-d",)):
    etc, run = tmp_path / "etc" / "frr", tmp_path / "var" / "run" / "frr"
    etc.mkdir(parents=True)
    run.mkdir(parents=True)
    (etc / "daemons").write_text(fixture("daemons.debian"))
    (run / "watchfrr.pid").write_text("4242\n")
    fake_process(tmp_path, 4242, ["/usr/lib/frr/watchfrr"] + list(watchfrr_argv))
    return etc / "daemons"


class NoCommands:
    def __call__(self, argv, **kw):
        raise AssertionError("ran %s" % argv)


def test_plan_apply_verify_in_check_mode_runs_and_writes_nothing(tmp_path):
    path = _root(tmp_path)
    before = path.read_text()
    request = settings.Request(watchfrr_restart_timeout=300, root=str(tmp_path))
    planned = settings.plan(request)
    assert planned.path == str(path) and planned.changes == {"watchfrr_options": {"before": None, "after": "-T 300"}}
    out = settings.apply(planned, request, NoCommands(), check_mode=True)
    assert out.changed and out.backup_file is None and path.read_text() == before
    assert out.running == {"watchfrr_restart_timeout": 20, "zebra_netlink_buffer": None} and out.restart_needed
    assert out.result() == {"changed": True, "path": str(path), "changes": planned.changes, "restarted": False,
                            "running": out.running, "restart_needed": True}


def test_apply_writes_after_bash_n_and_restarts_only_when_asked(tmp_path):
    path = _root(tmp_path)
    request = settings.Request(watchfrr_restart_timeout=300, root=str(tmp_path))
    planned = settings.plan(request)     # (plan refuses restart=true under another root: the host's FRR restarts)
    runner = FakeRunner({"bash --norc --noprofile -n": "", "frrinit.sh restart": ""})
    out = settings.apply(planned, dataclasses.replace(request, restart=True, restart_timeout=60), runner)
    assert 'watchfrr_options="-T 300"' in path.read_text() and os.path.exists(out.backup_file)
    # frrinit.sh's output to a file (FRR 10's daemons keep a pipe open forever), not to the runner's pipe
    log = os.path.join(str(tmp_path), "var/run/frr", settings.RESTART_LOG)
    assert runner.calls == ["bash --norc --noprofile -n",
                            'sh -c log=$1; shift; "$@" </dev/null >"$log" 2>&1 sh %s /usr/lib/frr/frrinit.sh restart'
                            % (log if os.path.isdir(os.path.dirname(log)) else os.devnull)]
    assert out.restarted     # (the fake watchfrr still runs with the default: a restart is still needed)
    again = settings.ensure(request, runner=NoCommands())
    assert not again.changed and not again.restarted


def test_a_failed_restart_says_what_was_done(tmp_path):
    _root(tmp_path)
    request = settings.Request(zebra_netlink_buffer=180000000, root=str(tmp_path), backup=False)
    runner = FakeRunner({"bash": "", "frrinit.sh restart": (1, "", "zebra failed to start")})
    with pytest.raises(settings.SettingsError, match="changed but the FRR restart failed: .*zebra failed") as err:
        settings.apply(settings.plan(request), dataclasses.replace(request, restart=True), runner)
    assert err.value.data["changed"] is True and err.value.data["restarted"] is False
    assert "backup_file" not in err.value.data


@pytest.mark.parametrize("request_args, words", [
    ({"root": ""}, "root is an empty string"),
    ({"pathspace": "../x"}, "pathspace: FRR pathspace '../x' is not a plain name"),
    ({"restart": True}, "cannot be combined with root="),
    ({"pathspace": "edge9"}, "cannot read FRR's daemons file (pathspace edge9): "),
])
def test_plan_names_the_option(tmp_path, request_args, words):
    _root(tmp_path)
    request = settings.Request(**dict({"watchfrr_restart_timeout": 300, "root": str(tmp_path)}, **request_args))
    with pytest.raises(settings.SettingsError) as err:
        settings.plan(request)
    assert words in str(err.value)
