# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for ipmitool output (``mc info``, ``raw``, ``delloem lan get``, errors).

Pure functions of text: no commands run here.  Anything that does not look
like what ipmitool 1.8.x prints raises :class:`IpmiParseError` with the
offending text, never a bare ``ValueError``/``IndexError``: an unexpected
answer from a BMC is an operator-facing error, not a crash.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional

DEDICATED = "dedicated"
SHARED = "shared"
FAILOVER = "failover"
UNKNOWN = "unknown"
MODES = (DEDICATED, SHARED, FAILOVER)

# IANA enterprise numbers as ``ipmitool mc info`` prints them ("Manufacturer ID : 10876").
SUPERMICRO_ID = 10876  # 0x2a7c
DELL_ID = 674  # 0x02a2

# Completion codes (IPMI 2.0 spec, table 5-2) that mean "this BMC has no such command".
CC_INVALID_COMMAND = 0xC1
CC_BAD_LENGTH = 0xC7
CC_INVALID_DATA = 0xCC
CC_NOT_SUPPORTED = (CC_INVALID_COMMAND, 0xC2, 0xD5, 0xD6)


class IpmiParseError(ValueError):
    """ipmitool printed something we do not understand; ``str()`` is for operators."""


@dataclasses.dataclass(frozen=True)
class McInfo:
    manufacturer_id: int
    manufacturer_name: str = ""
    product_id: Optional[int] = None
    product_name: str = ""
    firmware_revision: str = ""
    ipmi_version: str = ""

    @property
    def vendor(self) -> str:
        if self.manufacturer_id == SUPERMICRO_ID:
            return "supermicro"
        if self.manufacturer_id == DELL_ID:
            return "dell"
        return "other"

    def to_dict(self):
        return dict(dataclasses.asdict(self), vendor=self.vendor)


_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z /]*?)\s*:\s*(.*?)\s*$")


def _excerpt(text: str, limit: int = 200) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + "..."


def parse_mc_info(text: str) -> McInfo:
    """Parse ``ipmitool mc info``.  The manufacturer id is required."""
    fields = {}
    for line in (text or "").splitlines():
        m = _FIELD_RE.match(line)
        if m and m.group(1) not in fields:
            fields[m.group(1).strip()] = m.group(2)
    raw_id = fields.get("Manufacturer ID")
    if raw_id is None or not raw_id.strip():
        raise IpmiParseError("'ipmitool mc info' printed no Manufacturer ID: %r" % _excerpt(text))
    try:
        manufacturer_id = int(raw_id.split()[0], 0)
    except ValueError:
        raise IpmiParseError("'ipmitool mc info' printed a Manufacturer ID that is not a number: %r"
                             % raw_id) from None
    product_id = None
    raw_product = fields.get("Product ID", "").split()
    if raw_product:
        try:
            product_id = int(raw_product[0], 0)
        except ValueError:
            product_id = None
    return McInfo(manufacturer_id=manufacturer_id,
                  manufacturer_name=fields.get("Manufacturer Name", ""),
                  product_id=product_id,
                  product_name=fields.get("Product Name", ""),
                  firmware_revision=fields.get("Firmware Revision", ""),
                  ipmi_version=fields.get("IPMI Version", ""))


_HEX_BYTE_RE = re.compile(r"^[0-9a-fA-F]{2}$")


def parse_raw_response(text: str) -> List[int]:
    """The data bytes of ``ipmitool raw`` (``" 01 02\\n"`` -> ``[1, 2]``); ``[]`` for no data."""
    tokens = (text or "").split()
    bad = [t for t in tokens if not _HEX_BYTE_RE.match(t)]
    if bad:
        raise IpmiParseError("'ipmitool raw' answered with something that is not hex bytes: %r"
                             % _excerpt(text))
    return [int(t, 16) for t in tokens]


_CC_RE = re.compile(r"\brsp=0x([0-9a-fA-F]{1,2})\b")


def parse_completion_code(stderr: str) -> Optional[int]:
    """Completion code of a failed ``ipmitool raw`` ("... rsp=0xc1): Invalid command")."""
    m = _CC_RE.search(stderr or "")
    return int(m.group(1), 16) if m else None


# How ipmitool says why it failed (stderr, with -v for the session errors).
AUTH_FAILED = "auth"
UNREACHABLE = "unreachable"
NO_DEVICE = "no_device"
NO_PASSWORD = "no_password"
_ERROR_PATTERNS = (
    (AUTH_FAILED, re.compile(r"RAKP 2 HMAC is invalid|unauthorized name|invalid (user ?name|password)"
                             r"|password (is )?(invalid|incorrect)|Authentication type .* not supported"
                             r"|Activate Session error:.*(password|user)", re.I)),
    (NO_PASSWORD, re.compile(r"Unable to read password|Unable to open password file", re.I)),
    (NO_DEVICE, re.compile(r"Could not open device", re.I)),
    (UNREACHABLE, re.compile(r"Get Auth Capabilities error|No response from remote controller"
                             r"|Unable to establish (IPMI v2 / RMCP\+|LAN) session"
                             r"|Connection refused|Name or service not known|Address lookup", re.I)),
)


