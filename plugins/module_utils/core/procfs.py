# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes from ``/proc``: read them, prove which daemon a pid is, signal only that one.

Issue 11: ``tinc_safe_restart`` sent SIGTERM to whatever pid a pidfile named.
A stale pidfile naming a ``sleep`` got the sleep killed, and the sleep's
command line would have been run as "the tincd command".  The rule since:
**a pid is acted on only after it is proved to be the daemon we mean**.

- :func:`identify` proves it: the program (``/proc/PID/exe``, or its
  ``comm`` when ``exe`` cannot be read) is the daemon's binary, and its
  command line names the instance we mean (tinc network, FRR pathspace).
  It returns the :class:`ProcessInfo`, or :class:`NotOurs` saying why not.
- :func:`send_signal` signals the identified process only.  A pid can be
  reused between identification and the signal; the start time (field 22 of
  ``/proc/PID/stat``) is re-checked right before signalling, and where the
  host has ``pidfd_open`` (Python 3.9+, Linux 5.3+) the signal goes through a
  pidfd opened *before* that re-check, which makes it race-free.
- :func:`scan` is the one walk over ``/proc`` (tinc, FRR and the babeld check
  all use it).
- :func:`established_tcp_remotes` lists a process's TCP peers (tinc's meta
  connections) without signalling it.

Every path is under ``root`` (``/`` on a host, a fake tree in unit tests).
Nothing here raises on odd ``/proc`` content: a process can vanish or be
anything between two reads, so unreadable or garbled files mean "not that
process".

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import socket
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

DEAD_STATES = ("Z", "X", "x")   # zombie or dead: kill(pid, 0) still works, but it is gone
_DELETED = " (deleted)"         # readlink of /proc/PID/exe after the binary was replaced (package upgrade)


@dataclasses.dataclass(frozen=True)
class Stat:
    """The fields of ``/proc/PID/stat`` we use."""

    comm: str
    state: str
    start_time: int             # clock ticks after boot (field 22): with the pid, names one process


@dataclasses.dataclass(frozen=True)
class ProcessInfo:
    """One process as read from ``/proc``."""

    pid: int
    comm: str                   # the kernel's name for it (at most 15 characters)
    argv: Tuple[str, ...]
    exe: Optional[str] = None   # what /proc/PID/exe points to; None when it cannot be read
    state: Optional[str] = None  # R, S, D, Z...; None when /proc/PID/stat could not be read
    start_time: Optional[int] = None

    @property
    def alive(self) -> bool:
        return self.state is not None and self.state not in DEAD_STATES

    @property
    def program(self) -> str:
        """The binary's file name (from ``exe``), else ``comm``."""
        return os.path.basename(self.exe) if self.exe else self.comm

    def describe(self) -> str:
        """``/usr/bin/sleep (sleep 1000)`` for messages."""
        cmd = " ".join(self.argv)
        if len(cmd) > 200:
            cmd = cmd[:200] + "..."
        return "%s (%s)" % (self.exe or self.comm or "?", cmd or "no command line")


@dataclasses.dataclass(frozen=True)
class Expected:
    """What a pid must be: ``program`` (binary name and comm) whose argv ``argv_ok`` accepts."""

    program: str
    what: str                   # for messages: "tincd of network t3o"
    argv_ok: Callable[[Sequence[str]], bool] = lambda argv: True


@dataclasses.dataclass(frozen=True)
class NotOurs:
    """Why a pid is not the process we mean."""

    pid: Optional[int]
    reason: str
    process: Optional[ProcessInfo] = None   # what runs under that pid, if anything

    @property
    def running(self) -> bool:
        """Something else, alive, has that pid (as opposed to nothing, or a zombie)."""
        return self.process is not None and self.process.alive


# ---------------------------------------------------------------- parsing (pure)

def parse_stat(raw: bytes) -> Optional[Stat]:
    """``/proc/PID/stat`` content; None when it is not one.

    The name is in parentheses and may itself contain spaces and ``)``: the
    fields start after the *last* ``)``.
    """
    head, sep, tail = raw.rpartition(b")")
    if not sep or b"(" not in head:
        return None
    fields = tail.split()
    try:
        state = fields[0].decode("ascii")
        start_time = int(fields[19])    # field 22 overall; fields[0] is field 3 (state)
    except (IndexError, ValueError, UnicodeDecodeError):
        return None
    if len(state) != 1 or not state.isalpha() or start_time < 0:
        return None
    return Stat(comm=head.split(b"(", 1)[1].decode("utf-8", "replace"), state=state, start_time=start_time)


def parse_state(raw: bytes) -> Optional[str]:
    """Only the state letter of ``/proc/PID/stat`` (short fake stats in tests have no start time)."""
    tail = raw.rpartition(b")")[2].split()
    try:
        state = tail[0].decode("ascii")
    except (IndexError, UnicodeDecodeError):
        return None
    return state if b")" in raw else None


