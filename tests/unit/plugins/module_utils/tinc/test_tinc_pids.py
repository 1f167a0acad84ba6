"""tinc_safe_restart acts only on a pid proved to be the network's tincd (issue 11, defect 2).

On d2fbd92 a stale pidfile naming a ``sleep`` got that sleep SIGTERM, and its
command line became "the tincd command" to start again.  Real processes here
(a ``sleep``); the real tincd is tests/integration/tinc.
"""

import math
import os
import subprocess
import threading

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc import daemon
from ansible_collections.netmedic.network.plugins.module_utils.tinc import pidfile
from ansible_collections.netmedic.network.plugins.module_utils.tinc import run as R
from ansible_collections.netmedic.network.plugins.module_utils.tinc import state as S
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed, TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.inspection import inspect
from ansible_collections.netmedic.network.plugins.module_utils.tinc.kernel_log import parse_kmsg
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RestartOptions
from ansible_collections.netmedic.network.plugins.module_utils.tinc.restart import safe_restart
from ansible_collections.netmedic.network.plugins.module_utils.tinc.storm import StormThresholds

from support.procs import wait_exec
from test_tinc_logic import fake_host, links_runner, write

TINC_PACKAGE = os.path.dirname(R.__file__)


@pytest.fixture
def sleeper():
    proc = subprocess.Popen(["sleep", "300"])
    wait_exec(proc.pid, "sleep")
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def bridged_links(ifname):
    return [{"ifname": ifname, "flags": ["UP"], "master": "br-int",
             "linkinfo": {"info_kind": "tun", "info_slave_kind": "bridge"}},
            {"ifname": "br-int", "flags": ["UP"], "linkinfo": {"info_kind": "bridge"}}]


def test_stale_pidfile_naming_a_sleep_is_refused_and_nothing_is_touched(tmp_path, sleeper, exec_log):
    conf = write(tmp_path, "etc/tinc/nmfake/tinc.conf", "Name = a\nMode = switch\nInterface = nmfk0\nConnectTo = b\n")
    pidfile = write(tmp_path, "run/tinc.nmfake.pid", "%d\n" % sleeper.pid)
    before = procfs.read(sleeper.pid)
    runner = links_runner(bridged_links("nmfk0"))
    opts = RestartOptions(netname="nmfake", config_dir=os.path.dirname(conf), pidfile=pidfile, service="plain",
                          wait_timeout=2, stop_timeout=1, precheck=0, storm_watch=0)
    rep = safe_restart(opts, runner=runner)
    assert rep.ok is False and rep.changed is False and rep.state_left == "nothing was changed"
    assert rep.msg.startswith("refusing to touch tinc network nmfake: the pidfile %s names pid %d, which is "
                              % (pidfile, sleeper.pid))
    assert "(sleep 300), not tincd of network nmfake" in rep.msg and "remove it" in rep.msg
    assert exec_log.signals == [] and sleeper.poll() is None
    assert procfs.read(sleeper.pid).start_time == before.start_time
    assert [c for c in runner.calls if not c.startswith("ip -j")] == []  # no detach, no start
    assert rep.before["running"] is False and rep.before["cmdline"] == []


def test_pidfile_linked_to_another_networks_pidfile_is_refused(tmp_path):
    """A symlinked pidfile naming a live tincd of another network: also not ours, also in check mode."""
    runner = fake_host(tmp_path, running=False)
    write(tmp_path, "proc/77/stat", "77 (tincd) S 1 1")
    write(tmp_path, "proc/77/comm", "tincd\n")
    write(tmp_path, "proc/77/cmdline", "tincd\0-n\0other\0")
    write(tmp_path, "run/tinc.other.pid", "77\n")
    os.unlink(str(tmp_path / "run/tinc.t3o.pid"))
    os.symlink(str(tmp_path / "run/tinc.other.pid"), str(tmp_path / "run/tinc.t3o.pid"))
    st = S.discover("t3o", runner, root=str(tmp_path))
    assert st.running is False and st.pid is None
    assert st.pid_problem == "the pidfile %s/run/tinc.t3o.pid names pid 77, which is tincd (tincd -n other), not " \
                             "tincd of network t3o" % tmp_path
    rep = safe_restart(RestartOptions(netname="t3o", root=str(tmp_path)), check_mode=True, runner=runner)
    assert rep.ok is False and "refusing to touch tinc network t3o" in rep.msg and rep.plan == []


def test_the_real_tincd_is_still_found_when_the_pidfile_is_stale(tmp_path):
    """The audit keeps working: the daemon is found in /proc; only the module refuses to act."""
    runner = fake_host(tmp_path, pid=4242)
    write(tmp_path, "proc/55/stat", "55 (sleep) S 1 1")
    write(tmp_path, "proc/55/comm", "sleep\n")
    write(tmp_path, "proc/55/cmdline", "sleep\x00300\x00")
    write(tmp_path, "run/tinc.t3o.pid", "55\n")
    st = S.discover("t3o", runner, root=str(tmp_path))
    assert (st.pid, st.running, st.cmdline) == (4242, True, ["tincd", "-n", "t3o"])
    assert "names pid 55, which is sleep (sleep 300)" in st.pid_problem


