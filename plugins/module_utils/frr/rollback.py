# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""frr_reconcile with rollback (issue 16): capture, reconcile, watch, reconcile back when worse.

frr-reload.py applies and leaves; frr-k8s keeps the last good config.  Here,
with ``rollback: true``, the running config is captured (``show
running-config``) with the health (:mod:`frr.health`) before the reconcile
(:func:`frr.reconcile.run`, unchanged).  When the health got worse the undo
is the same engine run the other way: reconcile to the captured text, then
read the running config again and require that nothing differs from the
captured one (and ``write memory`` again when the change had saved).  An
undo that fails says which daemons run and how many lines still differ.

A route-map or list change reaches BGP only after ``bgp route-map
delay-timer`` (5 s by default): a plan that changes one is watched at least
that long, so a bad policy is not trusted before it acts.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.health import HealthError
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.frr import reconcile
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import FrrConfigError
from ansible_collections.netmedic.network.plugins.module_utils.frr.health import FrrHealth
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import compute
from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import (
    NOTHING_APPLIED, ReconcileError, Target, running_config, save)

DEFAULT_DELAY_TIMER = 5      # FRR's bgp route-map delay-timer default (bgpd/bgpd.h)
_DELAY_RE = re.compile(r"^\s*bgp route-map delay-timer (\d+)", re.M)
_POLICY_RE = re.compile(r"^(route-map|ip prefix-list|ipv6 prefix-list|bgp (community|large-community|extcommunity)-"
                        r"list|bgp as-path access-list|access-list|ipv6 access-list) ")


def desired(request: reconcile.Request) -> Dict[str, Any]:
    return {"intended": request.src or ("content" if request.content is not None else "frr.conf"),
            "pathspace": request.pathspace, "save": request.save}


def policy_settle(settings: rollback.Settings, commands: List[str], running: str) -> rollback.Settings:
    """At least the route-map delay timer (+1 s) when the plan changes a policy (route-map, lists)."""
    if not any(_POLICY_RE.match(_context(c)) for c in commands):
        return settings
    m = _DELAY_RE.search(running)
    delay = int(m.group(1)) if m else DEFAULT_DELAY_TIMER
    return dataclasses.replace(settings, settle=max(settings.settle, min(delay + 1.0, settings.window)))


def config_text(running: str) -> str:
    """``show running-config`` without its header (``Building configuration...``, ``Current configuration:``),
    which FRR's own parser rejects when the text is applied back."""
    lines = running.splitlines(True)
    for n, line in enumerate(lines[:4]):
        if line.strip() == "Current configuration:":
            return "".join(lines[n + 1:])
    return running


def _context(command: str) -> str:
    """``'no route-map X permit 10'`` / ``'route-map X permit 10 > set ...'`` -> ``'route-map X permit 10 '``."""
    top = command.split(" > ")[0].strip()
    return (top[3:] if top.startswith("no ") else top) + " "


def undo(target: Target, request: reconcile.Request, captured: str, runner: Optional[Runner]) -> List[str]:
    """Reconcile back to ``captured`` and prove it: the running config equals it again."""
    back = reconcile.run(dataclasses.replace(request, src=None, content=captured, save=False, backup=False,
                                             require_daemons=False, fail_on_remaining=True, check_mode=False),
                         runner)
    done = []
    if back.result.get("changed"):
        done.append("reconciled back to the running config captured before the change (%d command(s))"
                    % len((back.result.get("plan") or {}).get("commands") or []))
    try:
        left = compute(captured, running_config(target), "captured running config").steps
    except (CommandError, ReconcileError, FrrConfigError) as exc:
        raise rollback.UndoFailed("the running config cannot be read after the undo (%s); %s"
                                  % (exc, _daemons(target)), done) from None
    if back.error or left:
        raise rollback.UndoFailed("%s; %d line(s) of the running config still differ from the captured one%s; %s"
                                  % ((back.error or "the undo did not converge").replace("; " + NOTHING_APPLIED, ""),
                                     len(left), (" (%s)" % ", ".join(" > ".join(s.path + (s.command,))
                                                                     for s in left[:5])) if left else "",
                                     _daemons(target)), done)
    done.append("the running config equals the captured one again")
    if request.save:
        try:
            save(target)
        except (CommandError, ReconcileError) as exc:
            raise rollback.UndoFailed("the running config is restored but 'write memory' failed, so frr.conf "
                                      "still holds the change: %s" % exc, done) from None
        done.append("saved it (write memory), as the change had been")
    return done


def _daemons(target: Target) -> str:
    try:
        states = reconcile.daemon_states(target)
    except ReconcileError as exc:
        return "daemons unknown: %s" % exc
    down = [d["name"] for d in states if d["enabled"] and not d["running"]]
    return "daemons not running: %s" % ", ".join(down) if down else "every enabled daemon runs"


def run(request: reconcile.Request, settings: rollback.Settings, route_loss: float,
        runner: Optional[Runner] = None, **watch) -> reconcile.Outcome:
    """:func:`frr.reconcile.run` with the ``rollback`` setting; the outcome's result gets the record."""
    rec = rollback.record(settings, desired(request))
    captured, target, health = None, None, None
    if settings.enabled:
        try:
            target = Target(pathspace=request.pathspace, vtysh=request.vtysh, timeout=request.command_timeout,
                            runner=runner or Runner(timeout=request.command_timeout))
            captured = config_text(running_config(target))
            health = FrrHealth(target, route_loss)
            rollback.before(settings, health, rec)
        except (ValueError, CommandError, ReconcileError, HealthError) as exc:
            rec.last_result = rollback.FAILED
            return reconcile.Outcome({"changed": False, "rollback": rec.to_result()},
                                     "rollback: cannot capture the running config and its health before the change "
                                     "(%s); %s" % (exc, NOTHING_APPLIED))
    out = reconcile.run(request, runner)
    result = out.result
    changed = bool(result.get("changed"))
    if out.error and not changed:
        rec.last_result = rollback.FAILED
    elif not changed:
        rec.last_result = rollback.UNCHANGED
    elif request.check_mode:
        rec.last_result = rollback.WOULD_CHANGE
    else:
        commands = (result.get("plan") or {}).get("commands") or []
        guarded = policy_settle(settings, commands, captured or "")
        rollback.guard(guarded, health, rec,
                       lambda: undo(target, request, captured, runner), **watch)
        if out.error and not rec.stop_batch:
            rec.last_result = rollback.FAILED
    result["rollback"] = rec.to_result()
    if rec.stop_batch:
        out.error = rec.message() + ((". The change itself had failed: %s" % out.error) if out.error else "")
    return out
