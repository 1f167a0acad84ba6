# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring a running FRR to its intended configuration, safely, in one vtysh call.

The steps (:func:`reconcile`); vtysh is spoken by :mod:`frr.vtysh`, the
configs are compared and planned by :mod:`frr.plan` (both shared with the
preflight audits):

1. read the intended config (a file, or text rendered by the caller) and
   validate it with FRR's own parser (``vtysh -C -f``, text on its stdin):
   refuse on errors;
2. read the running config (``vtysh -c 'show running-config'``), parse and
   normalise both sides, compute the :class:`~frr_plan.Plan`; when they
   differ, compare again in the words the router's FRR prints (a throwaway
   instance renders the intended config, :mod:`frr.compare`), so that a line
   written differently is neither planned nor left in ``remaining``;
3. refuse to apply when a daemon enabled in the daemons file is not running,
   when the configuration is locked by another session, or when the running
   FRR is a version netmedic was not tested with (:mod:`frr.version`) unless
   ``allow_untested_version``;
4. back up the running config, apply the whole plan with **one**
   ``vtysh -f`` (which does not stop at a failing line and reports each);
5. read the running config again and report what still differs;
6. ``write memory`` only when asked.

:func:`run` is the frr_reconcile module's whole job: its arguments in
(:class:`Request`), its result out (:class:`Outcome`: the result keys, the
facts, the diff, and the message when it must fail).

A refusal (bad option, daemons down, empty intended config, locked
configuration, no backup possible) happens before anything is applied: its
:class:`ReconcileError` carries ``changed=False`` and says nothing was
applied.  An error after the plan went to vtysh carries ``changed=True``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.diff import unified_diff
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, backup_path, write_atomic
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import uptime_seconds
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import (
    CommandError, CommandNotFound, Runner)
from ansible_collections.netmedic.network.plugins.module_utils.frr import version as frr_version
from ansible_collections.netmedic.network.plugins.module_utils.frr.compare import Comparison, compare
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import FrrConfigError
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemon_argv import DaemonsFileError
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemons_file import (
    enabled_daemons, parse_assignments)
from ansible_collections.netmedic.network.plugins.module_utils.frr.files import UnreadableFile, read_frr_file
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import daemons_path, has_mgmtd
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import Plan
from ansible_collections.netmedic.network.plugins.module_utils.frr.processes import daemon_process
from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import (
    NOTHING_APPLIED, ReconcileError, Target, apply, lock_holder, refusal, running_config, save, validate)

# A restart this recent is evidence (incident 000: watchfrr's 'restart all').
RECENT_RESTART_SECONDS = 3600


# ---------------------------------------------------------------- reading

def daemon_states(target: Target) -> List[Dict[str, Any]]:
    """Each daemon the daemons file enables (zebra and staticd always): running, pid, uptime."""
    path = daemons_path(target.root, target.pathspace)
    try:
        text = read_frr_file(path, lenient=True)
    except UnreadableFile as exc:
        if exc.missing and target.pathspace:
            raise refusal("FRR pathspace %r has no daemons file %s: is the pathspace name right?"
                          % (target.pathspace, path), pathspace=target.pathspace)
        if exc.missing:
            raise refusal("FRR's daemons file %s does not exist: is FRR installed?" % path)
        raise refusal("cannot read the FRR daemons file %s: %s" % (path, exc.reason),
                      pathspace=target.pathspace)
    try:
        enabled = enabled_daemons(parse_assignments(text), mgmtd=has_mgmtd(target.root))
    except DaemonsFileError as exc:
        raise refusal("cannot read the FRR daemons file %s: %s" % (path, exc))
    uptime = uptime_seconds(target.root)
    out = []
    for name in ["watchfrr"] + list(enabled):
        p = daemon_process(target.root, target.pathspace, name, uptime)
        age = p.age_seconds
        out.append({
            "name": name, "enabled": name != "watchfrr", "running": p.running, "pid": p.pid,
            "uptime_seconds": None if age is None else round(age, 1),
            "restarted_recently": bool(age is not None and age < RECENT_RESTART_SECONDS),
            "why": p.why,
        })
    return out


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
        text = read_frr_file(path)
    except UnreadableFile as exc:
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


# ---------------------------------------------------------------- applying

def backup_running(text: str, directory: str) -> str:
    """Save the running config before changing it; returns the file's path (a refusal when it cannot)."""
    path = backup_path(os.path.join(directory, "frr.running.conf"))
    try:
        write_atomic(path, text, backup=False, mode=0o640)
    except FileOpError as exc:
        raise refusal("cannot save the running config before changing it (backup_dir): %s" % exc)
    return path


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
    render: str = "frr"
    allow_untested_version: bool = False


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
        cmp = compare(intended.text, before, intended.source, mode=opts.render,
                      daemons=[d["name"] for d in daemons if d["enabled"]], runner=target.runner,
                      vtysh=target.vtysh, root=target.root)
    except FrrConfigError as exc:
        raise refusal(str(exc), **result)
    p = cmp.plan
    result.update(_version_facts(cmp))
    result.update(cmp.how)
    result.update(_plan_facts(p))
    if p.empty:
        result["remaining"] = []
        return result
    if opts.check_mode:
        result["changed"] = True   # would change
        return result

    _refuse_unsafe(target, opts, cmp, daemons, intended.source, result)
    if opts.backup:
        result["backup_file"] = backup_running(before, opts.backup_dir or target.confdir)

    result["changed"] = True   # from here on, the plan has gone to FRR (maybe only partly)
    try:
        applied = apply(target, p, opts.apply_timeout)
        result["apply_errors"] = applied.errors
        result["apply_seconds"] = round(applied.duration, 3)
        after = running_config(target)
        left = cmp.again(after)
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


