# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""frr_daemons_options with rollback (issue 16): only with ``restart: true``, where the change acts now.

Without a restart the daemons file is read at the next FRR start only: there
is nothing to watch, and rollback is refused as meaningless.  With a restart,
the router's health (:mod:`frr.health`) is read before, the file written and
FRR restarted (:func:`frr.settings.apply`, unchanged), and the health watched
(the window must cover the sessions coming back after a restart).  The undo
writes the previous text back (atomically; read back), restarts FRR again
and checks that the running watchfrr and zebra use the previous values.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
from typing import List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import fileops, rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health, HealthError
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.frr import settings as frr_settings
from ansible_collections.netmedic.network.plugins.module_utils.frr.health import FrrHealth
from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import Target


@dataclasses.dataclass
class Guarded:
    outcome: Optional[frr_settings.Outcome]
    record: rollback.Record
    error: Optional[frr_settings.SettingsError] = None


def desired(request: frr_settings.Request) -> dict:
    keys = ("watchfrr_restart_timeout", "zebra_netlink_buffer", "pathspace", "restart")
    return {k: getattr(request, k) for k in keys if getattr(request, k) is not None}


def undo(planned: frr_settings.Plan, request: frr_settings.Request, runner: Runner) -> List[str]:
    path = os.path.realpath(planned.path)
    try:
        fileops.write_atomic(path, planned.before, backup=False)
        back = fileops.read_text(path)
    except fileops.FileOpError as exc:
        raise rollback.UndoFailed("%s could not be restored: %s" % (planned.path, exc)) from None
    if back != planned.before:
        raise rollback.UndoFailed("%s was restored but reads back different" % planned.path)
    done = ["%s restored as it was" % planned.path]
    argv = frr_settings.restart_argv(planned.root, planned.pathspace)
    try:   # frrinit.sh's output to a file: FRR 10's daemons keep a pipe open (frr.settings.run_restart, issue 14)
        res = frr_settings.run_restart(runner, planned.root, planned.pathspace, request.restart_timeout)
    except CommandError as exc:
        raise rollback.UndoFailed("the FRR restart after the restore failed: %s" % exc, done) from None
    if not res.ok:
        raise rollback.UndoFailed("the FRR restart after the restore failed: %s" % res.describe(), done)
    done.append("FRR restarted (%s)" % " ".join(argv))
    running = frr_settings.running_values(planned.root, planned.pathspace)
    wanted = frr_settings.file_values(planned.before)
    if frr_settings.restart_needed(running, wanted):
        raise rollback.UndoFailed("after the restart FRR runs with %s, not the restored file's %s" % (running, wanted),
                                  done)
    done.append("the running watchfrr and zebra use the restored values (%s)"
                % ", ".join("%s %s" % kv for kv in sorted(running.items())))
    return done


def ensure(request: frr_settings.Request, settings: rollback.Settings, check_mode: bool = False,
           runner: Optional[Runner] = None, health: Optional[Health] = None, **watch) -> Guarded:
    """:func:`frr.settings.ensure` with the ``rollback`` setting and record."""
    rec = rollback.record(settings, desired(request))
    runner = runner or Runner(timeout=30)
    if settings.enabled and not request.restart:
        rec.last_result = rollback.FAILED
        return Guarded(None, rec, frr_settings.SettingsError(
            "rollback needs restart=true: without a restart the daemons file acts only at the next FRR start, so "
            "there is nothing to watch. Nothing was done."))
    try:
        planned = frr_settings.plan(request)
    except frr_settings.SettingsError as exc:
        rec.last_result = rollback.FAILED
        return Guarded(None, rec, exc)
    health = health or FrrHealth(Target(pathspace=planned.pathspace, root=planned.root, runner=runner, timeout=30))
    if planned.changes:
        try:
            rollback.before(settings, health, rec)
        except HealthError as exc:
            rec.last_result = rollback.FAILED
            return Guarded(None, rec, frr_settings.SettingsError("%s. Nothing was done." % exc))
    try:
        out = frr_settings.apply(planned, request, runner, check_mode)
    except frr_settings.SettingsError as exc:
        rec.last_result = rollback.FAILED
        return Guarded(None, rec, exc)
    if not out.changed:
        rec.last_result = rollback.UNCHANGED
    elif check_mode:
        rec.last_result = rollback.WOULD_CHANGE
    else:
        rollback.guard(settings, health, rec, lambda: undo(planned, request, runner), **watch)
    return Guarded(out, rec)