def test_a_reused_pid_is_not_signalled_on_stop(tmp_path, sleeper, exec_log):
    """Between inspection and SIGTERM the daemon exited and its pid went to another process."""
    runner = fake_host(tmp_path)
    run = R.Run(RestartOptions(netname="t3o", root="/", config_dir=str(tmp_path / "etc/tinc/t3o"),
                               pidfile=str(tmp_path / "none.pid"), stop_timeout=1), runner=runner)
    inspect(run)
    now = procfs.read(sleeper.pid)
    run.state.set_process(procfs.ProcessInfo(pid=sleeper.pid, comm="tincd", argv=("tincd", "-n", "t3o"),
                                             exe="/usr/sbin/tincd", state="S", start_time=now.start_time - 7))
    daemon.stop(run)
    assert exec_log.signals == [] and sleeper.poll() is None
    assert run.report.steps[-1]["detail"] == "tincd pid %d exited" % sleeper.pid


def test_reload_signals_through_the_identity(tmp_path, sleeper, exec_log):
    """SIGHUP goes to the identified process only; a mismatch is an error and nothing is sent."""
    runner = fake_host(tmp_path)
    run = R.Run(RestartOptions(netname="t3o", mode="reload", root="/", config_dir=str(tmp_path / "etc/tinc/t3o"),
                               pidfile=str(tmp_path / "none.pid")), runner=runner)
    now = procfs.read(sleeper.pid)
    run.state = S.TincState(netname="t3o", config_dir=str(tmp_path / "etc/tinc/t3o"), interface="t3o")
    run.state.set_process(procfs.ProcessInfo(pid=sleeper.pid, comm="tincd", argv=("tincd",), state="S",
                                             start_time=now.start_time + 3))
    with pytest.raises(RestartFailed, match="did not send SIGHUP to pid %d: .* another process" % sleeper.pid):
        daemon.reload(run)
    assert exec_log.signals == [] and sleeper.poll() is None


@pytest.mark.parametrize("name,value", [
    ("wait_timeout", math.nan), ("wait_timeout", math.inf), ("wait_timeout", 1e308), ("stop_timeout", math.nan),
    ("stop_timeout", -1.0), ("storm_watch", math.inf), ("precheck", math.nan), ("capture_seconds", -0.1),
    ("capture_packets", 0),
])
def test_non_finite_and_out_of_range_waits_are_refused_without_ansible(name, value):
    """issue 11: wait_timeout=nan reached the loops (every deadline comparison false)."""
    with pytest.raises(TincStateError, match="^%s must be" % name):
        RestartOptions(netname="t3o", **{name: value}).validate()


@pytest.mark.parametrize("threshold,value", [("arp_rate", math.nan), ("packet_rate", -1.0),
                                             ("kernel_messages", -1)])
def test_storm_thresholds_are_checked_under_their_option_names(threshold, value):
    th = StormThresholds(**{threshold: value})
    with pytest.raises(TincStateError, match="^storm_%s must be" % threshold):
        RestartOptions(netname="t3o", thresholds=th).validate()


def test_deadlines_refuse_non_finite_waits():
    """The loops guard themselves too: module_utils are callable without the module's checks."""
    assert R.deadline(10.0, 2) == 12.0
    for bad in (math.nan, math.inf, -1.0, "5"):
        with pytest.raises(TincStateError, match="not a finite, non-negative number"):
            R.deadline(0.0, bad)


def test_pidfile_reader_survives_fifo_binary_and_huge_files(tmp_path):
    fifo = str(tmp_path / "fifo.pid")
    os.mkfifo(fifo)
    result = []
    reader = threading.Thread(target=lambda: result.append(pidfile.read_pidfile(fifo)), daemon=True)
    reader.start()
    reader.join(5)  # d2fbd92 opened it for a blocking read: the play hung there for good
    assert result == [None], "read_pidfile blocked on a FIFO"
    assert pidfile.read_pidfile(write(tmp_path, "bin.pid", "\xff\xfe123")) is None
    assert pidfile.read_pidfile(write(tmp_path, "crlf.pid", "123\r\n")) == 123
    assert pidfile.read_pidfile(str(tmp_path)) is None
    assert pidfile.parse_pidfile("0\n") is None and pidfile.parse_pidfile("-5") is None and \
        pidfile.parse_pidfile("\u00b2") is None


def test_signal_module_does_not_bypass_procfs():
    """No file of the tinc area calls os.kill or reads /proc itself: signals and /proc go through procfs."""
    names = sorted(f for f in os.listdir(TINC_PACKAGE) if f.endswith(".py"))
    assert len(names) > 20
    for name in names:
        with open(os.path.join(TINC_PACKAGE, name)) as fh:
            source = fh.read()
        assert "os.kill(" not in source and '"proc"' not in source, name


def test_a_kernel_record_with_a_huge_timestamp_is_skipped():
    """Found reviewing parse_kmsg: int / 1e6 raises OverflowError past ~308 digits."""
    assert parse_kmsg("4,1," + "9" * 400 + ",-;br-int: x") is None
    assert parse_kmsg("4,1,2000000,-;br-int: x").seconds == 2.0
