# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""watchfrr's restart timeout and zebra's netlink buffer: what FRR uses, and setting them safely.

Incident 000: zebra overran its netlink receive buffer (``-s``), watchfrr ran
``restart all``, and its restart timeout (``-T``, 20 s by default) killed the
``vtysh -b`` that was pushing a large frr.conf.  The ``frr_settings`` audit
reads both values (:func:`in_file`, :func:`in_process`); the
``frr_daemons_options`` module sets them in the daemons file:
:func:`plan` (read, edit a copy, our parser checks it), :func:`apply`
(``bash -n``, atomic write with backup, restart only when asked) and
:func:`verify` (what the running daemons use, whether a restart is still
needed); :func:`ensure` runs the three.  Check mode runs no command at all.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import fileops
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Result, Runner
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemon_argv import (
    WATCHFRR_RESTART_TIMEOUT_RANGE, WATCHFRR_TIMEOUT_OPT, ZEBRA_BUFSIZE_OPT, ZEBRA_NL_BUFSIZE_RANGE,
    DaemonsFileError, argv_option_value, number, option_value)
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemons_file import (
    bash_syntax_check, checked_options, parse_assignments, plan_options, verify_edit)
from ansible_collections.netmedic.network.plugins.module_utils.frr.files import UnreadableFile, read_frr_file
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import check_pathspace, daemons_path, run_dir
from ansible_collections.netmedic.network.plugins.module_utils.frr.processes import Process, daemon_process

FRRINIT = "/usr/lib/frr/frrinit.sh"


@dataclasses.dataclass(frozen=True)
class Setting:
    """One value of a daemon's option string: the module option, the daemon, its getopt names, its default."""

    key: str                    # frr_daemons_options' option (and the key in its results)
    daemon: str                 # the daemon whose <daemon>_options holds it
    opt: Tuple[str, str]        # short and long option
    default: int                # the binary's built-in value when the option is absent
    bounds: Tuple[int, int]     # what frr_daemons_options may write (see daemon_argv for why)


WATCHFRR_RESTART_TIMEOUT = Setting("watchfrr_restart_timeout", "watchfrr", WATCHFRR_TIMEOUT_OPT, 20,
                                   WATCHFRR_RESTART_TIMEOUT_RANGE)
ZEBRA_NETLINK_BUFFER = Setting("zebra_netlink_buffer", "zebra", ZEBRA_BUFSIZE_OPT, 4 * 1024 * 1024,
                               ZEBRA_NL_BUFSIZE_RANGE)
SETTINGS = (WATCHFRR_RESTART_TIMEOUT, ZEBRA_NETLINK_BUFFER)

# Every numeric option of frr_daemons_options, checked first thing (finite, in range, named).
RANGES = dict([(s.key, s.bounds) for s in SETTINGS] + [("restart_timeout", (1, 3600))])


# ---------------------------------------------------------------- reading (the audit and the module)

@dataclasses.dataclass(frozen=True)
class Value:
    """A setting as the daemons file or a running daemon's argv gives it."""

    setting: Setting
    given: Optional[int]        # the number set there; None when not set, or not readable as a number
    readable: bool = True       # False: set, but not to a whole number, or only a shell could tell

    @property
    def effective(self) -> Optional[int]:
        """What the daemon uses: the number, the default when nothing is set, None when we cannot know."""
        if self.given is not None:
            return self.given
        return self.setting.default if self.readable else None

    @property
    def assumed(self) -> int:
        """The number, else the default (an audit's reading: what it cannot read counts as the default)."""
        return self.setting.default if self.given is None else self.given


def _value(setting: Setting, raw: Optional[str]) -> Value:
    if raw is None:
        return Value(setting, None)
    n = number(raw)
    return Value(setting, n, n is not None)


def in_file(assignments, setting: Setting) -> Value:
    """The setting in the parsed daemons file (what the next FRR start uses)."""
    try:
        raw = option_value(checked_options(assignments, setting.daemon), setting.opt)
    except DaemonsFileError:
        return Value(setting, None, readable=False)
    return _value(setting, raw)


def in_process(process: Process, setting: Setting) -> Optional[Value]:
    """The setting in the running daemon's argv; None when the daemon is not running."""
    if not process.running:
        return None
    return _value(setting, argv_option_value(process.argv[1:], setting.opt))


