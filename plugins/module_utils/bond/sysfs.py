# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux bonds as the kernel sees them: discovery from sysfs, arp_validate writes.

Everything goes through :class:`~.sysfs.Sysfs` so a test can point ``root`` at a
temporary tree (or, in the qemu integration tests, at a tree whose ``sys`` is
the guest's real ``/sys``).

Kernel facts this file relies on (Documentation/networking/bonding.rst):

- ``bonding/mode`` reads ``active-backup 1``; ``arp_validate`` reads ``none 0``,
  ``all 3``, ``filter 4``...: the name is the first word.
- ``arp_validate`` is refused (EINVAL) in 802.3ad, balance-tlb and balance-alb
  mode, and so is ARP monitoring itself.
- ``arp_validate`` can be written while the bond is up.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs, SysfsError

# In the kernel's numeric order (0..6): a number read from a config maps to its name.
ARP_VALIDATE_VALUES = ("none", "active", "backup", "all", "filter", "filter_active", "filter_backup")
# Modes in which the kernel refuses ARP monitoring and arp_validate.
NO_ARP_MODES = ("802.3ad", "balance-tlb", "balance-alb")
MODE_NAMES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")
ACTIVE_BACKUP = "active-backup"

_NET = ("sys", "class", "net")
# The kernel parses ASCII digits only; str.isdigit() also takes '²' (then int() raises) and '٣'.
_NUMBER = re.compile(r"[0-9]+\Z")


class BondError(Exception):
    """A bond that cannot be read or changed; ``str()`` is for operators."""


def normalize_validate(value: Optional[str]) -> Optional[str]:
    """``'all 3'``, ``'3'``, ``' ALL '`` -> ``'all'``; None stays None; unknown words raise BondError."""
    if value is None:
        return None
    word = str(value).strip().split()[0].lower() if str(value).strip() else ""
    if _NUMBER.match(word) and int(word) < len(ARP_VALIDATE_VALUES):
        return ARP_VALIDATE_VALUES[int(word)]
    if word in ARP_VALIDATE_VALUES:
        return word
    raise BondError("%r is not an arp_validate value (expected one of %s)" % (value, ", ".join(ARP_VALIDATE_VALUES)))


def normalize_mode(value: Optional[str]) -> Optional[str]:
    """``'active-backup 1'``, ``'1'``, ``'active-backup'`` -> ``'active-backup'``."""
    if value is None or not str(value).strip():
        return None
    word = str(value).strip().split()[0].lower()
    if _NUMBER.match(word) and int(word) < len(MODE_NAMES):
        return MODE_NAMES[int(word)]
    return word


@dataclasses.dataclass
class Bond:
    name: str
    mode: Optional[str] = None
    arp_interval: int = 0
    arp_ip_target: List[str] = dataclasses.field(default_factory=list)
    arp_validate: Optional[str] = None
    arp_all_targets: Optional[str] = None
    miimon: int = 0
    active_slave: Optional[str] = None
    primary: Optional[str] = None
    slaves: List[str] = dataclasses.field(default_factory=list)
    operstate: Optional[str] = None

    @property
    def supports_arp_validate(self) -> bool:
        return self.mode not in NO_ARP_MODES

    @property
    def arp_monitoring(self) -> bool:
        return self.arp_interval > 0

    @property
    def up(self) -> bool:
        return self.operstate in ("up", "unknown")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


def valid_ifname(name: object) -> bool:
    """The kernel's dev_valid_name(): 1 to 15 bytes, not ``.``/``..``, no ``/``, ``:``, whitespace or NUL."""
    if not isinstance(name, str) or name in (".", ".."):
        return False
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < size <= 15 and not re.search(r"[/:\x00 \t\n\v\f\r]", name)


def bond_names(sysfs: Sysfs) -> List[str]:
    """Names of the bonds the kernel has (devices with a ``bonding/`` directory)."""
    return [d for d in sysfs.net_devices() if sysfs.exists(*(_NET + (d, "bonding", "mode")))]


def read_bond(sysfs: Sysfs, name: str) -> Bond:
    """The bond ``name`` as sysfs shows it; BondError when there is no such bond."""
    if not valid_ifname(name):
        raise BondError("%r is not a valid interface name (1 to 15 bytes, no '/', ':' or whitespace)" % (name,))
    base = _NET + (name, "bonding")
    if not sysfs.exists(*(base + ("mode",))):
        known = bond_names(sysfs)
        if sysfs.exists(*(_NET + (name,))):
            raise BondError("%s exists but is not a bond (no %s)" % (name, sysfs.path(*base)))
        raise BondError("there is no bond named %s on this host (bonds here: %s)"
                        % (name, ", ".join(known) or "none"))

    def attr(key):
        return sysfs.read(*(base + (key,)))

    try:
        validate = attr("arp_validate")
        return Bond(
            name=name,
            mode=normalize_mode(attr("mode")),
            arp_interval=sysfs.read_int(*(base + ("arp_interval",)), default=0) or 0,
            arp_ip_target=(attr("arp_ip_target") or "").split(),
            arp_validate=normalize_validate(validate) if validate else None,
            arp_all_targets=(attr("arp_all_targets") or "").split()[0] if attr("arp_all_targets") else None,
            miimon=sysfs.read_int(*(base + ("miimon",)), default=0) or 0,
            active_slave=attr("active_slave") or None,
            primary=attr("primary") or None,
            slaves=(attr("slaves") or "").split(),
            operstate=sysfs.read(*(_NET + (name, "operstate"))),
        )
    except SysfsError as exc:
        raise BondError("cannot read bond %s: %s" % (name, exc)) from None


def discover(sysfs: Sysfs) -> List[Bond]:
    return [read_bond(sysfs, n) for n in bond_names(sysfs)]


def write_arp_validate(sysfs: Sysfs, name: str, value: str) -> None:
    """Write ``value`` to the bond's arp_validate in one write; BondError when refused."""
    value = normalize_validate(value)
    try:
        sysfs.write(value, *(_NET + (name, "bonding", "arp_validate")))
    except SysfsError as exc:
        raise BondError("the kernel refused arp_validate=%s on %s: %s" % (value, name, exc)) from None


def parse_proc_bonding(text: str) -> Dict[str, Any]:
    """The useful parts of ``/proc/net/bonding/<bond>``.

    Returns ``{"mode": ..., "active_slave": ..., "slaves": {name: {"mii_status": ..,
    "link_failure_count": int}}}``.
    """
    out: Dict[str, Any] = {"mode": None, "active_slave": None, "slaves": {}}
    current = None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "Bonding Mode":
            out["mode"] = value
        elif key == "Currently Active Slave":
            out["active_slave"] = None if value == "None" else value
        elif key == "Slave Interface":
            current = out["slaves"].setdefault(value, {"mii_status": None, "link_failure_count": 0})
        elif current is not None and key == "MII Status":
            current["mii_status"] = value
        elif current is not None and key == "Link Failure Count":
            try:
                current["link_failure_count"] = int(value)
            except ValueError:
                pass
    return out
