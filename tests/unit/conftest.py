"""Fixtures shared by every unit test."""

import os
import signal
import subprocess

import pytest


@pytest.fixture
def exec_log(monkeypatch):
    """Records every process started and every signal sent while a test runs (they still happen).

    ``exec_log.commands`` lists argv lists, ``exec_log.signals`` ``(pid, sig)``
    pairs.  A check-mode test asserts that nothing but read-only commands ran
    and nothing was signalled (issue 11: check mode sourced a file with bash).
    """
    class Log:
        commands = []
        signals = []

    real_init = subprocess.Popen.__init__
    real_kill, real_killpg = os.kill, os.killpg

    def popen_init(self, args, *a, **kw):
        Log.commands.append([str(x) for x in args] if isinstance(args, (list, tuple)) else [str(args)])
        real_init(self, args, *a, **kw)

    def kill(pid, sig):
        Log.signals.append((pid, sig))
        return real_kill(pid, sig)

    def killpg(pgid, sig):
        Log.signals.append((-pgid, sig))
        return real_killpg(pgid, sig)

    monkeypatch.setattr(subprocess.Popen, "__init__", popen_init)
    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr(os, "killpg", killpg)
    if hasattr(signal, "pidfd_send_signal"):  # procfs.send_signal signals through a pidfd where it can
        real_pidfd_send_signal = signal.pidfd_send_signal

        def pidfd_send_signal(fd, sig, *a, **kw):
            Log.signals.append((_pidfd_pid(fd), sig))
            return real_pidfd_send_signal(fd, sig, *a, **kw)

        monkeypatch.setattr(signal, "pidfd_send_signal", pidfd_send_signal)
    Log.commands, Log.signals = [], []
    return Log


def _pidfd_pid(fd):
    """The pid a pidfd refers to (``Pid:`` in /proc/self/fdinfo/FD), so pidfd signals log like kill()."""
    try:
        with open("/proc/self/fdinfo/%d" % fd) as fh:
            for line in fh:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None