def parse_cmdline(raw: bytes) -> Tuple[str, ...]:
    """``/proc/PID/cmdline``: NUL-separated arguments (empty ones dropped, bytes decoded with replacement)."""
    return tuple(a.decode("utf-8", "replace") for a in raw.split(b"\0") if a)


def argv_option(argv: Sequence[str], long: str, short: Optional[str] = None) -> Optional[str]:
    """Value of ``--long=V`` / ``--long V`` / ``-sV`` / ``-s V`` in a command line (the first one)."""
    for i, arg in enumerate(argv):
        if arg.startswith("--%s=" % long):
            return arg.split("=", 1)[1]
        if arg == "--" + long or (short and arg == "-" + short):
            return argv[i + 1] if i + 1 < len(argv) else None
        if short and arg.startswith("-" + short) and not arg.startswith("--") and len(arg) > 2:
            return arg[2:]
    return None


# ---------------------------------------------------------------- reading

def _path(root: str, pid: int, name: str) -> str:
    return os.path.join(root or "/", "proc", str(pid), name)


def _read_bytes(path: str, limit: int = 1 << 20) -> Optional[bytes]:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except (OSError, ValueError):   # ValueError: a NUL in a path built from odd input
        return None


def read_stat(pid: int, root: str = "/") -> Optional[Stat]:
    raw = _read_bytes(_path(root, pid, "stat"))
    return parse_stat(raw) if raw is not None else None


def read_state(pid: int, root: str = "/") -> Optional[str]:
    raw = _read_bytes(_path(root, pid, "stat"))
    return parse_state(raw) if raw is not None else None


def read_comm(pid: int, root: str = "/") -> Optional[str]:
    raw = _read_bytes(_path(root, pid, "comm"))
    return raw.decode("utf-8", "replace").strip() if raw is not None else None


def read_cmdline(pid: int, root: str = "/") -> Tuple[str, ...]:
    raw = _read_bytes(_path(root, pid, "cmdline"))
    return parse_cmdline(raw) if raw else ()


def read_exe(pid: int, root: str = "/") -> Optional[str]:
    """The binary a process runs (None: no such process, a kernel thread, or no permission to look)."""
    try:
        target = os.readlink(_path(root, pid, "exe"))
    except (OSError, ValueError):
        return None
    return target[:-len(_DELETED)] if target.endswith(_DELETED) else target


def read(pid: int, root: str = "/", comm: Optional[str] = None) -> Optional[ProcessInfo]:
    """Everything :class:`ProcessInfo` holds about ``pid``; None when there is no such process."""
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return None
    stat = read_stat(pid, root)
    if comm is None:
        comm = read_comm(pid, root)
    if comm is None and stat is None:
        return None
    return ProcessInfo(pid=pid, comm=comm if comm is not None else stat.comm, argv=read_cmdline(pid, root),
                       exe=read_exe(pid, root), state=stat.state if stat else read_state(pid, root),
                       start_time=stat.start_time if stat else None)


def alive(pid: Optional[int], root: str = "/") -> bool:
    """``pid`` exists and is not a zombie.

    A dead daemon can linger as a zombie until its parent (often PID 1)
    reaps it; ``kill(pid, 0)`` still succeeds then, so /proc is read instead.
    """
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return False
    state = read_state(pid, root)
    return state is not None and state not in DEAD_STATES


def pids(root: str = "/") -> List[int]:
    try:
        entries = os.listdir(os.path.join(root or "/", "proc"))
    except OSError:
        return []
    return [int(e) for e in entries if e.isdigit()]


def scan(root: str = "/", comm: Optional[str] = None) -> Iterator[ProcessInfo]:
    """Every process in ``/proc``; only those whose ``comm`` is ``comm`` when given (cheap filter first)."""
    for pid in pids(root):
        name = read_comm(pid, root)
        if comm is not None and name != comm:
            continue
        info = read(pid, root, comm=name)
        if info is not None:
            yield info


# ---------------------------------------------------------------- identification

def is_program(info: ProcessInfo, program: str) -> bool:
    """``info`` runs ``program``: its binary's name when /proc/PID/exe can be read, else its comm.

    ``exe`` decides when readable: anything can set its comm (prctl) or
    argv[0], but exe is the file the kernel executed.
    """
    if info.exe:
        return os.path.basename(info.exe) == program
    return info.comm == program


def matches(info: ProcessInfo, expected: Expected) -> bool:
    return info.alive and is_program(info, expected.program) and bool(expected.argv_ok(info.argv))


def identify(pid: Optional[int], expected: Expected, root: str = "/") -> Union[ProcessInfo, NotOurs]:
    """The process ``pid`` when it is ``expected``, else :class:`NotOurs` with the reason."""
    info = read(pid, root) if pid else None
    if info is None:
        return NotOurs(pid, "pid %s is not running" % pid)
    if not info.alive:
        return NotOurs(pid, "pid %d has exited (state %s)" % (pid, info.state), info)
    if not is_program(info, expected.program) or not expected.argv_ok(info.argv):
        return NotOurs(pid, "pid %d is %s, not %s" % (pid, info.describe(), expected.what), info)
    return info


