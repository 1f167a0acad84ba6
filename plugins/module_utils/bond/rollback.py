# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bond_arp_validate with rollback (issue 16): plan, snapshot, apply, watch, undo when worse.

The undo puts back what :func:`~.arp_validate.apply` changed, from what the
plan read before writing: each bond's previous runtime value (written and
read back), then each changed file's previous text (the same bytes as its
backup under /var/backups/netmedic, written atomically and read back), then
the owning tools' reload step as after the change.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bond import arp_validate
from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bond_persist
from ansible_collections.netmedic.network.plugins.module_utils.bond.arp_validate import (
    Outcome, Request, apply, plan, stray_warnings)
from ansible_collections.netmedic.network.plugins.module_utils.bond.fix import (
    BondPlan, FixError, changed_files, distinct_files)
from ansible_collections.netmedic.network.plugins.module_utils.bond.health import BondHealth
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import BondError, read_bond, write_arp_validate
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, read_text, write_atomic
from ansible_collections.netmedic.network.plugins.module_utils.core.health import HealthError
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs


def desired(request: Request) -> dict:
    return {"bonds": list(request.bonds) or "every bond with ARP monitoring", "arp_validate": request.value,
            "runtime": request.runtime, "persist": request.persist}


def undo(sysfs: Sysfs, plans: List[BondPlan], request: Request, runner: Optional[Runner] = None) -> List[str]:
    """Put the previous runtime values and files back, verified; UndoFailed says what failed and what was done."""
    done: List[str] = []
    for pl in plans:
        if not pl.runtime_change:
            continue
        name, old = pl.bond.name, pl.runtime_before
        try:
            write_arp_validate(sysfs, name, old)
            now = read_bond(sysfs, name).arp_validate
        except BondError as exc:
            raise rollback.UndoFailed("%s: arp_validate could not be set back to %s: %s" % (name, old, exc),
                                      done) from None
        if now != old:
            raise rollback.UndoFailed("%s: wrote arp_validate=%s back but the kernel reports %s" % (name, old, now),
                                      done)
        done.append("%s arp_validate back to %s (read back)" % (name, old))
    for change in distinct_files(plans):
        if not change.changed:
            continue
        try:
            write_atomic(change.path, change.before, backup=False)
            back = read_text(change.path)
        except FileOpError as exc:
            raise rollback.UndoFailed("%s could not be restored: %s (its backup is %s)"
                                      % (change.path, exc, change.backup or "not kept"), done) from None
        if back != change.before:
            raise rollback.UndoFailed("%s was restored but reads back different (its backup is %s)"
                                      % (change.path, change.backup or "not kept"), done)
        done.append("%s restored as it was%s" % (change.path, " (= %s)" % change.backup if change.backup else ""))
    if request.reload and arp_validate.live_root(request.root):
        try:
            done += ["reloaded: %s" % c for c in bond_persist.reload(changed_files(plans), runner or Runner(timeout=60))]
        except CommandError as exc:
            raise rollback.UndoFailed("the files were restored, but reloading them failed: %s" % exc, done) from None
    return done


@dataclasses.dataclass
class Guarded:
    """One bond_arp_validate run: the outcome (None when planning failed), the rollback record, the error."""

    outcome: Optional[Outcome]
    record: rollback.Record
    error: Optional[FixError] = None


def ensure(request: Request, settings: rollback.Settings, check_mode: bool = False,
           runner: Optional[Runner] = None, **watch) -> Guarded:
    """:func:`~.arp_validate.ensure_arp_validate` with the ``rollback`` setting and record."""
    rec = rollback.record(settings, desired(request))
    try:
        outcome = plan(request)
    except FixError as exc:
        rec.last_result = rollback.FAILED
        return Guarded(None, rec, exc)
    sysfs = Sysfs(request.root)
    health = BondHealth(sysfs, [pl.bond.name for pl in outcome.plans if pl.runtime_change])
    if outcome.changed:
        try:
            rollback.before(settings, health, rec)
        except HealthError as exc:
            return Guarded(outcome, rec, FixError("%s. Nothing was changed." % exc))
        rec.last_result = rollback.WOULD_CHANGE
        if not check_mode:
            try:
                apply(outcome, request, runner)
            except FixError as exc:
                rec.last_result = rollback.FAILED
                return Guarded(outcome, rec, exc)
            rollback.guard(settings, health, rec, lambda: undo(sysfs, outcome.plans, request, runner), **watch)
    outcome.warnings = stray_warnings(outcome.plans, request.root)
    return Guarded(outcome, rec)
