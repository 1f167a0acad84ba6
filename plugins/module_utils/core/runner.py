# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run external commands safely: argv lists only, a timeout on every call.

Every command netmedic runs on a host (``ip -j``, ``vtysh``, ``ipmitool``,
``tincd``...) goes through :func:`run`.  There is no shell: arguments are a
list, so nothing from user input is ever parsed by ``/bin/sh``.  Every call
has a timeout; on expiry the whole process group is killed, so a hung BMC or a
wedged vtysh gives a clear error instead of a hung play.  Secrets are passed
in ``env`` (never on the command line, which any user can read from
``/proc/PID/cmdline``).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import signal
import subprocess
import time
from typing import Dict, List, Mapping, Optional, Sequence

DEFAULT_TIMEOUT = 30.0

# Search path used when the caller's PATH lacks the system directories
# (Ansible runs modules with a minimal environment on some platforms).
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/frr"


class CommandError(Exception):
    """A command could not run, failed, or timed out.  ``str()`` is for operators."""

    def __init__(self, message: str, result: Optional["Result"] = None):
        super().__init__(message)
        self.result = result


class CommandNotFound(CommandError):
    pass


class CommandTimeout(CommandError):
    pass


@dataclasses.dataclass(frozen=True)
class Result:
    argv: List[str]
    rc: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out

    def describe(self) -> str:
        """``'vtysh -c ...' exited 1: <first stderr line>`` for error messages."""
        what = " ".join(self.argv)
        if self.timed_out:
            return "%r did not finish within %.0f s" % (what, self.duration)
        err = (self.stderr or self.stdout).strip().splitlines()
        tail = (": " + err[-1]) if err else ""
        return "%r exited %d%s" % (what, self.rc, tail)


def which(name: str, extra_path: str = SYSTEM_PATH) -> Optional[str]:
    """Absolute path of an executable, also looking in the system directories."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    path = os.environ.get("PATH", "")
    return shutil.which(name, path=os.pathsep.join(p for p in (path, extra_path) if p))


def run(argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, env: Optional[Mapping[str, str]] = None,
        input: Optional[str] = None, check: bool = False, cwd: Optional[str] = None) -> Result:
    """Run ``argv`` (a list, never a shell string) with a hard timeout.

    :param env: variables *added* to the current environment (for secrets such
        as ``IPMI_PASSWORD``: they never appear in the process table's argv).
    :param check: raise :class:`CommandError` when the command exits non-zero.
    :raises CommandNotFound: the executable does not exist.
    :raises CommandTimeout: the command ran longer than ``timeout`` seconds
        (its whole process group has been killed).
    """
    if isinstance(argv, (str, bytes)):
        raise TypeError("run() takes an argv list, not a shell string")
    argv = [str(a) for a in argv]
    if not argv:
        raise ValueError("run() needs a command")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
            or timeout <= 0:
        # A NaN timeout makes subprocess raise after the child started: refuse before (issue 11).
        raise ValueError("run() needs a positive, finite timeout, got %r" % (timeout,))
    exe = which(argv[0])
    if exe is None:
        raise CommandNotFound("%s: command not found (is the package installed?)" % argv[0])
    full_env = dict(os.environ)
    full_env.setdefault("PATH", SYSTEM_PATH)
    full_env["LC_ALL"] = "C"
    if env:
        full_env.update(env)
    start = time.monotonic()
    try:
        # Popen, not AnsibleModule.run_command: its own process group (start_new_session) is what lets a
        # timeout kill the whole tree, and this file runs without an AnsibleModule (ansible-test 2.21's
        # pylint ansible-bad-function check)
        proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
            [exe] + argv[1:], stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=cwd,
            start_new_session=True, universal_newlines=True, errors="replace")
    except OSError as exc:
        raise CommandError("cannot run %s: %s" % (argv[0], exc.strerror or exc)) from None
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    except BaseException:
        # Any other exception (KeyboardInterrupt, a signal turned into SystemExit by
        # Ansible, MemoryError reading a huge output): no child is left behind.
        _kill_group(proc)
        proc.wait()
        raise
    result = Result(argv=argv, rc=proc.returncode, stdout=out or "", stderr=err or "",
                    duration=time.monotonic() - start, timed_out=timed_out)
    if timed_out:
        raise CommandTimeout(result.describe(), result)
    if check and result.rc != 0:
        raise CommandError(result.describe(), result)
    return result


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


class Runner:
    """A command runner with default timeout and environment.

    Modules and audits take a runner instead of calling :func:`run` directly so
    that unit tests can pass a fake one (see ``tests/unit``) and a caller can
    set, say, ``ip netns exec NS`` as a prefix for a whole audit.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, env: Optional[Dict[str, str]] = None,
                 prefix: Sequence[str] = ()):
        self.timeout = timeout
        self.env = dict(env or {})
        self.prefix = list(prefix)

    def available(self, name: str) -> bool:
        return which(name) is not None

    def __call__(self, argv: Sequence[str], timeout: Optional[float] = None, env: Optional[Mapping[str, str]] = None,
                 input: Optional[str] = None, check: bool = False, cwd: Optional[str] = None) -> Result:
        merged = dict(self.env)
        if env:
            merged.update(env)
        return run(self.prefix + list(argv), timeout=self.timeout if timeout is None else timeout,
                   env=merged or None, input=input, check=check, cwd=cwd)
