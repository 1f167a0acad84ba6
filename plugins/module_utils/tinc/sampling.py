# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sample a bridge port for a storm: counters and the kernel log every quarter second.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc.counters import ArpCounter, read_counters
from ansible_collections.netmedic.network.plugins.module_utils.tinc.kernel_log import KernelLog, own_address_messages
from ansible_collections.netmedic.network.plugins.module_utils.tinc.storm import StormReport, StormThresholds, judge


def watch_storm(port: str, seconds: float, thresholds: StormThresholds, sysfs: Sysfs,
                kernel_log: Optional[KernelLog] = None, interval: float = 0.25, stop_on_storm: bool = True,
                clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                arp_counter: Optional[ArpCounter] = None) -> StormReport:
    """Sample the port every ``interval`` seconds for ``seconds``; stop at the first storm sign.

    A sample over threshold is a storm: stopping early lets the caller take the
    port out of the bridge within a fraction of a second.
    """
    report = StormReport(port=port)
    arp = arp_counter or ArpCounter(port)
    if arp.error:
        report.notes.append(arp.error)
    if kernel_log is None:
        report.notes.append("kernel log not watched")
    elif kernel_log.error:
        report.notes.append("kernel log not readable: %s" % kernel_log.error)
    start = clock()
    last_t = start
    last_c = read_counters(sysfs, port)
    first_c = last_c
    first_arp = last_arp = arp.read()
    try:
        while True:
            now = clock()
            remaining = seconds - (now - start)
            if remaining <= 0:
                break
            sleep(min(interval, remaining))
            t = clock()
            c = read_counters(sysfs, port)
            a = arp.read()
            dt = max(t - last_t, 1e-6)
            pkts = (c["rx_packets"] - last_c["rx_packets"]) + (c["tx_packets"] - last_c["tx_packets"])
            sample = {"t": round(t - start, 3), "arp_rate": round((a - last_arp) / dt, 1),
                      "packet_rate": round(max(pkts, 0) / dt, 1)}
            report.samples.append(sample)
            report.max_arp_rate = max(report.max_arp_rate, sample["arp_rate"])
            report.max_packet_rate = max(report.max_packet_rate, sample["packet_rate"])
            if kernel_log is not None:
                for rec in own_address_messages(kernel_log.read(), port):
                    report.kernel_messages.append("[%.3f] %s" % (rec.seconds, rec.message))
            last_t, last_c, last_arp = t, c, a
            judge(report, thresholds)
            if report.storm and stop_on_storm:
                break
    finally:
        report.seconds = round(clock() - start, 3)
        report.arp_frames = arp.read() - first_arp
        end_c = read_counters(sysfs, port)
        report.packets = max(0, end_c["rx_packets"] - first_c["rx_packets"]) + \
            max(0, end_c["tx_packets"] - first_c["tx_packets"])
        if arp_counter is None:
            arp.close()
    if len(report.samples) > 60:  # keep the evidence readable: first and last samples
        report.samples = report.samples[:30] + report.samples[-30:]
    return report
