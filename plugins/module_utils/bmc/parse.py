# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for ipmitool output every vendor shares (``mc info``, ``raw``, errors).

Each vendor's own answers are decoded beside its commands (supermicro.py,
dell.py, lenovo.py, intel.py).

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

from ansible_collections.netmedic.network.plugins.module_utils.bmc.vendors import vendor_of

DEDICATED = "dedicated"
SHARED = "shared"
FAILOVER = "failover"
UNKNOWN = "unknown"
MODES = (DEDICATED, SHARED, FAILOVER)

# Completion codes (IPMI 2.0 spec, table 5-2).  "This BMC has no such command": 0xc1 invalid
# command, 0xc2 invalid for this LUN, 0xd5 not supported in present state, 0xd6 sub-function
# disabled or unavailable.
CC_INVALID_COMMAND = 0xC1
CC_BAD_LENGTH = 0xC7
CC_NOT_PRESENT = 0xCB
CC_INVALID_DATA = 0xCC
CC_INSUFFICIENT_PRIVILEGE = 0xD4
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
        return vendor_of(self.manufacturer_id)

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


# How ipmitool says why it failed (stderr).  Over lanplus ipmitool prints only "Error: Unable to
# establish IPMI v2 / RMCP+ session" for a wrong password, an unknown user and a BMC that never
# answers alike (measured with ipmitool 1.8.19 against ipmi_sim); with -v it says which:
#   "> RAKP 2 HMAC is invalid"                                 wrong password (or a changed one)
#   "RAKP 2 message indicates an error : unauthorized name"    no such user
#   "Get Auth Capabilities error"                              nothing answers
#   "Error in open session response message : invalid role"   the account may not have the privilege
#        asked for with -L (a Supermicro X11 with a non-admin account, natankeddem/hush issue 14;
#        ipmi_sim says "unauthorized role requested", RAKP status 0x0a)
# SESSION is that bare line: tool.py asks again with -v to tell which it is.
AUTH_FAILED = "auth"
PRIVILEGE = "privilege"
SESSION = "session"
UNREACHABLE = "unreachable"
NO_DEVICE = "no_device"
NO_PASSWORD = "no_password"
_ERROR_PATTERNS = (
    (PRIVILEGE, re.compile(r"invalid role|unauthorized role|insufficient resources for role"
                           r"|Insufficient privilege level|Set Session Privilege Level to \S+ failed", re.I)),
    (AUTH_FAILED, re.compile(r"RAKP 2 HMAC is invalid|unauthorized name|invalid (user ?name|password)"
                             r"|password (is )?(invalid|incorrect)|Authentication type .* not supported"
                             r"|Activate Session error:.*(password|user)|no matching cipher suite", re.I)),
    (NO_PASSWORD, re.compile(r"Unable to read password|Unable to open password file", re.I)),
    (NO_DEVICE, re.compile(r"Could not open device", re.I)),
    (UNREACHABLE, re.compile(r"Get Auth Capabilities error|No response from remote controller"
                             r"|Unable to establish LAN session"
                             r"|Connection refused|Name or service not known|Address lookup", re.I)),
    (SESSION, re.compile(r"Unable to establish IPMI v2 / RMCP\+ session", re.I)),
)


def classify_error(stderr: str) -> Optional[str]:
    """``privilege``, ``auth``, ``no_password``, ``no_device``, ``unreachable``, ``session`` or None."""
    for kind, pattern in _ERROR_PATTERNS:
        if pattern.search(stderr or ""):
            return kind
    return None
