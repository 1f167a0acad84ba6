# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bond_arp_validate module's one call: plan every bond, apply, report.

:func:`ensure_arp_validate` checks the :class:`Request`, plans every bond
(:func:`plan`: reads only, so check mode stops there) and, when something
changes, applies the plans (:func:`apply`: each kernel value written and
verified, then each file once, then each backend's reload step, on this
host's own root only).  The :class:`Outcome` holds what the module returns.
A :class:`~.fix.FixError` is a sentence for the operator; once something was
written it also carries ``changed`` and the bonds' results.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Optional, Sequence

from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bond_persist
from ansible_collections.netmedic.network.plugins.module_utils.bond.fix import (
    DEFAULT_VALUE, BondPlan, FixError, all_diffs, apply_plans, changed_files, plan_bonds, select_bonds)
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import PersistError
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.networkmanager import (
    NAME as NETWORKMANAGER, stray_backups)
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

# Seconds each reload command (nmcli connection load, netplan generate) may take.
RELOAD_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True)
class Request:
    """The module's options (see its documentation)."""

    bonds: Sequence[str] = ()
    value: str = DEFAULT_VALUE
    force: bool = False
    runtime: bool = True
    persist: bool = True
    backend: str = "auto"
    backup: bool = True
    reload: bool = True
    root: str = "/"

    def problem(self) -> Optional[str]:
        """Why nothing can be planned, or None."""
        if not self.runtime and not self.persist:
            return "runtime and persist are both false: there is nothing to do"
        return root_error(self.root)


@dataclasses.dataclass
class Outcome:
    plans: List[BondPlan]
    left_alone: List[Dict[str, str]]
    reloaded: List[str] = dataclasses.field(default_factory=list)
    warnings: List[str] = dataclasses.field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(pl.changed for pl in self.plans)

    def bonds(self) -> List[Dict]:
        return [pl.to_result() for pl in self.plans]

    def diffs(self) -> List[Dict[str, str]]:
        return all_diffs(self.plans)


def root_error(root: str) -> Optional[str]:
    """Why ``root`` cannot be used, or None.  An empty root is refused: it must not quietly mean /."""
    if not root or not root.strip():
        return "root is empty; give / for this host, or the directory of a chroot"
    if "\x00" in root:
        return "root %r contains a NUL byte" % root
    if not os.path.isabs(root):
        return "root %s is not an absolute path" % root
    if not os.path.exists(root):
        return "root %s does not exist" % root
    if not os.path.isdir(root):
        return "root %s is not a directory" % root
    return None


def live_root(root: str) -> bool:
    """Whether root is this host's / (only then are the owning tools told to reload)."""
    return os.path.realpath(root) == "/"


def plan(request: Request) -> Outcome:
    """Every requested bond planned (nothing written); FixError when any must not or cannot be changed."""
    problem = request.problem()
    if problem:
        raise FixError(problem)
    sysfs = Sysfs(request.root)
    try:
        bonds, skipped = select_bonds(sysfs, list(dict.fromkeys(request.bonds)))
        plans = plan_bonds(sysfs, request.root, bonds, request.value, force=request.force,
                           runtime=request.runtime, persist=request.persist, backend=request.backend)
    except FixError as exc:
        raise FixError("%s. Nothing was changed." % str(exc).rstrip(".")) from None
    return Outcome(plans, skipped)


def apply(outcome: Outcome, request: Request, runner: Optional[Runner] = None) -> Outcome:
    """Write the planned kernel values and files, then let their owners reload them (on a live root)."""
    try:
        apply_plans(Sysfs(request.root), outcome.plans, backup=request.backup)
    except FixError as exc:
        raise FixError(str(exc), changed=exc.changed, bonds=outcome.bonds()) from None
    if request.reload and live_root(request.root):
        try:
            outcome.reloaded = bond_persist.reload(changed_files(outcome.plans),
                                                   runner or Runner(timeout=RELOAD_TIMEOUT))
        except CommandError as exc:
            raise FixError("the files were written, but reloading them failed: %s" % exc, changed=True,
                           bonds=outcome.bonds()) from None
    return outcome


def stray_warnings(plans: List[BondPlan], root: str) -> List[str]:
    if not any(pl.backend == NETWORKMANAGER for pl in plans):
        return []
    try:
        strays = stray_backups(root)
    except PersistError:
        strays = []
    return ["%s is a backup an older netmedic left where NetworkManager loads it as a profile (a second copy of "
            "the connection); move it out, e.g. to /var/backups/netmedic" % path for path in strays]


def ensure_arp_validate(request: Request, check_mode: bool = False, runner: Optional[Runner] = None) -> Outcome:
    """Plan, and unless in check mode or nothing changes, apply; FixError says what (if anything) was done."""
    outcome = plan(request)
    if outcome.changed and not check_mode:
        apply(outcome, request, runner)
    outcome.warnings = stray_warnings(outcome.plans, request.root)
    return outcome
