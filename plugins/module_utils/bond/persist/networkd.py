# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-networkd: ``ARPValidate=`` in the ``[Bond]`` section of a ``.netdev``.

A ``.netdev`` in ``/etc/systemd/network`` is the bond's when ``[NetDev]`` says
``Name=<bond>`` and ``Kind=bond``.  Drop-ins (``<file>.netdev.d/*.conf``) that
set ``ARPValidate=`` override the main file and are edited where they set it.
systemd.netdev(5) knows only ``none``, ``active``, ``backup`` and ``all``; the
kernel's filter values cannot be persisted here, so they are refused.

Which files count (load rules relied on, systemd.network(5)/systemd.netdev(5)):
networkd reads only ``*.netdev``, ``*.network`` and ``*.link`` in
``/etc/systemd/network`` (also ``/run`` and ``/usr/lib``), skipping hidden
files, and drop-ins ``<file>.netdev.d/*.conf``.  A backup name ending in
``.netmedic.bak`` matches none of these, but backups go to
``/var/backups/netmedic`` like every backend's, away from the directory.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import (
    STRICT_VALUES, Location, config_files, ini_set, ini_values, no_reload, read, strip_bom, under)

NAME = "networkd"
DESCRIPTION = "systemd-networkd .netdev files (/etc/systemd/network)"
DIRECTORY = "/etc/systemd/network"
VALUES = STRICT_VALUES
# networkd applies a .netdev when it creates the bond; `networkctl reload` does not update an existing
# netdev (networkctl(1)), so there is nothing to run now: the running value is set through sysfs.
reload = no_reload


def value_in(content: str, bond: str = "", path: str = "") -> Optional[str]:
    """The ``[Bond] ARPValidate=`` this file sets (the last one wins)."""
    values = ini_values(strip_bom(content)[1], "Bond", "ARPValidate")
    return values[-1] if values else None


def _is_bond(content: str, bond: str) -> bool:
    text = strip_bom(content)[1]
    names = ini_values(text, "NetDev", "Name")
    kinds = ini_values(text, "NetDev", "Kind")
    return bool(names) and names[-1] == bond and bool(kinds) and kinds[-1] == "bond"


def _netdev_files(directory: str) -> List[str]:
    # networkd: *.netdev, hidden files skipped; the suffix alone rules out every leftover name.
    return config_files(directory, suffixes=(".netdev",), ignored=lambda name: False)


def locate(root: str, bond: str) -> List[Location]:
    out = []
    for path in _netdev_files(under(root, DIRECTORY)):
        content = read(path)
        if not _is_bond(content, bond):
            continue
        out.append(Location(NAME, path, value_in(content), content))
        for drop in config_files(path + ".d", suffixes=(".conf",), ignored=lambda name: False):
            dcontent = read(drop)
            dvalue = value_in(dcontent)
            if dvalue is not None:
                out.append(Location(NAME, drop, dvalue, dcontent, primary=False))
    return out


def render(content: str, bond: str, value: str, insert: bool, path: str = "") -> str:
    bom, text = strip_bom(content)   # systemd skips a leading byte order mark
    return bom + ini_set(text, "Bond", "ARPValidate", value, insert)
