# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring a running FRR to its intended configuration, safely, in one vtysh call.

The steps (:func:`reconcile`), each a small function the module and the
preflight audit share:

1. read the intended config (a file, or text rendered by the caller) and
   validate it with FRR's own parser (``vtysh -C -f``, text on its stdin):
   refuse on errors;
2. read the running config (``vtysh -c 'show running-config'``), parse and
   normalise both sides, compute the :class:`~frr_plan.Plan`;
3. refuse to apply when a daemon enabled in the daemons file is not running,
   or when the configuration is locked by another session;
4. back up the running config, apply the whole plan with **one**
   ``vtysh -f`` (which does not stop at a failing line and reports each);
5. read the running config again and report what still differs;
6. ``write memory`` only when asked.

A refusal (bad option, daemons down, empty intended config, locked
configuration, no backup possible) happens before anything is applied: its
:class:`ReconcileError` carries ``changed=False`` and says nothing was
applied.  An error after the plan went to vtysh carries ``changed=True``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import re
import tempfile
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.frr import daemons as frr_daemons
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, backup_path, write_atomic
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import (
    Config, FrrConfigError, normalise_pair, parse, parse_normalised)
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import Diff, Plan, diff, plan
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner

# A restart this recent is evidence (incident 000: watchfrr's 'restart all').
RECENT_RESTART_SECONDS = 3600

_VTYSH_LINE_ERR_RE = re.compile(r"^line (\d+): (.*)$")


NOTHING_APPLIED = "nothing was applied"


class ReconcileError(Exception):
    """A reason not to go on, for operators (``str()``), with details in ``data``.

    ``data["changed"]`` is False unless the plan had gone to vtysh already.
    """

    def __init__(self, message: str, **data: Any):
        super().__init__(message)
        data.setdefault("changed", False)
        self.data = data


def refusal(message: str, **data: Any) -> ReconcileError:
    """A refusal before anything was applied: ``changed=False``, and the message says so."""
    data["changed"] = False
    return ReconcileError("%s; %s" % (message, NOTHING_APPLIED), **data)


@dataclasses.dataclass
class Target:
    """Which FRR to talk to: pathspace, vtysh binary, filesystem root, command runner."""

    pathspace: Optional[str] = None
    vtysh: str = "vtysh"
    root: str = "/"
    runner: Runner = dataclasses.field(default_factory=Runner)
    timeout: float = 60.0

    def __post_init__(self):
        self.pathspace = frr_daemons.check_pathspace(self.pathspace)

    @property
    def confdir(self) -> str:
        return frr_daemons.etc_dir(self.root, self.pathspace)

    @property
    def default_config(self) -> str:
        return os.path.join(self.confdir, "frr.conf")

    def argv(self, *args: str) -> List[str]:
        argv = [self.vtysh]
        if self.pathspace:
            argv += ["-N", self.pathspace]
        return argv + list(args)

    def run(self, *args: str, timeout: Optional[float] = None, check: bool = True):
        return self.runner(self.argv(*args), timeout=self.timeout if timeout is None else timeout, check=check)


# ---------------------------------------------------------------- reading

def running_config(target: Target) -> str:
    """``show running-config`` text."""
    res = target.run("-c", "show running-config")
    if "Current configuration" not in res.stdout and not res.stdout.strip().endswith("end"):
        raise ReconcileError("vtysh answered 'show running-config' without a configuration: %s"
                             % (res.stdout.strip().splitlines() or ["(nothing)"])[0])
    return res.stdout


def validate(target: Target, path: Optional[str], timeout: Optional[float] = None,
             text: Optional[str] = None) -> List[str]:
    """FRR's own syntax check (``vtysh -C -f``) of a file, or of ``text`` given on vtysh's stdin (no file is
    written, not even a temporary one): the error lines, empty when valid."""
    if path is None:
        res = target.runner(target.argv("-C", "-f", "/dev/stdin"), timeout=target.timeout if timeout is None
                            else timeout, input=text or "", check=False)
    else:
        res = target.run("-C", "-f", path, check=False, timeout=timeout)
    if res.rc == 0:
        return []
    errors = [l.strip() for l in (res.stderr + "\n" + res.stdout).splitlines() if l.strip()]
    return errors or [res.describe()]


