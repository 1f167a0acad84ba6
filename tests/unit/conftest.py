"""Fixtures shared by every unit test."""

import os
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
    Log.commands, Log.signals = [], []
    return Log
