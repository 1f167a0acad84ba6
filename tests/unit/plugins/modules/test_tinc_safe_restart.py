"""tinc_safe_restart through run_module: bad input, check mode, and the pid it may touch (issue 11).

A "fake tincd" is a copy of perl named ``tincd`` (so its /proc/PID/exe and
comm say tincd) sleeping with ``-n NET`` on its command line; the real tincd
runs in tests/integration/tinc.
"""

import json
import math
import os
import shutil
import subprocess
import threading

import pytest
import yaml

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback as CORE_ROLLBACK
from ansible_collections.netmedic.network.plugins.doc_fragments import rollback as rollback_fragment
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RANGES
from ansible_collections.netmedic.network.plugins.modules import tinc_safe_restart as M

from support import snapshot
from support.procs import wait_exec

NET = "nmfake"   # no real tinc network of the labs has this name
READ_ONLY = (["ip", "-j", "-d", "link", "show"], ["systemctl", "show"])


def started(proc, comm):
    wait_exec(proc.pid, comm)
    return proc


@pytest.fixture
def host(tmp_path):
    """A tinc network's config dir, pidfile dir and a place for binaries (paths only, nothing runs yet)."""
    conf = tmp_path / "etc" / NET
    (conf / "hosts").mkdir(parents=True)
    (conf / "tinc.conf").write_text("Name = a\r\nMode = switch\r\nDeviceType = tap\r\nInterface = nmfk0\r\n")
    (tmp_path / "run").mkdir()
    (tmp_path / "bin").mkdir()
    return tmp_path


@pytest.fixture
def spawn(host):
    """``spawn(argv)`` starts a process (``tincd`` as argv[0] means the fake tincd); all are killed afterwards."""
    procs = []

    def start(argv):
        if argv[0] == "tincd":
            perl = shutil.which("perl")
            if perl is None:
                pytest.skip("perl is needed for the fake tincd")
            exe = str(host / "bin" / "tincd")
            if not os.path.exists(exe):
                shutil.copy(perl, exe)
            argv = [exe, "-e", "sleep 300", "--"] + argv[1:]
        proc = started(subprocess.Popen(argv), os.path.basename(argv[0]))
        procs.append(proc)
        return proc

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def args_for(host, **extra):
    args = {"netname": NET, "config_dir": str(host / "etc" / NET), "pidfile": str(host / "run" / "tinc.pid"),
            "service": "plain", "precheck": 0, "storm_watch": 0, "wait_timeout": 2, "stop_timeout": 1}
    args.update(extra)
    return args


def ours(procs):
    """The processes snapshot, limited to ours (other tests and helpers run processes on this machine)."""
    pids = {p.pid for p in procs}
    return {pid: v for pid, v in snapshot.processes().items() if pid in pids}


def only_read_only(commands):
    for argv in commands:
        argv = [os.path.basename(argv[0])] + argv[1:]
        assert any(argv[:len(r)] == r for r in READ_ONLY), argv


def no_traceback(res):
    text = json.dumps(res)
    assert "Traceback" not in text and "exception" not in res and "unexpected error" not in text


# ---------------------------------------------------------------- bad input

