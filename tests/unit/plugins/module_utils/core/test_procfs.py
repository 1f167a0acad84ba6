"""procfs: reading /proc, proving which daemon a pid is, signalling only that one (issue 11).

Real processes (a ``sleep``, copies of a binary under a daemon's name) where
the kernel is needed; fake /proc trees for the parsing rules.
"""

import os
import shutil
import signal
import subprocess

import pytest
from support.procs import stat_line, wait_exec

from ansible_collections.netmedic.network.plugins.module_utils.frr import processes as fd
from ansible_collections.netmedic.network.plugins.module_utils.core import procfs

TINCD = procfs.Expected("tincd", "tincd of network t3o", lambda argv: "t3o" in argv)


def write(root, rel, data):
    path = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.fixture
def sleeper():
    """A real process that is certainly not a daemon of ours; killed after the test if still there."""
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


# ---------------------------------------------------------------- parsing

def test_parse_stat_of_a_real_process_and_odd_names():
    with open("/proc/self/stat", "rb") as fh:
        st = procfs.parse_stat(fh.read())
    assert st.state in "RS" and st.start_time > 0
    odd = procfs.parse_stat(stat_line(7, "a) (b c").encode())
    assert (odd.comm, odd.state, odd.start_time) == ("a) (b c", "S", 12345)
    for garbage in (b"", b"7 (x", b"7 (x) S 1 2", b"no parens at all", b"7 (x) \xff " + b"1 " * 30):
        assert procfs.parse_stat(garbage) is None


def test_parse_cmdline_and_argv_option():
    assert procfs.parse_cmdline(b"tincd\0-n\0t3o\0\0--pidfile=/r/x.pid\0") == ("tincd", "-n", "t3o", "--pidfile=/r/x.pid")
    assert procfs.parse_cmdline(b"\xff\0") == ("\ufffd",)
    argv = ["tincd", "-nt3o", "--config", "/etc/tinc/t3o", "--logfile=/var/log/t.log"]
    assert procfs.argv_option(argv, "net", "n") == "t3o"
    assert procfs.argv_option(argv, "config", "c") == "/etc/tinc/t3o"
    assert procfs.argv_option(argv, "logfile") == "/var/log/t.log"
    assert procfs.argv_option(["tincd", "-n"], "net", "n") is None


# ---------------------------------------------------------------- identification (fake trees)

def test_identify_on_a_fake_tree_uses_comm_when_exe_is_unreadable(tmp_path):
    write(tmp_path, "proc/10/stat", stat_line(10, "tincd"))
    write(tmp_path, "proc/10/comm", "tincd\n")
    write(tmp_path, "proc/10/cmdline", b"tincd\0-n\0t3o\0")
    info = procfs.identify(10, TINCD, str(tmp_path))
    assert isinstance(info, procfs.ProcessInfo) and info.start_time == 12345 and info.exe is None
    other = procfs.identify(10, procfs.Expected("tincd", "tincd of network x", lambda a: "x" in a), str(tmp_path))
    assert isinstance(other, procfs.NotOurs) and other.running
    assert other.reason == "pid 10 is tincd (tincd -n t3o), not tincd of network x"


def test_exe_decides_over_comm_and_argv0(tmp_path):
    """Anything can call itself tincd (prctl, argv[0]); /proc/PID/exe is what the kernel ran."""
    write(tmp_path, "proc/11/stat", stat_line(11, "tincd"))
    write(tmp_path, "proc/11/comm", "tincd\n")
    write(tmp_path, "proc/11/cmdline", b"tincd\0-n\0t3o\0")
    os.symlink("/usr/bin/python3.11", str(tmp_path / "proc/11/exe"))
    found = procfs.identify(11, TINCD, str(tmp_path))
    assert isinstance(found, procfs.NotOurs) and "/usr/bin/python3.11 (tincd -n t3o)" in found.reason
    os.unlink(str(tmp_path / "proc/11/exe"))
    os.symlink("/usr/sbin/tincd (deleted)", str(tmp_path / "proc/11/exe"))  # upgraded since it started
    assert isinstance(procfs.identify(11, TINCD, str(tmp_path)), procfs.ProcessInfo)


@pytest.mark.parametrize("pid,files,reason", [
    (12, {}, "pid 12 is not running"),
    (13, {"stat": stat_line(13, "tincd", "Z"), "comm": "tincd\n"}, "pid 13 has exited (state Z)"),
    (None, {}, "pid None is not running"),
    (-4, {}, "pid -4 is not running"),
])
def test_identify_gone_and_zombie(tmp_path, pid, files, reason):
    for name, text in files.items():
        write(tmp_path, "proc/%s/%s" % (pid, name), text)
    found = procfs.identify(pid, TINCD, str(tmp_path))
    assert isinstance(found, procfs.NotOurs) and found.reason == reason and not found.running


def test_frr_daemon_must_be_of_its_pathspace_and_instance(tmp_path):
    def proc(pid, argv):
        write(tmp_path, "proc/%d/stat" % pid, stat_line(pid, os.path.basename(argv[0])))
        write(tmp_path, "proc/%d/cmdline" % pid, "\0".join(argv) + "\0")

    proc(20, ["/usr/lib/frr/bgpd", "-N", "r1", "-d"])
    proc(21, ["/usr/lib/frr/bgpd", "-d"])
    proc(22, ["/usr/lib/frr/ospfd", "-N", "r1", "-d", "-n", "2"])
    root = str(tmp_path)
    assert isinstance(procfs.identify(20, fd.frr_daemon("r1", "bgpd"), root), procfs.ProcessInfo)
    assert isinstance(procfs.identify(20, fd.frr_daemon("r2", "bgpd"), root), procfs.NotOurs)
    assert isinstance(procfs.identify(20, fd.frr_daemon(None, "bgpd"), root), procfs.NotOurs)
    assert isinstance(procfs.identify(21, fd.frr_daemon(None, "bgpd"), root), procfs.ProcessInfo)
    assert isinstance(procfs.identify(22, fd.frr_daemon("r1", "ospfd-2"), root), procfs.ProcessInfo)
    assert isinstance(procfs.identify(22, fd.frr_daemon("r1", "ospfd-1"), root), procfs.NotOurs)