def _refuse_unsafe(target: Target, opts: Options, cmp: Comparison, daemons: List[Dict[str, Any]], source: str,
                   result: Dict[str, Any]) -> None:
    """The refusals before applying (each with ``changed=False``: nothing was applied)."""
    p = cmp.plan
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
                % (", ".join(d["name"] for d in down), daemons_path(target.root, target.pathspace),
                   "; ".join(d["why"] for d in down if d["why"])), **result)
    why = frr_version.untested_reason(cmp.version)
    if why and not opts.allow_untested_version:
        raise refusal("refusing to reconcile: %s; its running config may be printed in words netmedic does not "
                      "know (check mode shows the plan; set allow_untested_version to apply it anyway)" % why,
                      **result)
    holder = lock_holder(target)
    if holder:
        raise refusal("refusing to reconcile: the FRR configuration is locked (%s)" % holder, **result)


def _version_facts(cmp: Comparison) -> Dict[str, Any]:
    return {"frr_version": frr_version.text(cmp.version), "frr_version_tested": frr_version.tested(cmp.version)}


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


# ---------------------------------------------------------------- the frr_reconcile module

@dataclasses.dataclass(frozen=True)
class Request:
    """The frr_reconcile arguments (the names are the module's: messages name them)."""

    src: Optional[str] = None
    content: Optional[str] = None
    pathspace: Optional[str] = None
    vtysh: str = "vtysh"
    save: bool = False
    backup: bool = True
    backup_dir: Optional[str] = None
    require_daemons: bool = True
    fail_on_remaining: bool = True
    command_timeout: float = 60.0
    apply_timeout: float = 600.0
    render: str = "frr"
    allow_untested_version: bool = False
    check_mode: bool = False


@dataclasses.dataclass
class Outcome:
    """What frr_reconcile reports: its result keys (``ansible_facts`` among them once the daemons were read),
    the message when it fails, and the diff (normalised running config, intended config) when one was planned."""

    result: Dict[str, Any]
    error: Optional[str] = None
    diff: Optional[Dict[str, str]] = None


def facts(result: Dict[str, Any]) -> Dict[str, Any]:
    """``ansible_facts.netmedic_frr``: the daemons and whether one restarted in the last hour."""
    daemons = result.get("daemons") or []
    return {"netmedic_frr": {
        "pathspace": result.get("pathspace"),
        "daemons": daemons,
        "restarted_recently": any(d.get("restarted_recently") for d in daemons if d.get("enabled")),
    }}


def run(request: Request, runner: Optional[Runner] = None) -> Outcome:
    """Check the arguments, :func:`reconcile`, and say it the way the module reports it."""
    for name in ("src", "pathspace", "vtysh", "backup_dir"):
        value = getattr(request, name)
        if value is not None and not value.strip():
            return Outcome({"changed": False}, "%s is an empty string: give a value or leave %s out. Nothing was "
                                               "done." % (name, name))
    try:
        target = Target(pathspace=request.pathspace, vtysh=request.vtysh, timeout=request.command_timeout,
                        runner=runner or Runner(timeout=request.command_timeout))
    except ValueError as exc:
        return Outcome({"changed": False}, "pathspace: %s. Nothing was done." % exc)
    opts = Options(src=request.src, content=request.content, check_mode=request.check_mode, save=request.save,
                   backup=request.backup, backup_dir=request.backup_dir, require_daemons=request.require_daemons,
                   apply_timeout=request.apply_timeout, render=request.render,
                   allow_untested_version=request.allow_untested_version)
    try:
        result = reconcile(target, opts)
    except ReconcileError as exc:
        data = {k: v for k, v in exc.data.items() if k not in ("before", "after")}
        msg = str(exc)
        if not data["changed"] and NOTHING_APPLIED not in msg:
            msg += "; " + NOTHING_APPLIED
        data["ansible_facts"] = facts(data)
        data.pop("daemons", None)
        return Outcome(data, msg)
    except CommandNotFound as exc:
        return Outcome({"changed": False}, "vtysh %r cannot run: %s; %s" % (request.vtysh, exc, NOTHING_APPLIED))
    except CommandError as exc:
        # (after the plan went to vtysh, reconcile() raises ReconcileError with changed=True instead)
        return Outcome({"changed": False}, "FRR did not answer: %s; %s" % (exc, NOTHING_APPLIED))

    before, after = result.pop("before", ""), result.pop("after", "")
    result["ansible_facts"] = facts(result)
    result.pop("daemons", None)
    result["unified_diff"] = unified_diff(before, after, request.pathspace or "frr", "running", "intended")
    diff = {"before": before, "after": after, "before_header": "running config",
            "after_header": result.get("intended", "intended")}
    remaining = result.get("remaining") or []
    error = None
    if remaining and not request.check_mode and request.fail_on_remaining:
        error = "%d line(s) still differ after applying the plan; see remaining and apply_errors" % len(remaining)
    return Outcome(result, error, diff)
