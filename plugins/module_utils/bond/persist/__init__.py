# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persist a bond's arp_validate in whichever configuration owns the bond.

Backends (one small file each): ifupdown, NetworkManager keyfiles,
systemd-networkd ``.netdev``, netplan and RHEL ifcfg.  :func:`detect` asks
every backend which of its files configure the bond; exactly one backend must
own it (or the caller names one).  :func:`plan` computes the new text of each
file without touching anything; :func:`apply` writes the files with
``fileops.write_atomic`` (backup, owner and mode kept, atomic rename).

Several bonds in one file (two bonds in one netplan YAML, one interfaces
file, ...) share one :class:`FileChange` through ``plan(..., pending=)``: each
bond's edit is made on the text the previous bond's edit produced, and the
file is written once with a single backup.  Planning each bond from the file
on disk and writing them in turn loses all but the last bond's edit.

Backups go to ``/var/backups/netmedic`` under root, mirroring the original
path (``common.BACKUP_ROOT``), for every backend: each owning tool reads its
directory by rules (documented in each backend) that a backup next to the
file can match.  After the files are written, :func:`reload` runs each
backend's own reload step (NetworkManager and netplan have one).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import ifcfg as bond_persist_ifcfg
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import ifupdown as bond_persist_ifupdown
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import netplan as bond_persist_netplan
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import networkd as bond_persist_networkd
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import networkmanager as bond_persist_nm
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import (
    Location, NotConfigured, PersistError, backup_dir)
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import BondError, normalize_validate
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import (
    FileOpError, write_atomic)
from ansible_collections.netmedic.network.plugins.module_utils.core.diff import unified_diff

# Detection order is also the order in reports.  netplan comes first: it
# generates networkd/NetworkManager files under /run, which are never ours.
BACKENDS = {
    m.NAME: m for m in (bond_persist_netplan, bond_persist_nm, bond_persist_networkd,
                        bond_persist_ifupdown, bond_persist_ifcfg)
}
BACKEND_NAMES = tuple(BACKENDS)

__all__ = ["BACKENDS", "BACKEND_NAMES", "PersistError", "NotConfigured", "Location", "FileChange", "Persisted",
           "locate_all", "detect", "persisted_value", "plan", "apply", "reload"]


@dataclasses.dataclass
class FileChange:
    path: str
    before: str
    after: str
    backup: Optional[str] = None
    backup_dir: Optional[str] = None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return unified_diff(self.before, self.after, self.path)


@dataclasses.dataclass
class Persisted:
    """The backend that owns a bond and the files that configure it."""

    backend: str
    locations: List[Location]
    root: str = "/"

    @property
    def value(self) -> Optional[str]:
        """The arp_validate value the configuration applies (None: not set, the kernel's default none)."""
        values = [loc.value for loc in self.locations if loc.value is not None]
        return values[-1] if values else None

    @property
    def paths(self) -> List[str]:
        return [loc.path for loc in self.locations]


def locate_all(root: str, bond: str) -> Dict[str, List[Location]]:
    """``{backend: [Location, ...]}`` for every backend with a file that configures ``bond``."""
    out = {}
    for name in BACKEND_NAMES:
        locs = BACKENDS[name].locate(root, bond)
        if locs:
            out[name] = locs
    return out


def detect(root: str, bond: str, backend: str = "auto") -> Persisted:
    """The configuration that owns ``bond``; PersistError when none or several do."""
    if backend not in ("auto",) + BACKEND_NAMES:
        raise PersistError("unknown backend %r (known: auto, %s)" % (backend, ", ".join(BACKEND_NAMES)))
    if backend != "auto":
        locs = BACKENDS[backend].locate(root, bond)
        if not locs:
            raise NotConfigured("no %s configuration for %s was found" % (BACKENDS[backend].DESCRIPTION, bond))
        return Persisted(backend, locs, root)
    found = locate_all(root, bond)
    if not found:
        raise NotConfigured("%s is not configured in any place netmedic knows (%s); it may have been made by a "
                            "script. Set persist: false to fix only the running kernel, or name the backend"
                            % (bond, "; ".join(m.DESCRIPTION for m in BACKENDS.values())))
    if len(found) > 1:
        raise PersistError("%s is configured by several backends (%s); name the one that owns it with backend: "
                           "<name> so the others are not changed behind its back"
                           % (bond, "; ".join("%s: %s" % (n, ", ".join(loc.path for loc in locs))
                                              for n, locs in found.items())))
    name, locs = next(iter(found.items()))
    return Persisted(name, locs, root)


