# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The result of one ``tinc_safe_restart`` run: what was planned, done, found and left.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.diff import ansible_diff

DIFF_KEYS = ("interface", "interface_exists", "bridge", "running", "pid", "management")


@dataclasses.dataclass
class Report:
    netname: str
    mode: str
    ok: bool = True
    changed: bool = False
    msg: str = ""
    plan: List[str] = dataclasses.field(default_factory=list)
    steps: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    before: Dict[str, Any] = dataclasses.field(default_factory=dict)
    after: Dict[str, Any] = dataclasses.field(default_factory=dict)
    state_left: str = ""
    outage_seconds: Optional[float] = None
    peers: Dict[str, Any] = dataclasses.field(default_factory=dict)
    storm_before: Optional[Dict[str, Any]] = None
    storm: Optional[Dict[str, Any]] = None
    diagnostics: List[str] = dataclasses.field(default_factory=list)
    warnings: List[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def diff(self) -> Dict[str, str]:
        """Ansible's diff: the daemon and its port before and after."""
        return ansible_diff(_state_text(self.before), _state_text(self.after), "tinc %s" % self.netname)


def _state_text(state: Dict[str, Any]) -> str:
    if not state:
        return ""
    return "".join("%s: %s\n" % (k, state.get(k)) for k in DIFF_KEYS)