def daemon_states(target: Target) -> List[Dict[str, Any]]:
    """Each daemon the daemons file enables (zebra and staticd always): running, pid, uptime."""
    path = os.path.join(target.confdir, "daemons")
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except FileNotFoundError:
        if target.pathspace:
            raise refusal("FRR pathspace %r has no daemons file %s: is the pathspace name right?"
                          % (target.pathspace, path), pathspace=target.pathspace)
        raise refusal("FRR's daemons file %s does not exist: is FRR installed?" % path)
    except OSError as exc:
        raise refusal("cannot read the FRR daemons file %s: %s" % (path, exc.strerror),
                      pathspace=target.pathspace)
    try:
        enabled = frr_daemons.enabled_daemons(frr_daemons.parse_assignments(text))
    except frr_daemons.DaemonsFileError as exc:
        raise refusal("cannot read the FRR daemons file %s: %s" % (path, exc))
    uptime = frr_daemons.uptime_seconds(target.root)
    out = []
    for name in ["watchfrr"] + list(enabled):
        p = frr_daemons.daemon_process(target.root, target.pathspace, name, uptime)
        age = p.age_seconds
        out.append({
            "name": name, "enabled": name != "watchfrr", "running": p.running, "pid": p.pid,
            "uptime_seconds": None if age is None else round(age, 1),
            "restarted_recently": bool(age is not None and age < RECENT_RESTART_SECONDS),
            "why": p.why,
        })
    return out


def lock_holder(target: Target) -> Optional[str]:
    """The message FRR gives when the configuration is locked by another session, else None."""
    res = target.run("-c", "configure terminal", check=False)
    text = (res.stdout + res.stderr).strip()
    if "lock" in text.lower():
        return text.splitlines()[0] if text else "configuration is locked"
    if res.rc != 0:
        raise refusal("vtysh cannot enter configuration mode: %s" % res.describe())
    return None


# ---------------------------------------------------------------- planning

@dataclasses.dataclass
class Intended:
    text: str
    path: Optional[str]     # the file vtysh validates; None for text (given on vtysh's stdin)
    source: str             # for messages


def load_intended(target: Target, src: Optional[str] = None, content: Optional[str] = None) -> Intended:
    """The intended config from ``content`` (text) or ``src`` (default: the pathspace's frr.conf).

    Errors name the option (``src``) and say nothing was applied.  A symlink is
    followed; CRLF line ends are read as line ends (FRR does the same).
    """
    if content is not None:
        return Intended(content, None, "intended config")
    path = src or target.default_config
    try:
        text = frr_daemons.read_frr_file(path)
    except frr_daemons.UnreadableFile as exc:
        hint = "" if src or os.path.lexists(path) else "; give src or content"
        raise refusal("%sthe intended config %s%s" % ("src: " if src else "", exc, hint))
    return Intended(text, path, path)


def check_backup_dir(directory: Optional[str]) -> None:
    """ReconcileError naming ``backup_dir`` when it is not an existing, writable directory (checked first,
    so that a typo fails before anything runs; we do not create it: a wrong path would hide the backup)."""
    if directory is None:
        return
    if not directory.strip():
        raise refusal("backup_dir is an empty string: give a directory or leave backup_dir out")
    if not os.path.exists(directory):
        raise refusal("backup_dir %s does not exist%s" % (
            directory, " (a dangling symlink)" if os.path.islink(directory) else ""))
    if not os.path.isdir(directory):
        raise refusal("backup_dir %s is not a directory" % directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise refusal("backup_dir %s is not writable" % directory)


@contextlib.contextmanager
def _no_gc():
    """Parsing builds ~3 small objects a line and keeps them all: the cyclic garbage
    collector only slows that down (about 30% on 100,000 lines)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def compute(intended_text: str, running_text: str, source: str = "intended config") -> Plan:
    """Parse, normalise, diff and plan (read-only; raises FrrConfigError on unreadable text)."""
    with _no_gc():
        i, r = parse_normalised(intended_text, running_text, intended_source=source)
        return plan(diff(i, r))


def drift(intended_text: str, running_text: str, source: str = "intended config") -> Diff:
    """Read-only difference, for audits."""
    return drift_and_running(intended_text, running_text, source)[0]


def drift_and_running(intended_text: str, running_text: str,
                      source: str = "intended config") -> Tuple[Diff, Config]:
    """The read-only difference, and the running config as parsed (not normalised),
    so that an audit can look further at it without parsing it a second time."""
    with _no_gc():
        intended = parse(intended_text, source)
        running = parse(running_text, "running config")
        return diff(*normalise_pair(intended, running)), running


# ---------------------------------------------------------------- applying

@dataclasses.dataclass
class ApplyResult:
    errors: List[Dict[str, Any]]
    duration: float
    rc: int


def apply(target: Target, p: Plan, timeout: float) -> ApplyResult:
    """Run the plan's script with one ``vtysh -f``; map reported lines back to commands."""
    lines = p.script_lines()
    fd, path = tempfile.mkstemp(prefix="netmedic-frr-plan.", suffix=".conf")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(l + "\n" for l in lines))
        res = target.run("-f", path, timeout=timeout, check=False)
    finally:
        os.unlink(path)
    errors: List[Dict[str, Any]] = []
    seen = set()
    for raw in (res.stderr + "\n" + res.stdout).splitlines():
        m = _VTYSH_LINE_ERR_RE.match(raw.strip())
        if not m:
            continue
        n = int(m.group(1))
        if (n, m.group(2)) in seen:
            continue
        seen.add((n, m.group(2)))
        cmd = lines[n - 1].strip() if 0 < n <= len(lines) else None
        errors.append({"line": n, "command": cmd, "error": m.group(2).strip()})
    if res.rc != 0 and not errors:
        errors.append({"line": None, "command": None, "error": res.describe()})
    return ApplyResult(errors, res.duration, res.rc)


