# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan and apply an arp_validate change: running kernel and persisted configuration.

:func:`plan_bond` looks at one bond and computes everything that would change
(the sysfs value, the new text of each configuration file) without touching
anything, or raises :class:`FixError` with a sentence for the operator.
:func:`plan_bonds` plans *every* requested bond first, so bad input for one
bond means nothing is written for any, and a file that configures several of
them is planned once with all their edits.  :func:`apply_plans` then writes
each bond's sysfs value (one ``os.write``) and verifies it (:func:`verify_runtime`
reads it back) before the next bond, and only when the kernel took every
value, each changed file once (``write_atomic``: backup, owner and mode kept).
Kernel first: it validates the value, so a value it refuses is never persisted
where the next boot would apply it.  :func:`changed_files` tells each
backend's reload step which files it wrote.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bond_persist
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import PersistError
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import (
    ACTIVE_BACKUP, ARP_VALIDATE_VALUES, Bond, BondError, discover, read_bond, write_arp_validate)
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

# The value this collection recommends for incident 004 (see the module's documentation):
# 'all' ignores every frame that is not a validated ARP, works on every kernel with
# arp_validate and is the one strict value every backend (networkd, netplan) can persist.
DEFAULT_VALUE = "all"
# Linux commit a9b8a2b39ce6 (May 2019, in 5.2): before it, switching arp_validate
# off on an up active-backup bond left recv_probe unset and took every slave down.
TOGGLE_OFF_FIX = "Linux 5.2 (commit a9b8a2b39ce6, May 2019)"


class FixError(Exception):
    """A bond that must not or cannot be changed; ``str()`` is for operators.

    ``changed``: something was already written when the error happened.
    ``bonds``: each bond's result (:meth:`BondPlan.to_result`) once writing began, else None.
    """

    def __init__(self, message: str, changed: bool = False, bonds: Optional[List[Dict[str, Any]]] = None):
        super().__init__(message)
        self.changed = changed
        self.bonds = bonds

    def result(self) -> Dict[str, Any]:
        """What the module returns with the message: nothing more before writing began."""
        return {} if self.bonds is None else {"changed": self.changed, "bonds": self.bonds}


@dataclasses.dataclass
class BondPlan:
    bond: Bond
    value: str
    runtime: bool
    persist: bool
    backend: Optional[str] = None
    persisted_before: Optional[str] = None
    files: List[bond_persist.FileChange] = dataclasses.field(default_factory=list)
    sysfs_path: str = ""

    @property
    def runtime_before(self) -> Optional[str]:
        return self.bond.arp_validate

    @property
    def runtime_change(self) -> bool:
        return self.runtime and self.bond.arp_validate != self.value

    @property
    def changed(self) -> bool:
        return self.runtime_change or any(f.changed for f in self.files)

    def runtime_diff(self) -> List[Dict[str, str]]:
        if not self.runtime_change:
            return []
        return [{"before_header": self.sysfs_path, "after_header": self.sysfs_path,
                 "before": "%s\n" % self.runtime_before, "after": "%s\n" % self.value}]

    def diffs(self) -> List[Dict[str, str]]:
        """Ansible diff dicts: the sysfs value, then one per file."""
        return self.runtime_diff() + [_file_diff(f) for f in self.files]

    def to_result(self) -> Dict[str, Any]:
        return {
            "name": self.bond.name,
            "mode": self.bond.mode,
            "arp_interval": self.bond.arp_interval,
            "arp_ip_target": list(self.bond.arp_ip_target),
            "before": self.runtime_before,
            "after": self.value if self.runtime else self.runtime_before,
            "runtime_changed": self.runtime_change,
            "backend": self.backend,
            "persisted_before": self.persisted_before,
            "files": [{"path": f.path, "changed": f.changed, "backup": f.backup, "diff": f.diff()}
                      for f in self.files],
            "changed": self.changed,
        }


def _file_diff(change: bond_persist.FileChange) -> Dict[str, str]:
    return {"before_header": change.path, "after_header": change.path, "before": change.before, "after": change.after}


def all_diffs(plans: List[BondPlan]) -> List[Dict[str, str]]:
    """Diff mode for several bonds: each sysfs value, then each file once (with every bond's edit)."""
    return [d for pl in plans for d in pl.runtime_diff()] + [_file_diff(f) for f in distinct_files(plans)]


def distinct_files(plans: List[BondPlan]) -> List[bond_persist.FileChange]:
    out: List[bond_persist.FileChange] = []
    for pl in plans:
        out.extend(f for f in pl.files if all(f is not o for o in out))
    return out


def select_bonds(sysfs: Sysfs, names: List[str]) -> Tuple[List[Bond], List[Dict[str, str]]]:
    """The bonds to work on and the ones skipped (with a reason).

    Named bonds must all exist.  Without names: every bond that uses ARP
    monitoring in a mode that supports it; the others are listed as skipped.
    """
    if names:
        bonds, errors = [], []
        for name in names:
            try:
                bonds.append(read_bond(sysfs, name))
            except BondError as exc:
                errors.append(str(exc))
        if errors:
            raise FixError("bonds: %s" % "; ".join(errors))
        return bonds, []
    try:
        found = discover(sysfs)
    except BondError as exc:
        raise FixError(str(exc)) from None
    bonds, skipped = [], []
    for bond in found:
        if not bond.supports_arp_validate:
            skipped.append({"name": bond.name, "reason": "mode %s has no ARP monitoring" % bond.mode})
        elif not bond.arp_monitoring:
            skipped.append({"name": bond.name, "reason": "ARP monitoring is off (arp_interval 0)"})
        else:
            bonds.append(bond)
    return bonds, skipped


