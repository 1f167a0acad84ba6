# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One running FRR instance through vtysh: read its running config, validate, check the lock, apply, save.

:class:`Target` names the instance (pathspace, vtysh binary, root, runner);
the reconcile engine (:mod:`frr.reconcile`) and the audits (``frr_drift``,
``frr_settings``) talk to FRR only through these functions.  A reason not to
go on is a :class:`ReconcileError` (``changed=False`` in its data unless the
plan had gone to vtysh already); a refusal says that nothing was applied.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import (
    check_pathspace, etc_dir, frr_conf_path, vtysh_argv)
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import Plan

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
        self.pathspace = check_pathspace(self.pathspace)

    @property
    def confdir(self) -> str:
        return etc_dir(self.root, self.pathspace)

    @property
    def default_config(self) -> str:
        return frr_conf_path(self.root, self.pathspace)

    def argv(self, *args: str) -> List[str]:
        return vtysh_argv(self.pathspace, args=args, vtysh=self.vtysh)

    def run(self, *args: str, timeout: Optional[float] = None, check: bool = True):
        return self.runner(self.argv(*args), timeout=self.timeout if timeout is None else timeout, check=check)


def running_config(target: Target) -> str:
    """``show running-config`` text; CommandError when vtysh fails (checked here, not by the runner: every
    runner, the tests' fakes included, is held to it)."""
    res = target.run("-c", "show running-config", check=False)
    if res.rc != 0:
        raise CommandError(res.describe(), res)
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


def lock_holder(target: Target) -> Optional[str]:
    """The message FRR gives when the configuration is locked by another session, else None."""
    res = target.run("-c", "configure terminal", check=False)
    text = (res.stdout + res.stderr).strip()
    if "lock" in text.lower():
        return text.splitlines()[0] if text else "configuration is locked"
    if res.rc != 0:
        raise refusal("vtysh cannot enter configuration mode: %s" % res.describe())
    return None


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


def save(target: Target) -> None:
    res = target.run("-c", "write memory", check=False)
    if res.rc != 0 or "[OK]" not in res.stdout:
        raise ReconcileError("'write memory' failed: %s" % res.describe())
