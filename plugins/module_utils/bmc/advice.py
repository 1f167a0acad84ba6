# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each vendor's words for a BMC that is not where the operator wants it (issue 13).

Supermicro's failover and Dell's failover are different things: Supermicro's
BMC leaves its dedicated port for the host's NIC when the port loses link
(incident 004); Dell's iDRAC is on a host LOM already and moves to another
host LOM.  A finding says which, in the vendor's terms, with that vendor's fix.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import FAILOVER, SHARED
from ansible_collections.netmedic.network.plugins.module_utils.bmc.reading import Reading
from ansible_collections.netmedic.network.plugins.module_utils.bmc.vendors import DELL, INTEL, LENOVO, SUPERMICRO

MODULE = "netmedic.network.bmc_lan_mode"


def _supermicro(reading: Reading, subject: str, wanted: str) -> Tuple[str, str]:
    if reading.mode == FAILOVER:
        summary = ("%s is in Supermicro's failover LAN mode: when its dedicated port loses link the BMC moves onto "
                   "the host's onboard LAN1 and sends DHCP there, which an active-backup bond takes for link and "
                   "flaps on (incident 004)" % subject)
    else:
        summary = "%s is in Supermicro's %s LAN mode%s, wanted %s" % (
            subject, reading.mode, " (onboard LAN1, shared with the host)" if reading.mode == SHARED else "", wanted)
    if wanted in reading.settable:
        manual = ("Set the LAN interface to %s with %s in-band on the host (the safe way), or in the BMC web interface "
                  "(Configuration > Network > LAN Interface)" % (wanted, MODULE))
    else:
        manual = "Set the LAN interface to %s by hand: %s" % (wanted, reading.not_settable)
    return summary, manual


def _dell(reading: Reading, subject: str, wanted: str) -> Tuple[str, str]:
    words = reading.detail or reading.mode
    if reading.mode == FAILOVER:
        summary = ("%s: the iDRAC is %s. Dell's failover is between the host's LOMs, so the iDRAC's traffic is always "
                   "on host NICs and moves to another one (a bond member) when its LOM loses link" % (subject, words))
    elif reading.mode == SHARED:
        summary = "%s: the iDRAC is %s: its traffic is on a host NIC, wanted %s" % (subject, words, wanted)
    else:
        summary = "%s: the iDRAC is on its dedicated port, wanted %s" % (subject, wanted)
    if wanted in reading.settable:
        manual = ("Set the iDRAC NIC selection to %s with %s in-band, in the iDRAC web interface (iDRAC Settings > "
                  "Network), with racadm (iDRAC.NIC.Selection) or Redfish (NIC.1.Selection). A dedicated port on "
                  "12G/13G needs an iDRAC Enterprise licence" % (wanted, MODULE))
    else:
        manual = "Set the iDRAC NIC selection by hand: %s" % reading.not_settable
    return summary, manual


def _lenovo(reading: Reading, subject: str, wanted: str) -> Tuple[str, str]:
    summary = "%s: the IMM/XCC uses the %s port, wanted %s" % (subject, reading.detail or reading.mode, wanted)
    if wanted in reading.settable:
        manual = ("Set the port to %s with %s in-band, or in the XCC/IMM web interface (BMC Configuration > Network > "
                  "Ethernet port)" % (wanted, MODULE))
    else:
        manual = "Set the IMM/XCC port by hand: %s" % reading.not_settable
    return summary, manual


def _intel(reading: Reading, subject: str, wanted: str) -> Tuple[str, str]:
    summary = "%s: the Intel BMC answers on a host NIC's LAN channel (%s), wanted %s" % (
        subject, reading.detail, wanted)
    return summary, reading.not_settable or ""


def _other(reading: Reading, subject: str, wanted: str) -> Tuple[str, str]:
    return ("%s is in %s LAN mode, wanted %s" % (subject, reading.mode, wanted),
            "Set the BMC LAN interface to %s (in-band on the host is safest)" % wanted)


TEXT = {SUPERMICRO: _supermicro, DELL: _dell, LENOVO: _lenovo, INTEL: _intel}


def mismatch(reading: Reading, subject: str, wanted: str) -> Tuple[str, str]:
    """(summary, manual fix) for a BMC whose mode is known and is not ``wanted``."""
    return TEXT.get(reading.vendor, _other)(reading, subject, wanted)


def unknown(reading: Reading, wanted: str) -> str:
    """The manual fix of a BMC whose mode netmedic cannot read."""
    return ("Check the LAN interface setting in the BMC's web interface or BIOS; it must be %s. Why netmedic cannot "
            "read it: %s" % (wanted, reading.reason))
