# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a read of the LAN mode says, and how we know it (issue 13).

Every read says the vendor, the generation, the command form it used and why
that form: an operator must be able to check our reasoning against the board
in front of them.  ``settable`` lists the modes we are sure enough to write on
this board; ``not_settable`` says why the others are not.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import MODES, UNKNOWN, McInfo


@dataclasses.dataclass(frozen=True)
class Reading:
    """The BMC's LAN interface mode and the evidence behind it."""

    mode: str                               # dedicated | shared | failover | unknown
    vendor: str
    manufacturer_id: int
    manufacturer_name: str = ""
    product_id: Optional[int] = None
    generation: Optional[str] = None        # "X9 or later", "X8", "13G (iDRAC8)", "XCC/IMM", ...
    form: Optional[str] = None              # the ipmitool command that read it
    why: str = ""                           # why this generation and this form
    detail: Optional[str] = None            # the vendor's own words ("shared with lom1, failover all loms")
    raw: Optional[str] = None               # the answer as ipmitool printed it
    reason: Optional[str] = None            # why the mode is unknown
    settable: Tuple[str, ...] = ()          # modes netmedic will write on this board
    not_settable: Optional[str] = None      # why the other modes are not written
    method: Optional[str] = None            # command family: supermicro-x9 | supermicro-x8 | dell | dell-raw | ...
    state: Tuple[int, ...] = ()             # decoded bytes the writer needs (Dell LOMs, Lenovo port bytes)

    @property
    def known(self) -> bool:
        return self.mode in MODES

    def refusal(self, mode: str) -> Optional[str]:
        """Why netmedic will not set ``mode`` on this board, or None."""
        if mode in self.settable:
            return None
        return self.not_settable or "netmedic knows no command that sets this board's LAN mode"

    def to_dict(self) -> Dict[str, Any]:
        out = dataclasses.asdict(self)
        out["settable"] = list(self.settable)
        out["state"] = list(self.state)
        return out


def base(info: McInfo, **fields: Any) -> Reading:
    """A Reading for ``info`` with the given fields (mode unknown unless given)."""
    fields.setdefault("mode", UNKNOWN)
    return Reading(vendor=info.vendor, manufacturer_id=info.manufacturer_id,
                   manufacturer_name=info.manufacturer_name, product_id=info.product_id, **fields)


def hexs(data: Sequence[int]) -> str:
    """``[0, 2]`` -> ``"00 02"`` (as ipmitool prints raw answers)."""
    return " ".join("%02x" % b for b in data)


def raw_form(netfn: int, cmd: int, data: Sequence[int]) -> str:
    """The ipmitool command line of a raw request, for ``Reading.form`` and messages."""
    return "ipmitool raw " + " ".join("0x%02x" % b for b in [netfn, cmd] + list(data))


def sentence(parts: List[str]) -> str:
    """Evidence pieces joined into one sentence for ``Reading.why``."""
    return "; ".join(p for p in parts if p)