def plan_bonds(sysfs: Sysfs, root: str, bonds: List[Bond], value: str, **options) -> List[BondPlan]:
    """:func:`plan_bond` for each bond, sharing the files several bonds change (one edit per file)."""
    pending: Dict[str, bond_persist.FileChange] = {}
    return [plan_bond(sysfs, root, b, value, pending=pending, **options) for b in bonds]


def plan_bond(sysfs: Sysfs, root: str, bond: Bond, value: str, force: bool = False, runtime: bool = True,
              persist: bool = True, backend: str = "auto",
              pending: Optional[Dict[str, bond_persist.FileChange]] = None) -> BondPlan:
    """Everything that would change for ``bond``; FixError when it must not be changed.

    ``pending``: the file changes of bonds planned before (see :func:`bond_persist.plan`).
    """
    if value not in ARP_VALIDATE_VALUES:
        raise FixError("%r is not an arp_validate value (expected one of %s)"
                       % (value, ", ".join(ARP_VALIDATE_VALUES)))
    if not bond.supports_arp_validate:
        raise FixError("%s runs in %s mode, where the kernel has no ARP monitoring and refuses arp_validate "
                       "(such bonds rely on miimon, currently %d ms)"
                       % (bond.name, bond.mode, bond.miimon))
    if bond.arp_validate is None:
        raise FixError("%s has no readable arp_validate attribute in sysfs (%s)"
                       % (bond.name, sysfs.path("sys/class/net", bond.name, "bonding/arp_validate")))
    if (runtime and value == "none" and bond.arp_validate != "none" and bond.mode == ACTIVE_BACKUP
            and bond.up and not force):
        raise FixError("refusing to turn ARP validation off on %s: it is an active-backup bond that is up, and "
                       "kernels before %s mark every slave down when that happens (a full outage). Set "
                       "force: true if this kernel is newer, or do it in a maintenance window"
                       % (bond.name, TOGGLE_OFF_FIX))
    plan = BondPlan(bond=bond, value=value, runtime=runtime, persist=persist,
                    sysfs_path="/sys/class/net/%s/bonding/arp_validate" % bond.name)
    if persist:
        try:
            persisted = bond_persist.detect(root, bond.name, backend)
            plan.backend = persisted.backend
            plan.persisted_before = bond_persist.persisted_value(persisted)
            plan.files = bond_persist.plan(persisted, bond.name, value, pending)
        except PersistError as exc:
            raise FixError("%s: %s" % (bond.name, exc)) from None
    return plan


def _apply_runtime(sysfs: Sysfs, plan: BondPlan) -> None:
    if not plan.runtime_change:
        return
    try:
        write_arp_validate(sysfs, plan.bond.name, plan.value)
    except BondError as exc:
        raise FixError(str(exc)) from None
    verify_runtime(sysfs, plan)


def verify_runtime(sysfs: Sysfs, plan: BondPlan) -> None:
    """FixError unless the kernel now reports the planned value (read back after the write)."""
    try:
        now = read_bond(sysfs, plan.bond.name).arp_validate
    except BondError as exc:
        raise FixError("%s: wrote arp_validate=%s but cannot read it back: %s"
                       % (plan.bond.name, plan.value, exc)) from None
    if now != plan.value:
        raise FixError("%s: wrote arp_validate=%s but the kernel now reports %s" % (plan.bond.name, plan.value, now))


def _already(kernel: List[str], files: List[str]) -> str:
    done = (["the running kernel of %s" % ", ".join(kernel)] if kernel else []) + files
    return "; already changed: %s" % ", ".join(done) if done else "; nothing was changed"


def apply_plans(sysfs: Sysfs, plans: List[BondPlan], backup: bool = True) -> None:
    """Each bond's runtime value, then each changed file once.  FixError says what was already done."""
    kernel: List[str] = []
    for plan in plans:
        try:
            _apply_runtime(sysfs, plan)
        except FixError as exc:
            raise FixError("%s%s%s" % (exc, _already(kernel, []), "; no file was written" if kernel else ""),
                           changed=bool(kernel)) from None
        if plan.runtime_change:
            kernel.append(plan.bond.name)
    written: List[str] = []
    for change in distinct_files(plans):
        if not change.changed:
            continue
        try:
            bond_persist.apply([change], backup=backup)
        except PersistError as exc:
            raise FixError("%s%s" % (exc, _already(kernel, written)), changed=bool(kernel or written)) from None
        written.append(change.path)


def changed_files(plans: List[BondPlan]) -> Dict[str, List[str]]:
    """``{backend: [path, ...]}``: the files the plans change, each once, in plan order."""
    out: Dict[str, List[str]] = {}
    for plan in plans:
        for change in plan.files:
            if change.changed and change.path not in out.get(plan.backend, []):
                out.setdefault(plan.backend, []).append(change.path)
    return out
