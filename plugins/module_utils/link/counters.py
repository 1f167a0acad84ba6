# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Link carrier counters from sysfs, and the kernel's boot id (the link_flaps audit's readers).

``/sys/class/net/<if>/{carrier,carrier_changes,carrier_up_count,
carrier_down_count,operstate,flags,ifindex}`` for every selected interface.
``carrier_changes`` counts every carrier transition since the device was
created, so two readings tell whether a link flapped in between; ``ifindex``
tells whether the device was re-created; the boot id whether the host rebooted.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Any, Dict, Optional, Sequence

from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import SysfsError

IFF_UP = 0x1
COUNTERS = ("ifindex", "carrier", "carrier_changes", "carrier_up_count", "carrier_down_count")


def selected(name: str, include: Sequence[str], ignore: Sequence[str]) -> bool:
    """Whether interface ``name`` is watched: matches no ``ignore`` pattern, and an ``include`` one if any."""
    if any(fnmatch.fnmatchcase(name, p) for p in ignore):
        return False
    return not include or any(fnmatch.fnmatchcase(name, p) for p in include)


def _value(sysfs, *parts: str, number: bool = False) -> Any:
    """One attribute, or None when it cannot be read (a device that vanished meanwhile, EIO):
    one odd attribute must not cost the audit of every other link."""
    try:
        return sysfs.read_int(*parts) if number else sysfs.read(*parts)
    except SysfsError:
        return None


def read_links(sysfs, include: Sequence[str] = (), ignore: Sequence[str] = ("lo",)) -> Dict[str, Dict[str, Any]]:
    """Carrier counters of every selected interface, from sysfs."""
    out: Dict[str, Dict[str, Any]] = {}
    for name in sysfs.net_devices():
        if not selected(name, list(include), list(ignore)):
            continue
        base = ("sys", "class", "net", name)
        flags = _value(sysfs, *base, "flags")
        try:
            admin_up = bool(int(flags, 16) & IFF_UP) if flags else None
        except ValueError:
            admin_up = None
        out[name] = {key: _value(sysfs, *base, key, number=True) for key in COUNTERS}
        out[name].update(operstate=_value(sysfs, *base, "operstate"), admin_up=admin_up)
        # a bridge's carrier follows its ports, a tap's its reader: not a cable problem of their own
        if sysfs.exists(*base, "bridge") or sysfs.exists(*base, "tun_flags"):
            out[name]["virtual_carrier"] = True
    return out


def boot_id(root: str) -> Optional[str]:
    try:
        with open(os.path.join(root or "/", "proc/sys/kernel/random/boot_id"), "r") as fh:
            return fh.read().strip() or None
    except OSError:
        return None