def test_frr_pid_file_naming_another_pathspace_daemon_is_stale(tmp_path):
    """A pid reused by the bgpd of another router on the same host does not lend r1 its age."""
    write(tmp_path, "proc/uptime", "10000.00 1.00\n")
    write(tmp_path, "proc/30/stat", stat_line(30, "bgpd"))
    write(tmp_path, "proc/30/cmdline", "/usr/lib/frr/bgpd\0-N\0r2\0-d\0")
    write(tmp_path, "var/run/frr/r1/bgpd.pid", "30\n")
    p = fd.daemon_process(str(tmp_path), "r1", "bgpd")
    assert not p.running and "stale pid file" in p.why and "-N r2" in p.why and p.age_seconds is None
    write(tmp_path, "var/run/frr/r2/bgpd.pid", "30\n")
    p = fd.daemon_process(str(tmp_path), "r2", "bgpd")
    assert p.running and p.age_seconds == pytest.approx(10000 - 12345 / procfs.clock_ticks())


# ---------------------------------------------------------------- real processes

def test_a_sleep_is_not_tincd_whatever_its_pidfile_says(sleeper):
    wait_exec(sleeper.pid, "sleep")
    found = procfs.identify(sleeper.pid, TINCD)
    assert isinstance(found, procfs.NotOurs) and found.running
    assert found.process.program == "sleep" and "sleep 300" in found.reason and "not tincd of network t3o" in found.reason


def test_scan_finds_a_copy_named_like_the_daemon(tmp_path):
    exe = str(tmp_path / "nmfakedaemon")
    shutil.copy("/bin/sleep", exe)
    proc = subprocess.Popen([exe, "300"])
    try:
        wait_exec(proc.pid, "nmfakedaemon")
        found = [p for p in procfs.scan(comm="nmfakedaemon") if p.pid == proc.pid]
        assert len(found) == 1 and found[0].exe == exe and found[0].argv == (exe, "300") and found[0].alive
    finally:
        proc.kill()
        proc.wait()


def test_send_signal_reaches_the_identified_process(sleeper, exec_log):
    wait_exec(sleeper.pid, "sleep")
    info = procfs.read(sleeper.pid)
    assert procfs.send_signal(info, signal.SIGTERM) is None
    assert sleeper.wait(5) == -signal.SIGTERM
    assert exec_log.signals == [(sleeper.pid, signal.SIGTERM)]


def test_send_signal_refuses_a_reused_pid(sleeper, exec_log):
    """The pid is the one identified, but not the process: its start time differs. Nothing is sent."""
    wait_exec(sleeper.pid, "sleep")
    info = procfs.read(sleeper.pid)
    earlier = procfs.ProcessInfo(pid=info.pid, comm="tincd", argv=("tincd", "-n", "t3o"), exe="/usr/sbin/tincd",
                                 state="S", start_time=info.start_time - 1)
    err = procfs.send_signal(earlier, signal.SIGTERM)
    assert err == "did not send SIGTERM to pid %d: pid %d now belongs to another process (sleep)" % (
        info.pid, info.pid)
    assert exec_log.signals == [] and sleeper.poll() is None
    assert not procfs.still_running(earlier) and procfs.still_running(info)


def test_send_signal_without_pidfd_checks_then_kills(sleeper, exec_log, monkeypatch):
    """Python 3.8 or a kernel without pidfd_open: the start-time check, then kill()."""
    monkeypatch.delattr(os, "pidfd_open", raising=False)
    wait_exec(sleeper.pid, "sleep")
    info = procfs.read(sleeper.pid)
    stale = procfs.ProcessInfo(info.pid, info.comm, info.argv, info.exe, info.state, info.start_time + 1)
    assert "now belongs to another process" in procfs.send_signal(stale, signal.SIGTERM)
    assert exec_log.signals == []
    assert procfs.send_signal(info, signal.SIGTERM) is None
    assert exec_log.signals == [(info.pid, signal.SIGTERM)] and sleeper.wait(5) == -signal.SIGTERM


def test_send_signal_to_a_process_that_has_exited(sleeper, exec_log):
    wait_exec(sleeper.pid, "sleep")
    info = procfs.read(sleeper.pid)
    sleeper.kill()
    sleeper.wait()
    assert procfs.send_signal(info, signal.SIGHUP) == "did not send SIGHUP to pid %d: pid %d is not running any " \
                                                      "more" % (info.pid, info.pid)
    assert exec_log.signals == [(info.pid, signal.SIGKILL)]  # the test's own kill, nothing more


def test_uptime_and_age(tmp_path):
    write(tmp_path, "proc/uptime", "nan 1.00\n")
    assert procfs.uptime_seconds(str(tmp_path)) is None
    write(tmp_path, "proc/uptime", "500.5 1.00\n")
    assert procfs.uptime_seconds(str(tmp_path)) == 500.5
    assert procfs.age_seconds(100, 500.5, hz=100) == 499.5 and procfs.age_seconds(None, 5.0) is None