def classify_error(stderr: str) -> Optional[str]:
    """``auth``, ``no_password``, ``no_device``, ``unreachable`` or None (something else)."""
    for kind, pattern in _ERROR_PATTERNS:
        if pattern.search(stderr or ""):
            return kind
    return None


# ---------------------------------------------------------------- Supermicro
#
# X9 and later (Supermicro FAQ 14417, quoted on https://digriz.org.uk/tutorials/ipmi/
# and in many operator notes): ``raw 0x30 0x70 0x0c 0`` answers one byte,
# 00 dedicated, 01 shared (onboard LAN1), 02 failover (factory default);
# ``raw 0x30 0x70 0x0c 1 <byte>`` sets it.
#
# X8 boards use the "longer form" that X9 shortened (digriz.org.uk: "On the X9
# motherboard, the command was shortened"): get ``0x0c 0 0 0`` answers two bytes,
# "00 00" failover, "01 00" dedicated, "01 01" onboard LAN1 (shared); set is
# ``0x0c 1 1 0`` dedicated, ``0x0c 1 1 1`` shared, ``0x0c 1 0 0`` failover.
# Sources: an operator wiki's X8/X9 table (public GitHub notes, "X8: get lan mode
# ipmitool raw 0x30 0x70 0xc 0 0 0 / Default (failover): 00 00 / Dedicated LAN: 01 00 /
# Onboard LAN: 01 01 / Set Dedicated LAN: 1 1 0 / Set Onboard LAN1: 1 1 1 /
# Set Failover: 1 0 0") and a Puppet ipmi::network define ("For older models:
# ipmitool raw 0x30 0x70 0x0c 1 1 0" = dedicated).  NOT verified on X8 hardware:
# the lab's ipmi_sim module implements this form as documented (gen=x8).

SUPERMICRO_NETFN = 0x30
SUPERMICRO_CMD = 0x70
SUPERMICRO_SUB = 0x0C

X9_MODES = {0: DEDICATED, 1: SHARED, 2: FAILOVER}
X9_GET = [SUPERMICRO_SUB, 0x00]
X8_GET = [SUPERMICRO_SUB, 0x00, 0x00, 0x00]
X8_MODES = {(0, 0): FAILOVER, (1, 0): DEDICATED, (1, 1): SHARED}
X8_SET = {DEDICATED: [1, 0], SHARED: [1, 1], FAILOVER: [0, 0]}


def decode_supermicro_x9(data: List[int]) -> str:
    if len(data) != 1:
        raise IpmiParseError("a Supermicro X9+ BMC should answer the LAN-mode query with 1 byte, got %d (%s)"
                             % (len(data), " ".join("%02x" % b for b in data) or "nothing"))
    try:
        return X9_MODES[data[0]]
    except KeyError:
        raise IpmiParseError("Supermicro LAN mode byte 0x%02x is none of 00 dedicated, 01 shared, 02 failover"
                             % data[0]) from None


def decode_supermicro_x8(data: List[int]) -> str:
    if len(data) != 2:
        raise IpmiParseError("a Supermicro X8 BMC should answer the LAN-mode query with 2 bytes, got %d (%s)"
                             % (len(data), " ".join("%02x" % b for b in data) or "nothing"))
    try:
        return X8_MODES[(data[0], data[1])]
    except KeyError:
        raise IpmiParseError("Supermicro X8 LAN mode bytes %02x %02x are none of 00 00 failover, "
                             "01 00 dedicated, 01 01 shared" % (data[0], data[1])) from None


def supermicro_set_data(mode: str, generation: str) -> List[int]:
    """Request data (after netfn/cmd) that sets ``mode`` on an ``x9`` or ``x8`` board."""
    if mode not in MODES:
        raise ValueError("unknown LAN mode %r" % mode)
    if generation == "x8":
        return [SUPERMICRO_SUB, 0x01] + X8_SET[mode]
    return [SUPERMICRO_SUB, 0x01, {v: k for k, v in X9_MODES.items()}[mode]]


# ---------------------------------------------------------------- Dell
#
# ipmitool's delloem (lib/ipmi_delloem.c) prints one of its NIC selection
# strings: 11G "shared", "shared with failover lom2", "dedicated",
# "shared with Failover all loms"; 12G and later "dedicated", "shared with lomN",
# "shared with failover lomN", "shared with failover all loms"
# (and "shared with Failover None").

DELL_SET_ARGS = {
    DEDICATED: ["dedicated"],
    SHARED: ["shared", "with", "lom1"],
    FAILOVER: ["shared", "with", "failover", "all", "loms"],
}


def parse_dell_lan(text: str) -> str:
    """Mode of ``ipmitool delloem lan get``: dedicated, shared or failover."""
    lines = [ln.strip().lower() for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        raise IpmiParseError("'ipmitool delloem lan get' printed nothing")
    for line in lines:
        words = line.split()
        if words == ["dedicated"]:
            return DEDICATED
        if words and words[0] == "shared":
            if "failover" in words and not line.endswith("failover none"):
                return FAILOVER
            return SHARED
    raise IpmiParseError("'ipmitool delloem lan get' printed no NIC selection mode: %r" % _excerpt(text))