NAN, INF = math.nan, math.inf
BAD = [
    ({"wait_timeout": NAN}, "wait_timeout"), ({"wait_timeout": INF}, "wait_timeout"),
    ({"wait_timeout": 1e308}, "wait_timeout"), ({"wait_timeout": -1}, "wait_timeout"), ({"wait_timeout": 0}, "wait_timeout"),
    ({"wait_timeout": "soon"}, "wait_timeout"), ({"wait_timeout": [1]}, "wait_timeout"),
    ({"stop_timeout": NAN}, "stop_timeout"), ({"stop_timeout": -INF}, "stop_timeout"),
    ({"storm_watch": INF}, "storm_watch"), ({"precheck": NAN}, "precheck"), ({"precheck": -0.5}, "precheck"),
    ({"storm_arp_rate": NAN}, "storm_arp_rate"), ({"storm_arp_rate": -1}, "storm_arp_rate"),
    ({"storm_packet_rate": 1e308}, "storm_packet_rate"), ({"storm_kernel_messages": -1}, "storm_kernel_messages"),
    ({"storm_kernel_messages": 10 ** 12}, "storm_kernel_messages"),
    ({"capture_seconds": NAN}, "capture_seconds"), ({"capture_seconds": 3}, "capture_seconds"),
    ({"capture_packets": 0}, "capture_packets"), ({"capture_packets": 10 ** 12}, "capture_packets"),
    ({"netname": ""}, "netname"), ({"netname": "t3o;reboot"}, "netname"), ({"netname": "$(reboot)"}, "netname"),
    ({"netname": "t\u00efnc"}, "netname"), ({"netname": "../etc"}, "netname"), ({"netname": "a b"}, "netname"),
    ({"interface": ""}, "interface"), ({"interface": "a/b"}, "interface"), ({"interface": "x" * 16}, "interface"),
    ({"interface": "\u00e9" * 8}, "interface"), ({"interface": "eth\x00"}, "interface"),
    ({"bridge": "br int"}, "bridge"), ({"bridge": ""}, "bridge"), ({"bridge": "br\n0"}, "bridge"),
    ({"peers": ["../../etc/shadow"]}, "peers"), ({"peers": ["a b"]}, "peers"), ({"peers": [""]}, "peers"),
    ({"probe_addresses": ["-f"]}, "probe_addresses"), ({"probe_addresses": ["10.0.0.1; reboot"]}, "probe_addresses"),
    ({"probe_addresses": [""]}, "probe_addresses"),
    ({"tincd_command": [""]}, "tincd_command"), ({"tincd_command": ["tincd", "-n\x00x"]}, "tincd_command"),
    ({"config_dir": ""}, "config_dir"), ({"pidfile": ""}, "pidfile"), ({"diagnostics_dir": ""}, "diagnostics_dir"),
    ({"mode": "bounce"}, "mode"), ({"service": "upstart"}, "service"), ({"tinc_dump": "perhaps"}, "tinc_dump"),
]


@pytest.mark.parametrize("bad,option", BAD, ids=["%s=%r" % next(iter(case[0].items())) for case in BAD])
def test_bad_input_names_the_option_and_touches_nothing(run_module, host, exec_log, bad, option):
    before = snapshot.tree(str(host))
    res = run_module("tinc_safe_restart", args_for(host, **bad))
    assert res.failed and option in res["msg"], res["msg"]
    no_traceback(res)
    assert exec_log.commands == [] and exec_log.signals == []
    assert snapshot.tree(str(host)) == before


def _make(host, what):
    if what == "file":
        (host / "afile").write_text("x")
        return str(host / "afile")
    if what == "dir":
        return str(host / "run")
    os.mkfifo(str(host / "fifo"))
    return str(host / "fifo")


