# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Intel server boards (manufacturer id 343): no mode switch, one IPMI LAN channel per port.

Intel's BMC has no dedicated/shared/failover setting.  Each port is its own
LAN channel ("Intel Server Boards and Server Platforms Server Management
Guide", table 14, BMC LAN channel assignments): channel 1 is LAN1 and
channel 2 LAN2 - the host's onboard NICs, shared with the OS - and channel 3
the Intel Dedicated Server Management NIC (xCAT's bmcsetup: "Intel Walker Pass
(S9200WK) in dedicated LAN mode uses channel 3").  What applies is therefore
which channels have an address: the BMC answers on a host NIC when channel 1
or 2 has one.  netmedic reads IP address (parameter 3) of channels 1-3 and
reports them; it writes nothing (the fix is to clear or disable a shared
channel, a decision about addresses only an operator can make).

Intel also has a "LAN failover" that bonds all BMC ports with channel 1's
address (Server Management Guide 2.6.4; S2400BB and S1400FP TPS).  It is set
from syscfg or the Embedded UI, and no public source gives its IPMI command:
netmedic cannot read it and says so.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import (
    DEDICATED, SHARED, IpmiParseError, McInfo)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.reading import Reading, base, raw_form, sentence
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiCommandError, Ipmitool

NETFN, GET_LAN = 0x0C, 0x02
IP_ADDRESS = 0x03
CHANNELS = {1: "LAN1, onboard NIC shared with the host", 2: "LAN2, onboard NIC shared with the host",
            3: "dedicated server management NIC"}
SHARED_CHANNELS = (1, 2)
DEDICATED_CHANNEL = 3
NOT_SETTABLE = ("Intel BMCs have no LAN mode switch: each port is its own LAN channel. To keep the BMC off the host's "
                "NICs clear the address of channels 1 and 2 ('ipmitool lan set 1 ipaddr 0.0.0.0', "
                "'ipmitool lan set 1 access off') once channel 3 answers; LAN failover is set in syscfg or the "
                "Embedded UI and cannot be read over IPMI")


def decode_ip(data: Sequence[int]) -> str:
    """Dotted address of a Get LAN Configuration Parameters (IP address) answer: revision byte, 4 bytes."""
    if len(data) != 5:
        raise IpmiParseError("a BMC should answer the IP address parameter with 5 bytes, got %d" % len(data))
    return ".".join(str(b) for b in data[1:])


def _address(tool: Ipmitool, channel: int) -> Optional[str]:
    """The channel's IP address, or None when the BMC has no such channel."""
    try:
        return decode_ip(tool.raw(NETFN, GET_LAN, [channel, IP_ADDRESS, 0x00, 0x00]))
    except IpmiCommandError as exc:
        if exc.cc is None:
            raise
        return None


def summarise(addresses: Dict[int, Optional[str]]) -> str:
    """``channel 1 (LAN1 ...): 192.0.2.21; channel 3 (...): no address``."""
    parts = []
    for ch in sorted(addresses):
        addr = addresses[ch]
        parts.append("channel %d (%s): %s" % (ch, CHANNELS[ch], "absent" if addr is None else
                                              addr if addr != "0.0.0.0" else "no address"))
    return "; ".join(parts)


def mode_of(addresses: Dict[int, Optional[str]]) -> Optional[str]:
    """shared when a host NIC channel has an address, dedicated when only channel 3 has one, else None."""
    live = [ch for ch, addr in addresses.items() if addr not in (None, "0.0.0.0")]
    if any(ch in SHARED_CHANNELS for ch in live):
        return SHARED
    if DEDICATED_CHANNEL in live:
        return DEDICATED
    return None


def read(tool: Ipmitool, info: McInfo, generation: str = "auto") -> Reading:
    form = raw_form(NETFN, GET_LAN, [1, IP_ADDRESS, 0, 0]) + " (channels 1, 2, 3)"
    evidence: List[str] = ["manufacturer id 343 (Intel): no mode switch, one LAN channel per port (Intel Server "
                           "Management Guide, table 14)"]
    try:
        addresses = {ch: _address(tool, ch) for ch in CHANNELS}
    except IpmiParseError as exc:
        return base(info, generation="Intel BMC", form=form, method="intel", why=sentence(evidence),
                    reason=str(exc), not_settable=NOT_SETTABLE)
    words = summarise(addresses)
    mode = mode_of(addresses)
    if mode is None:
        return base(info, generation="Intel BMC", form=form, method="intel", why=sentence(evidence), detail=words,
                    reason="no LAN channel of this BMC has an IP address (%s)" % words, not_settable=NOT_SETTABLE)
    evidence.append("LAN failover (all ports bonded on channel 1's address) cannot be read over IPMI")
    return base(info, mode=mode, generation="Intel BMC", form=form, method="intel", why=sentence(evidence),
                detail=words, not_settable=NOT_SETTABLE)


def write(tool: Ipmitool, reading: Reading, mode: str) -> List[str]:
    raise ValueError(NOT_SETTABLE)