def running_values(root: str, pathspace: Optional[str]) -> Dict[str, Optional[int]]:
    """What the running watchfrr and zebra use (None when not running or unreadable); reads /proc only."""
    out: Dict[str, Optional[int]] = {}
    for s in SETTINGS:
        value = in_process(daemon_process(root, pathspace, s.daemon), s)
        out[s.key] = value.effective if value is not None else None
    return out


def file_values(text: str) -> Dict[str, Optional[int]]:
    """What the daemons file gives the next FRR start (None where we cannot read it without a shell)."""
    assignments = parse_assignments(text)
    return {s.key: in_file(assignments, s).effective for s in SETTINGS}


def restart_needed(running: Dict[str, Optional[int]], wanted: Dict[str, Optional[int]]) -> bool:
    """The running daemons use other values than the file gives (both known)."""
    return any(running[k] is not None and wanted[k] is not None and running[k] != wanted[k] for k in running)


def restart_argv(root: str, pathspace: Optional[str]) -> List[str]:
    """How FRR is restarted: systemd's unit for the host's FRR, frrinit.sh for a pathspace (or without systemd)."""
    if not pathspace and os.path.isdir(os.path.join(root or "/", "run/systemd/system")):
        return ["systemctl", "restart", "frr"]
    return [FRRINIT, "restart"] + ([pathspace] if pathspace else [])


# frrinit.sh's output during a restart (FRR's runtime directory of the instance; overwritten each time).
RESTART_LOG = "netmedic-frrinit.log"


def run_restart(runner: Runner, root: str, pathspace: Optional[str], timeout: float) -> Result:
    """Restart FRR (:func:`restart_argv`).  frrinit.sh runs with its output in a file, not a pipe: FRR 10's
    watchfrr and daemons keep the stdout and stderr they were started with, so a pipe never reaches end of
    file and the module hung until its timeout (measured with FRR 10.3, issue 14).  The file's end is in the
    result's stderr (for the failure message)."""
    argv = restart_argv(root, pathspace)
    if argv[0] != FRRINIT:
        return runner(argv, timeout=timeout)
    rundir = run_dir(root, pathspace)
    log = os.path.join(rundir, RESTART_LOG) if os.path.isdir(rundir) else os.devnull
    res = runner(["sh", "-c", 'log=$1; shift; "$@" </dev/null >"$log" 2>&1', "sh", log] + argv, timeout=timeout)
    tail = ""
    if log != os.devnull:
        try:
            with open(log, "r", encoding="utf-8", errors="replace") as fh:
                tail = fh.read()[-2000:]
        except OSError:
            pass
    return Result(argv, res.rc, res.stdout, (res.stderr + "\n" + tail).strip(), res.duration, res.timed_out)


# ---------------------------------------------------------------- setting (frr_daemons_options)

class SettingsError(Exception):
    """Why nothing (or not everything) was done, for operators (``str()``); ``data`` goes into the result."""

    def __init__(self, message: str, **data: Any):
        super().__init__(message)
        self.data = data


@dataclasses.dataclass(frozen=True)
class Request:
    """The frr_daemons_options arguments (the names are the module's: messages name them)."""

    watchfrr_restart_timeout: Optional[int] = None
    zebra_netlink_buffer: Optional[int] = None
    pathspace: Optional[str] = None
    path: Optional[str] = None
    root: str = "/"
    backup: bool = True
    restart: bool = False
    restart_timeout: float = 300


@dataclasses.dataclass(frozen=True)
class Plan:
    root: str
    pathspace: Optional[str]
    path: str
    before: str
    after: str
    changes: Dict[str, Dict[str, Optional[str]]]


@dataclasses.dataclass
class Outcome:
    """What was done (or, in check mode, would be): the module's result."""

    path: str
    before: str
    after: str
    changes: Dict[str, Dict[str, Optional[str]]]
    backup_file: Optional[str] = None
    running: Dict[str, Optional[int]] = dataclasses.field(default_factory=dict)
    restart_needed: bool = False
    restarted: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def result(self) -> Dict[str, Any]:
        out = dict(changed=self.changed, path=self.path, changes=self.changes, restarted=self.restarted,
                   running=self.running, restart_needed=self.restart_needed)
        if self.backup_file:
            out["backup_file"] = self.backup_file
        return out


