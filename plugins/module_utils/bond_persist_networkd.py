# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-networkd: ``ARPValidate=`` in the ``[Bond]`` section of a ``.netdev``.

A ``.netdev`` in ``/etc/systemd/network`` is the bond's when ``[NetDev]`` says
``Name=<bond>`` and ``Kind=bond``.  Drop-ins (``<file>.netdev.d/*.conf``) that
set ``ARPValidate=`` override the main file and are edited where they set it.
systemd.netdev(5) knows only ``none``, ``active``, ``backup`` and ``all``; the
kernel's filter values cannot be persisted here, so they are refused.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import List

from ansible_collections.netmedic.network.plugins.module_utils.bond_persist_common import (
    Location, config_files, ini_set, ini_values, read, under)

NAME = "networkd"
DESCRIPTION = "systemd-networkd .netdev files (/etc/systemd/network)"
DIRECTORY = "/etc/systemd/network"
VALUES = ("none", "active", "backup", "all")


def locate(root: str, bond: str) -> List[Location]:
    out = []
    for path in config_files(under(root, DIRECTORY), suffixes=(".netdev",)):
        content = read(path)
        names = ini_values(content, "NetDev", "Name")
        kinds = ini_values(content, "NetDev", "Kind")
        if not names or names[-1] != bond or not kinds or kinds[-1] != "bond":
            continue
        values = ini_values(content, "Bond", "ARPValidate")
        out.append(Location(NAME, path, values[-1] if values else None, content))
        for drop in config_files(path + ".d", suffixes=(".conf",)):
            dcontent = read(drop)
            dvalues = ini_values(dcontent, "Bond", "ARPValidate")
            if dvalues:
                out.append(Location(NAME, drop, dvalues[-1], dcontent, primary=False))
    return out


def render(content: str, bond: str, value: str, insert: bool, path: str = "") -> str:
    return ini_set(content, "Bond", "ARPValidate", value, insert)