def same_process(info: ProcessInfo, root: str = "/") -> Optional[str]:
    """None while ``info`` still runs under its pid; else why not (exited, or the pid was reused)."""
    raw = _read_bytes(_path(root, info.pid, "stat"))
    state = parse_state(raw) if raw is not None else None
    if state is None:
        return "pid %d is not running any more" % info.pid
    stat = parse_stat(raw)
    if info.start_time is not None and (stat is None or stat.start_time != info.start_time):
        return "pid %d now belongs to another process (%s)" % (info.pid, stat.comm if stat else "unknown")
    if state in DEAD_STATES:
        return "pid %d has exited" % info.pid
    return None


def still_running(info: Optional[ProcessInfo], root: str = "/") -> bool:
    return info is not None and same_process(info, root) is None


def send_signal(info: ProcessInfo, sig: int, root: str = "/") -> Optional[str]:
    """Send ``sig`` to the process identified as ``info``; an error sentence (nothing sent) instead.

    The start time is compared right before the signal, so a pid that was
    reused since :func:`identify` is never signalled.  With a pidfd the
    check and the signal are race-free: the pidfd is opened first and names
    that one process even if the pid is reused afterwards.  Without one
    (Python < 3.9, Linux < 5.3, or a seccomp filter refusing it) a window of
    microseconds remains between the check and ``kill``.
    """
    name = _signal_name(sig)
    fd = _pidfd_open(info.pid) if (root or "/") == "/" else None
    try:
        problem = same_process(info, root)
        if problem:
            return "did not send %s to pid %d: %s" % (name, info.pid, problem)
        try:
            if fd is not None:
                signal.pidfd_send_signal(fd, sig)  # pylint: disable=no-member
            else:
                os.kill(info.pid, sig)
        except OSError as exc:
            return "cannot send %s to pid %d: %s" % (name, info.pid, exc.strerror or exc)
    finally:
        if fd is not None:
            os.close(fd)
    return None


def _pidfd_open(pid: int) -> Optional[int]:
    """A pidfd for ``pid``, or None (no pidfd support here; the caller falls back to kill)."""
    if getattr(os, "pidfd_open", None) is None or getattr(signal, "pidfd_send_signal", None) is None:
        return None
    try:
        return os.pidfd_open(pid)  # pylint: disable=no-member
    except (OSError, OverflowError):
        # ESRCH: gone (same_process says so); ENOSYS/EPERM: old kernel or seccomp: fall back.
        return None


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "signal %d" % sig


# ---------------------------------------------------------------- sockets

TCP_ESTABLISHED = "01"   # the st column of /proc/net/tcp


def _hex_ip(hexaddr: str) -> Optional[str]:
    """``0100007F`` (/proc/net/tcp) -> ``127.0.0.1``; None when it is not a hex IPv4/IPv6 address."""
    try:
        raw = bytes.fromhex(hexaddr)
    except ValueError:
        return None
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    if len(raw) != 16:
        return None
    # /proc/net/tcp6: four little-endian 32-bit words
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    addr = socket.inet_ntop(socket.AF_INET6, words)
    return addr[7:] if addr.startswith("::ffff:") and "." in addr else addr


def socket_inodes(pid: int, root: str = "/") -> Optional[set]:
    """Inodes of the sockets ``pid`` holds open (its ``/proc/PID/fd`` links ``socket:[N]``); None when unreadable."""
    fd_dir = _path(root, pid, "fd")
    inodes = set()
    try:
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return None
    return inodes


def established_tcp_remotes(pid: int, root: str = "/") -> List[str]:
    """Remote addresses of the ESTABLISHED TCP connections of ``pid``, sorted ([] when unreadable).

    ``/proc/PID/net/tcp`` and ``tcp6`` list every connection of the process's
    network namespace; only those on a socket ``pid`` holds count.
    """
    inodes = socket_inodes(pid, root)
    if inodes is None:
        return []
    remotes = []
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(_path(root, pid, "net"), table), "r", encoding="ascii", errors="replace") as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[3] == TCP_ESTABLISHED and f[9] in inodes:
                addr = _hex_ip(f[2].split(":")[0])
                if addr:
                    remotes.append(addr)
    return sorted(remotes)


# ---------------------------------------------------------------- times

def clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return 100


def uptime_seconds(root: str = "/") -> Optional[float]:
    raw = _read_bytes(os.path.join(root or "/", "proc/uptime"))
    try:
        value = float(raw.split()[0]) if raw else None
    except (ValueError, IndexError):
        return None
    return value if value is not None and math.isfinite(value) else None


def age_seconds(start_time: Optional[int], uptime: Optional[float], hz: Optional[int] = None) -> Optional[float]:
    """Seconds since a process started (its stat start time) given the system's uptime."""
    if start_time is None or uptime is None:
        return None
    return max(0.0, uptime - start_time / float(hz or clock_ticks()))
