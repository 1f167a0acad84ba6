# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tinc interface as the kernel has it: ``ip -j -d link``, its bridge, the bridge's STP.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import json_input
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.names import valid_ifname


def ip_links(runner: Runner) -> Dict[str, Dict[str, Any]]:
    """``ip -j -d link show`` as ``{ifname: link}``."""
    result = runner(["ip", "-j", "-d", "link", "show"], check=True)
    return parse_ip_links(result.stdout)


def parse_ip_links(text: str) -> Dict[str, Dict[str, Any]]:
    """``ip -j -d link show`` output as ``{ifname: link}`` (entries that are not links are skipped)."""
    links = json_input.load_json(text or "[]", "ip -j -d link show", TincStateError)
    if not isinstance(links, list):
        raise TincStateError("'ip -j -d link show' printed %s, not a list of links" % type(links).__name__)
    return {link["ifname"]: link for link in links
            if isinstance(link, dict) and isinstance(link.get("ifname"), str) and link["ifname"]}


def link_master(link: Optional[Dict[str, Any]]) -> Optional[str]:
    """The bridge a link is enslaved to (None when none, or a non-bridge master)."""
    if not isinstance(link, dict) or not valid_ifname(link.get("master")):
        return None
    info = link.get("linkinfo")
    slave_kind = info.get("info_slave_kind") if isinstance(info, dict) else None
    if slave_kind not in (None, "bridge"):
        return None
    return link["master"]


def link_is_up(link: Optional[Dict[str, Any]]) -> bool:
    flags = link.get("flags") if isinstance(link, dict) else None
    return isinstance(flags, list) and "UP" in flags


def bridge_stp(sysfs: Sysfs, bridge: str) -> Optional[bool]:
    value = sysfs.read_int("sys", "class", "net", bridge, "bridge", "stp_state")
    return None if value is None else value != 0
