# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A BMC's health for rollback (issue 16): does it answer over the channel we use, and in which LAN mode.

Worse is a BMC that answered before the change and does not now: the mode
change moved it to a port that is not cabled, or not in the management
network (incident 004's BMC moved to the shared NIC the other way round).
The snapshot also keeps the BMC's GUID (``ipmitool mc guid``): an undo
through another path (in-band) acts only on a BMC with the same GUID.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import read_lan_mode
from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import IpmiParseError
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiError, Ipmitool
from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health

_GUID_RE = re.compile(r"^\s*System GUID\s*:\s*(\S+)", re.M)


def guid(tool: Ipmitool) -> Optional[str]:
    """The BMC's GUID (``mc guid``), lower case; None when it has none to give."""
    m = _GUID_RE.search(tool.run(["mc", "guid"]))
    return m.group(1).lower() if m else None


class BmcHealth(Health):
    """The BMC behind ``tool`` (the channel the module uses)."""

    def __init__(self, tool: Ipmitool, generation: str = "auto"):
        self.tool = tool
        self.generation = generation

    def snapshot(self) -> Dict[str, Any]:
        snap: Dict[str, Any] = {"channel": self.tool.target.describe(), "interface": self.tool.target.interface,
                                "answers": False, "mode": None, "guid": None, "error": None}
        try:
            snap["mode"] = read_lan_mode(self.tool, self.generation).mode
            snap["answers"] = True
            snap["guid"] = guid(self.tool)
        except (IpmiError, IpmiParseError) as exc:
            snap["error"] = self.tool.scrub(str(exc))
        return snap

    def compare(self, before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
        if before["answers"] and not after["answers"]:
            return ["%s stopped answering over %s (%s)" % (before["channel"], before["interface"], after["error"])]
        return []

    def watched(self, before: Dict[str, Any]) -> List[str]:
        return ["%s keeps answering over %s (LAN mode %s now)"
                % (before["channel"], before["interface"], before["mode"])]

    def describe(self, snapshot: Dict[str, Any]) -> str:
        if snapshot["answers"]:
            return "%s answers over %s, LAN mode %s" % (snapshot["channel"], snapshot["interface"], snapshot["mode"])
        return "%s does not answer over %s" % (snapshot["channel"], snapshot["interface"])