def _located(request: Request) -> Tuple[str, Optional[str], str]:
    """(root, pathspace, daemons file), or SettingsError naming the option that is wrong."""
    for name in ("path", "root", "pathspace"):
        value = getattr(request, name)
        if value is not None and not value.strip():
            raise SettingsError("%s is an empty string: give a value or leave %s out. Nothing was done."
                                % (name, name))
    root = request.root
    if not os.path.isdir(root):
        raise SettingsError("root %s is not a directory. Nothing was done." % root)
    if request.restart and os.path.realpath(root) != "/":
        raise SettingsError("restart=true restarts this host's FRR; it cannot be combined with root=%s. "
                            "Nothing was done." % root)
    try:
        pathspace = check_pathspace(request.pathspace)
    except ValueError as exc:
        raise SettingsError("pathspace: %s. Nothing was done." % exc) from None
    return root, pathspace, request.path or daemons_path(root, pathspace)


def plan(request: Request) -> Plan:
    """Read the daemons file and edit a copy; our own parser reads the copy back. Writes and runs nothing."""
    root, pathspace, path = _located(request)
    try:
        before = read_frr_file(path)
    except UnreadableFile as exc:
        if request.path:
            where = "path"
        elif request.pathspace:
            where = "pathspace %s" % request.pathspace
        else:
            where = "the default daemons file (root %s)" % request.root
        raise SettingsError("cannot read FRR's daemons file (%s): %s. Nothing was written." % (where, exc),
                            path=path) from None
    try:
        after, changes = plan_options(before, request.watchfrr_restart_timeout, request.zebra_netlink_buffer)
        # exactly the values we meant, nothing else changed
        verify_edit(before, after, {var: change["after"] for var, change in changes.items()})
    except DaemonsFileError as exc:
        raise SettingsError("cannot edit FRR's daemons file %s: %s. Nothing was written." % (path, exc),
                            path=path) from None
    return Plan(root, pathspace, path, before, after, changes)


def apply(planned: Plan, request: Request, runner: Runner, check_mode: bool = False) -> Outcome:
    """Write the planned file (after ``bash -n``) and restart FRR when asked; in check mode, nothing."""
    out = Outcome(planned.path, planned.before, planned.after, planned.changes)
    if out.changed and not check_mode:
        # bash parses the new file (-n: nothing is executed) as frrcommon.sh will have to; the file is
        # never sourced (issue 11).
        try:
            bash_syntax_check(runner, planned.after)
        except (CommandError, DaemonsFileError) as exc:
            raise SettingsError("the edited daemons file %s did not pass the bash syntax check: %s. Nothing was "
                                "written." % (planned.path, exc), path=planned.path) from None
        try:
            # A symlink is edited at its target.  The backup goes next to the file: frrcommon.sh reads
            # C_PATH/daemons (and, without a pathspace, daemons.conf, /etc/default/frr and
            # /etc/sysconfig/frr) by name only, never daemons.*.netmedic.bak.
            out.backup_file = fileops.write_atomic(os.path.realpath(planned.path), planned.after,
                                                   backup=request.backup)
        except fileops.FileOpError as exc:
            raise SettingsError("cannot write FRR's daemons file: %s" % exc, path=planned.path) from None
    verify(out, planned)
    if request.restart and out.changed and not check_mode:
        try:
            res = run_restart(runner, planned.root, planned.pathspace, request.restart_timeout)
        except CommandError as exc:
            raise SettingsError("the daemons file was changed but the FRR restart failed: %s" % exc,
                                **out.result()) from None
        if not res.ok:
            raise SettingsError("the daemons file was changed but the FRR restart failed: %s" % res.describe(),
                                **out.result())
        out.restarted = True
        verify(out, planned)
    return out


def verify(out: Outcome, planned: Plan) -> Outcome:
    """What the running daemons use now, and whether they still wait for a restart to take the file's values."""
    out.running = running_values(planned.root, planned.pathspace)
    out.restart_needed = restart_needed(out.running, file_values(out.after))
    return out


def ensure(request: Request, check_mode: bool = False, runner: Optional[Runner] = None) -> Outcome:
    """:func:`plan`, :func:`apply` (and its :func:`verify`): the whole frr_daemons_options run."""
    return apply(plan(request), request, runner or Runner(timeout=30), check_mode)
