# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a bridge port is in a storm: the thresholds, the evidence, the decision.

Storm signs (incident 001: hundreds of ARP packets a second through a tinc
port, the kernel logging "received packet on t3o with own address as source
address"): the ARP rate, the packet rate, and the kernel's loop message about
the port.  Any sign over its threshold is a storm; a threshold of 0 turns
its sign off.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List


@dataclasses.dataclass
class StormThresholds:
    arp_rate: float = 200.0        # ARP frames/s on the port
    packet_rate: float = 0.0       # rx+tx packets/s on the port; 0 = not used
    kernel_messages: int = 1       # "own address as source address" records about the port


@dataclasses.dataclass
class StormReport:
    port: str
    seconds: float = 0.0
    storm: bool = False
    reasons: List[str] = dataclasses.field(default_factory=list)
    max_arp_rate: float = 0.0
    max_packet_rate: float = 0.0
    arp_frames: int = 0
    packets: int = 0
    kernel_messages: List[str] = dataclasses.field(default_factory=list)
    samples: List[Dict[str, float]] = dataclasses.field(default_factory=list)
    notes: List[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        return "%s over %.1f s: max %.0f ARP/s, max %.0f packets/s, %d kernel loop message(s)" % (
            self.port, self.seconds, self.max_arp_rate, self.max_packet_rate, len(self.kernel_messages))


def judge(report: StormReport, th: StormThresholds) -> None:
    """Set ``report.storm`` and its ``reasons`` from the evidence so far."""
    reasons = []
    if th.arp_rate and report.max_arp_rate >= th.arp_rate:
        reasons.append("ARP rate on %s reached %.0f/s (threshold %.0f/s)"
                       % (report.port, report.max_arp_rate, th.arp_rate))
    if th.packet_rate and report.max_packet_rate >= th.packet_rate:
        reasons.append("packet rate on %s reached %.0f/s (threshold %.0f/s)" % (
            report.port, report.max_packet_rate, th.packet_rate))
    if th.kernel_messages and len(report.kernel_messages) >= th.kernel_messages:
        reasons.append("the kernel logged %d time(s) a frame with the bridge's own source address "
                       "received on %s (a loop)" % (len(report.kernel_messages), report.port))
    report.reasons = reasons
    report.storm = bool(reasons)