def persisted_value(persisted: Persisted) -> str:
    """The normalised value the configuration applies at the next boot (``none`` when unset or empty)."""
    value = persisted.value
    if value is None or not value.strip():
        return "none"  # nothing valid is applied (networkd: an empty value resets; ifupdown refuses it): the default
    try:
        return normalize_validate(value)
    except BondError:
        raise PersistError("%s: arp_validate is set to %r, which is not a valid value"
                           % (", ".join(persisted.paths), value)) from None


def _writable(change: FileChange) -> None:
    """Refuse, before anything is written, a file in a directory we cannot write (a symlink: its target's)."""
    directory = os.path.dirname(os.path.realpath(change.path))
    if not os.access(directory, os.W_OK):
        raise PersistError("%s: cannot write in %s (read-only file system or no permission)" % (change.path, directory))


def plan(persisted: Persisted, bond: str, value: str,
         pending: Optional[Dict[str, FileChange]] = None) -> List[FileChange]:
    """The files that must change for ``bond`` (unchanged files left out).

    ``pending`` (``{real path: FileChange}``) carries the changes already
    planned for other bonds: a file they change is edited from their result,
    and the same FileChange is returned (its ``after`` now holds both edits).
    Each edited file must read back ``value``, or nothing is planned.
    """
    mod = BACKENDS[persisted.backend]
    if value not in mod.VALUES:
        raise PersistError("%s cannot persist arp_validate=%s: it knows only %s. Pick one of those, or persist "
                           "with another backend" % (mod.DESCRIPTION, value, ", ".join(mod.VALUES)))
    pending = {} if pending is None else pending
    locs = persisted.locations
    with_value = [loc for loc in locs if loc.value is not None]
    primaries = [loc for loc in locs if loc.primary] or locs
    pick = primaries[-1] if getattr(mod, "INSERT_INTO_LAST", False) else primaries[0]
    if getattr(mod, "VALUE_IN_DEFINITION", False):
        # changed wherever it is set, and present in the definition itself (ifupdown: a port's copy may not apply)
        targets = [(loc, loc is pick) for loc in locs if loc is pick or loc.value is not None]
    elif with_value:
        targets = [(loc, False) for loc in with_value]
    else:
        targets = [(pick, True)]
    changes: List[FileChange] = []
    for loc, insert in targets:
        key = os.path.realpath(loc.path)
        change = pending.get(key)
        current = change.after if change else loc.content
        after = mod.render(current, bond, value, insert, loc.path)
        if after == current:
            continue
        back = mod.value_in(after, bond, loc.path)
        if back != value:
            raise PersistError("%s: after the edit the file would set arp_validate=%s, not %s; not changing it "
                               "(please report this file)" % (loc.path, back, value))
        if change is None:
            change = FileChange(loc.path, loc.content, after, backup_dir=backup_dir(persisted.root, loc.path))
            _writable(change)
            pending[key] = change
        else:
            change.after = after
        if all(c is not change for c in changes):
            changes.append(change)
    return changes


def apply(changes: List[FileChange], backup: bool = True) -> List[FileChange]:
    """Write each changed file once (a FileChange shared by several bonds too); records the backup path."""
    done: List[FileChange] = []
    for change in changes:
        if any(c is change for c in done) or not change.changed:
            continue
        try:
            change.backup = write_atomic(change.path, change.after, backup=backup, backup_dir=change.backup_dir)
        except FileOpError as exc:
            raise PersistError(str(exc)) from None
        done.append(change)
    return changes


def reload(changed: Dict[str, List[str]], runner: Runner) -> List[str]:
    """Each backend's reload step for the files written under it (``{backend: [path, ...]}``).

    Returns the commands run, in order; a failing command raises CommandError
    (the files are written by then).
    """
    done: List[str] = []
    for name, paths in changed.items():
        done.extend(BACKENDS[name].reload(runner, paths))
    return done