def _feed_fifo(path):
    """Open and close the FIFO's write end: a reader blocked on it gets end-of-file (no pid at all)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # nobody is blocked reading it
        pass


@pytest.mark.parametrize("option,what,words", [
    ("config_dir", "file", "is not a directory"),
    ("pidfile", "dir", "is a directory"),
    ("pidfile", "fifo", "is not a regular file"),
    ("diagnostics_dir", "file", "is not a writable directory"),
])
def test_paths_of_the_wrong_kind(run_module, host, exec_log, option, what, words):
    path = _make(host, what)
    before = snapshot.tree(str(host))
    # d2fbd92 opened a FIFO pidfile for a blocking read and hung: unblock such a reader after 5 s
    # so a regression fails here instead of hanging the suite.
    unblock = threading.Timer(5, _feed_fifo, [path]) if what == "fifo" else None
    if unblock:
        unblock.start()
    try:
        res = run_module("tinc_safe_restart", args_for(host, **{option: path}))
    finally:
        if unblock:
            unblock.cancel()
    assert res.failed and res["msg"].startswith("%s %r %s" % (option, path, words)), res["msg"]
    no_traceback(res)
    assert exec_log.commands == [] and exec_log.signals == [] and snapshot.tree(str(host)) == before


def test_missing_config_dir_is_a_sentence(run_module, host, exec_log):
    res = run_module("tinc_safe_restart", args_for(host, config_dir=str(host / "nope")))
    assert res.failed and "no tinc.conf in" in res["msg"] and "config_dir" in res["msg"]
    assert res["state_left"] == "nothing was changed" and res["changed"] is False
    only_read_only(exec_log.commands)
    assert exec_log.signals == []


# ---------------------------------------------------------------- the pid it may touch

def test_stale_pidfile_naming_a_sleep_refuses_and_the_sleep_lives(run_module, host, spawn, exec_log):
    """issue 11 defect 2, through the module: the sleep got SIGTERM and 'sleep 300' was run as tincd."""
    sleeper = spawn(["sleep", "300"])
    (host / "run" / "tinc.pid").write_text("%d\n" % sleeper.pid)
    procs_before, tree_before = ours([sleeper]), snapshot.tree(str(host))
    exec_log.commands.clear()  # (the test's own spawn)
    res = run_module("tinc_safe_restart", args_for(host))
    assert res.failed and "refusing to touch tinc network nmfake" in res["msg"]
    assert "names pid %d, which is" % sleeper.pid in res["msg"] and "(sleep 300), not tincd" in res["msg"]
    no_traceback(res)
    assert exec_log.signals == [] and ours([sleeper]) == procs_before and sleeper.poll() is None
    only_read_only(exec_log.commands)
    assert snapshot.tree(str(host)) == tree_before


def test_pidfile_symlinked_to_another_networks_pidfile(run_module, host, spawn, exec_log):
    mine = spawn(["tincd", "-n", NET])
    other = spawn(["tincd", "-n", "nmother"])
    (host / "run" / "other.pid").write_text("%d\n" % other.pid)
    os.symlink(str(host / "run" / "other.pid"), str(host / "run" / "tinc.pid"))
    before = ours([mine, other])
    exec_log.commands.clear()
    res = run_module("tinc_safe_restart", args_for(host, mode="reload"))
    assert res.failed and "names pid %d" % other.pid in res["msg"] and "not tincd of network nmfake" in res["msg"]
    assert "-n nmother" in res["msg"]
    assert exec_log.signals == [] and ours([mine, other]) == before
    only_read_only(exec_log.commands)


@pytest.mark.parametrize("mode", ["restart", "reload"])
def test_check_mode_looks_only(run_module, host, spawn, exec_log, mode):
    daemon = spawn(["tincd", "-n", NET])
    (host / "run" / "tinc.pid").write_text("%d\n" % daemon.pid)
    procs_before, tree_before = ours([daemon]), snapshot.tree(str(host))
    exec_log.commands.clear()
    res = run_module("tinc_safe_restart", args_for(host, mode=mode), check_mode=True, diff=True)
    assert not res.failed, res["msg"]
    assert res["changed"] is True and res["state_left"] == "nothing was changed (check mode)"
    # issue 17: the run's length is in the result (the role polls it as an async job)
    assert isinstance(res["duration"], float) and 0 <= res["duration"] < 60
    assert res["before"]["pid"] == daemon.pid and res["before"]["running"] is True
    if mode == "reload":
        assert res["plan"][0].startswith("send SIGHUP to tincd pid %d" % daemon.pid)
    else:
        assert res["plan"][0].startswith("stop tincd pid %d (SIGTERM" % daemon.pid)
        assert res["plan"][1] == "start: %s -e sleep 300 -- -n %s" % (host / "bin" / "tincd", NET)
    assert "pid: %d" % daemon.pid in res["diff"]["before"]
    assert exec_log.signals == [] and ours([daemon]) == procs_before
    only_read_only(exec_log.commands)
    assert snapshot.tree(str(host)) == tree_before


# ---------------------------------------------------------------- documentation

def test_documentation_matches_argument_spec(argument_spec):
    captured = argument_spec("tinc_safe_restart")
    doc = yaml.safe_load(M.DOCUMENTATION)["options"]
    doc.update(yaml.safe_load(rollback_fragment.ModuleDocFragment.DOCUMENTATION)["options"])  # rollback_window, _settle
    assert set(doc) == set(captured)
    for name, spec in captured.items():
        d = doc[name]
        assert d.get("type", "str") == spec.get("type", "str"), name
        assert d.get("default") == spec.get("default"), name
        assert d.get("choices") == spec.get("choices"), name
        assert d.get("elements") == spec.get("elements"), name
        assert bool(d.get("required")) == bool(spec.get("required")), name
    numeric = {n for n, spec in captured.items() if spec.get("type") in ("int", "float")}
    assert numeric == set(RANGES) | set(CORE_ROLLBACK.RANGES), "every numeric option needs a range (issue 11)"
    yaml.safe_load(M.EXAMPLES)
    yaml.safe_load(M.RETURN)