def backup_running(text: str, directory: str) -> str:
    """Save the running config before changing it; returns the file's path (a refusal when it cannot)."""
    path = backup_path(os.path.join(directory, "frr.running.conf"))
    try:
        write_atomic(path, text, backup=False, mode=0o640)
    except FileOpError as exc:
        raise refusal("cannot save the running config before changing it (backup_dir): %s" % exc)
    return path


def save(target: Target) -> None:
    res = target.run("-c", "write memory", check=False)
    if res.rc != 0 or "[OK]" not in res.stdout:
        raise ReconcileError("'write memory' failed: %s" % res.describe())


# ---------------------------------------------------------------- the whole job

@dataclasses.dataclass
class Options:
    src: Optional[str] = None
    content: Optional[str] = None
    check_mode: bool = False
    save: bool = False
    backup: bool = True
    backup_dir: Optional[str] = None
    require_daemons: bool = True
    apply_timeout: float = 600.0


def reconcile(target: Target, opts: Options) -> Dict[str, Any]:
    """Plan (and unless ``check_mode``, apply and verify).  Returns the module's result dict.

    :raises ReconcileError: a reason to refuse or a failure; ``data`` carries
        what was learnt so far (daemons, plan, errors) and ``changed``: False
        for every refusal (nothing was applied), True once the plan went to vtysh.
    """
    result: Dict[str, Any] = {"changed": False, "pathspace": target.pathspace}
    check_backup_dir(opts.backup_dir)
    intended = load_intended(target, opts.src, opts.content)
    result["intended"] = intended.source
    daemons = daemon_states(target)
    result["daemons"] = daemons
    errors = validate(target, intended.path, text=intended.text)
    if errors:
        raise refusal("FRR rejects the intended config (%s): %s" % (intended.source, errors[0]),
                      validation_errors=errors, **result)

    before = running_config(target)
    try:
        p = compute(intended.text, before, intended.source)
    except FrrConfigError as exc:
        raise refusal(str(exc), **result)
    result.update(_plan_facts(p))
    if p.empty:
        result["remaining"] = []
        return result
    if opts.check_mode:
        result["changed"] = True   # would change
        return result

    _refuse_unsafe(target, opts, p, daemons, intended.source, result)
    if opts.backup:
        result["backup_file"] = backup_running(before, opts.backup_dir or target.confdir)

    result["changed"] = True   # from here on, the plan has gone to FRR (maybe only partly)
    try:
        applied = apply(target, p, opts.apply_timeout)
        result["apply_errors"] = applied.errors
        result["apply_seconds"] = round(applied.duration, 3)
        after = running_config(target)
        left = compute(intended.text, after, intended.source)
    except (CommandError, FrrConfigError, ReconcileError) as exc:
        raise ReconcileError("the plan was sent to FRR but could not be verified: %s; FRR may run part of it: run "
                             "again in check mode to see what still differs" % exc, **result)
    result["remaining"] = [" > ".join(s.path + (s.command,)) for s in left.steps]
    result["saved"] = False
    if opts.save and not left.steps:
        try:
            save(target)
        except (CommandError, ReconcileError) as exc:
            raise ReconcileError("FRR runs the intended config now, but it was not saved: %s" % exc, **result)
        result["saved"] = True
    return result


def _refuse_unsafe(target: Target, opts: Options, p: Plan, daemons: List[Dict[str, Any]], source: str,
                   result: Dict[str, Any]) -> None:
    """The refusals before applying (each with ``changed=False``: nothing was applied)."""
    if not p.diff.intended.entries:
        # An empty template or a truncated file must not wipe a router.
        raise refusal("refusing to reconcile: the intended config (%s) has no configuration lines, "
                      "applying it would delete the whole running config (%d lines)"
                      % (source, len(p.diff.running.entries)), **result)
    if opts.require_daemons:
        down = [d for d in daemons if d["enabled"] and not d["running"]]
        if down:
            raise refusal(
                "refusing to reconcile: FRR daemon(s) %s enabled in %s but not running (%s); "
                "reconciling a half-started FRR makes it worse: start them first"
                % (", ".join(d["name"] for d in down), os.path.join(target.confdir, "daemons"),
                   "; ".join(d["why"] for d in down if d["why"])), **result)
    holder = lock_holder(target)
    if holder:
        raise refusal("refusing to reconcile: the FRR configuration is locked (%s)" % holder, **result)


def _plan_facts(p: Plan) -> Dict[str, Any]:
    d = p.diff
    return {
        "plan": {
            "delete": len(d.deletes),
            "add": len(d.adds),
            "commands": p.commands(),
            "script": p.script(),
        },
        "before": d.running.render(),
        "after": d.intended.render(),
    }
