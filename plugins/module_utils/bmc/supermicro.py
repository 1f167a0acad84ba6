# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Supermicro's LAN interface mode (manufacturer ids 10876 and 47488): read, decode, set.

The X9-and-later form, confirmed by independent sources:
  get ``raw 0x30 0x70 0x0c 0x00`` -> one byte: 00 dedicated, 01 shared (onboard LAN1), 02 failover
  set ``raw 0x30 0x70 0x0c 0x01 <byte>``
* ipmiutil ``util/oem_supermicro.c`` (``oem_supermicro_get_lan_port`` /
  ``set_lan_port``, "Dedicated", "Onboard_LAN1", "Failover"), used for 10876 and 47488;
* prometheus-community/ipmi_exporter ``collector_sm_lan_mode.go`` (0 dedicated,
  1 shared, 2 failover) and its issue 47 (freeipmi ``rcvd: 70 00 02`` = failover);
* xCAT ``xCAT-genesis-scripts/usr/bin/bmcsetup`` (Supermicro FAQ 17953: ``1 0``
  dedicated, ``1 1`` shared), xcat2/xcat-core pull 7318 (FAQ 9848).

The X8 form has one public source and a conflicting second one:
* an operator wiki's X8/X9 table: get ``0x0c 0 0 0`` -> "00 00" failover,
  "01 00" dedicated, "01 01" onboard LAN; set ``1 1 0`` dedicated, ``1 1 1``
  onboard, ``1 0 0`` failover;
* a Puppet ``ipmi::network`` define ("for older models: ipmitool raw 0x30 0x70
  0x0c 1 1 0"; it then writes ``0x0c 1 1 <0|1|2>`` with the X9 numbers and says
  "would be good to figure out what the real difference is").
The two disagree on every set but dedicated, so netmedic reads the X8 form and
never writes it: an unknown mode left alone beats a wrong write on a BMC whose
port we may cut.

Which form a board speaks is decided from evidence, in this order:
1. the operator's ``generation`` (x9 or x8);
2. the board's own answer to the X9 get (harmless: a get);
3. the product id: ipmitool's list of X8-family boards (``supermicro_X8[]`` in
   ``include/ipmitool/ipmi_sel_supermicro.h``, ipmitool commit be11d94) - a
   board on it is not written even if it answers the X9 get (0x061E is both
   B8DTT and X9SCL in ipmitool's own product table).

X12/X13/H12/H13 (AST2600): no public capture of their answer was found
(ipmitool, ipmiutil, xCAT, ipmi_exporter and their issues); xCAT's bmcsetup
sends the X9 form to every 10876 board.  netmedic goes by the board's answer:
one valid byte is the X9 form, 0xc1 is "no such setting" (left alone).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import (
    CC_BAD_LENGTH, CC_INVALID_DATA, CC_NOT_SUPPORTED, DEDICATED, FAILOVER, MODES, SHARED, IpmiParseError, McInfo)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.reading import (
    Reading, base, hexs, raw_form, sentence)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiCommandError, Ipmitool
from ansible_collections.netmedic.network.plugins.module_utils.bmc.vendors import known_as

NETFN = 0x30
CMD = 0x70
SUB = 0x0C
GENERATIONS = ("auto", "x9", "x8")

X9_GET = [SUB, 0x00]
X9_MODES = {0: DEDICATED, 1: SHARED, 2: FAILOVER}
X8_GET = [SUB, 0x00, 0x00, 0x00]
X8_MODES = {(0, 0): FAILOVER, (1, 0): DEDICATED, (1, 1): SHARED}

# ipmitool include/ipmitool/ipmi_sel_supermicro.h, supermicro_X8[] (the B8, H8, P8 and X8 boards).
X8_FAMILY = frozenset((
    0x000A, 0x061C, 0x0620, 0x0101, 0x061F, 0x0612, 0x061E, 0xA111, 0x0408, 0x0811, 0x1411, 0x0911,
    0x1211, 0x1011, 0xCD11, 0x1111, 0xBE11, 0xCE11, 0xBD11, 0xBC11, 0xA911, 0xAA11, 0xCB11, 0xAD11,
    0xA811, 0xAC11, 0xAF11, 0xA511, 0xA011, 0x1611, 0x2511, 0xBF11, 0x1511, 0x2211, 0x2411, 0x1911,
    0xAB11, 0xD011, 0xAE11, 0xCA11, 0x0409, 0xA211, 0xA311, 0x1311, 0xBA11, 0xA711, 0xD111, 0x1711,
    0xCF11, 0x2011, 0x1811, 0x5980, 0x6280, 0x6480, 0x7380, 0x7480, 0x0933, 0x094F, 0xA880, 0x0403,
    0x0100, 0x0601, 0x0001, 0x0404, 0x0606, 0x0608, 0x0632, 0x0400, 0x0401, 0x0006, 0x040A, 0xF280,
    0x060F, 0x0609, 0x0008, 0x0613, 0x061B, 0x0007, 0x0600, 0x060C, 0x060D, 0x0614, 0x0003, 0x040B,
    0x0621, 0x0610, 0x0638, 0xF380, 0x060B, 0x040D, 0x0605, 0x062D, 0x060E, 0x061A, 0xF580, 0x062E,
    0x0009,
))

X8_NOT_WRITTEN = ("netmedic never writes the X8 form: its two public sources disagree on the set bytes "
                  "(see docs/bmc.md). Set it in the BMC web interface (Configuration > Network > LAN Interface) "
                  "or the BIOS (IPMI > BMC Network Configuration)")

_BOARD_RE = re.compile(r"^([XHBM])(\d{1,2})(?=[A-Z])")


def decode_x9(data: Sequence[int]) -> str:
    if len(data) != 1:
        raise IpmiParseError("a Supermicro X9+ BMC should answer the LAN-mode query with 1 byte, got %d (%s)"
                             % (len(data), hexs(data) or "nothing"))
    try:
        return X9_MODES[data[0]]
    except KeyError:
        raise IpmiParseError("Supermicro LAN mode byte 0x%02x is none of 00 dedicated, 01 shared, 02 failover"
                             % data[0]) from None


def decode_x8(data: Sequence[int]) -> str:
    if len(data) != 2:
        raise IpmiParseError("a Supermicro X8 BMC should answer the LAN-mode query with 2 bytes, got %d (%s)"
                             % (len(data), hexs(data) or "nothing"))
    try:
        return X8_MODES[(data[0], data[1])]
    except KeyError:
        raise IpmiParseError("Supermicro X8 LAN mode bytes %02x %02x are none of 00 00 failover, "
                             "01 00 dedicated, 01 01 shared" % (data[0], data[1])) from None


def set_data(mode: str) -> List[int]:
    """Request data (after netfn/cmd) that sets ``mode`` in the X9+ form."""
    if mode not in MODES:
        raise ValueError("unknown LAN mode %r" % mode)
    return [SUB, 0x01, {v: k for k, v in X9_MODES.items()}[mode]]


def board_generation(product_name: str) -> Optional[str]:
    """``X11DPT`` -> ``X11``; None when the name is not a board model (``Unknown (0x937)``)."""
    m = _BOARD_RE.match(product_name or "")
    return m.group(1) + m.group(2) if m else None


def _evidence(info: McInfo) -> List[str]:
    parts = ["manufacturer id %s" % known_as(info.manufacturer_id)]
    board = board_generation(info.product_name)
    if board:
        parts.append("product %s (ipmitool's product table)" % info.product_name)
    if info.product_id is not None:
        where = "is on" if info.product_id in X8_FAMILY else "is not on"
        parts.append("product id 0x%04x %s ipmitool's X8-family list" % (info.product_id, where))
    return parts


def read(tool: Ipmitool, info: McInfo, generation: str = "auto") -> Reading:
    """Read the mode; the Reading says which form and why."""
    if generation not in GENERATIONS:
        raise ValueError("generation must be one of %s" % ", ".join(GENERATIONS))
    evidence = _evidence(info)
    if generation == "x8":
        return _read_x8(tool, info, evidence + ["generation=x8 given by the operator"])
    data, refused = _get(tool, X9_GET)
    if isinstance(refused, IpmiParseError):
        return base(info, form=raw_form(NETFN, CMD, X9_GET), method="supermicro-x9", why=sentence(evidence),
                    reason=str(refused))
    if refused is not None:
        if refused.cc in CC_NOT_SUPPORTED:
            return base(info, generation=None, form=raw_form(NETFN, CMD, X9_GET), method="supermicro-x9",
                        why=sentence(evidence), reason="the BMC answers 'invalid command' (0x%02x) to the Supermicro "
                        "LAN-mode command: this board or firmware has no such setting over IPMI" % refused.cc)
        if refused.cc in (CC_BAD_LENGTH, CC_INVALID_DATA) and generation == "auto":
            return _read_x8(tool, info, evidence + ["the X9+ get was refused with 0x%02x, the answer an X8 board "
                                                    "gives to the short form" % refused.cc])
        return base(info, form=raw_form(NETFN, CMD, X9_GET), method="supermicro-x9", why=sentence(evidence),
                    reason="the BMC refused the Supermicro LAN-mode query: %s" % refused)
    try:
        mode = decode_x9(data)
    except IpmiParseError as exc:
        if generation == "auto" and len(data) == 2:
            return _read_x8(tool, info, evidence + ["the X9+ get answered 2 bytes (%s), not 1" % hexs(data)])
        return base(info, form=raw_form(NETFN, CMD, X9_GET), method="supermicro-x9", why=sentence(evidence),
                    raw=hexs(data), reason=str(exc))
    evidence.append("the board answered the X9+ get with one byte, %02x = %s" % (data[0], mode))
    listed = info.product_id in X8_FAMILY and generation != "x9"
    board = board_generation(info.product_name)
    return base(info, mode=mode, generation="%s, X9+ command form" % board if board else "X9 or later",
                form=raw_form(NETFN, CMD, X9_GET), why=sentence(evidence), raw=hexs(data), method="supermicro-x9",
                settable=() if listed else MODES,
                not_settable=("product id 0x%04x is on ipmitool's X8-family list although the board answers the X9+ "
                              "get: netmedic does not write to a board whose generation its sources disagree on "
                              "(give generation=x9 if you know it is X9 or later)" % info.product_id)
                if listed else None)


def _read_x8(tool: Ipmitool, info: McInfo, evidence: List[str]) -> Reading:
    data, refused = _get(tool, X8_GET)
    form = raw_form(NETFN, CMD, X8_GET)
    common = dict(generation="X8 (read-only)", form=form, method="supermicro-x8", not_settable=X8_NOT_WRITTEN)
    if refused is not None:
        return base(info, why=sentence(evidence), reason="the X8 form was refused as well: %s" % refused, **common)
    try:
        mode = decode_x8(data)
    except IpmiParseError as exc:
        return base(info, why=sentence(evidence), raw=hexs(data), reason=str(exc), **common)
    evidence.append("X8 form from one public source (docs/bmc.md): %s = %s" % (hexs(data), mode))
    return base(info, mode=mode, why=sentence(evidence), raw=hexs(data), **common)


def _get(tool: Ipmitool, request: List[int]) -> Tuple[List[int], Optional[Exception]]:
    """(answer bytes, None), or ([], why): a completion code, or an answer that is not hex bytes."""
    try:
        return tool.raw(NETFN, CMD, request), None
    except IpmiCommandError as exc:
        if exc.cc is None:
            raise
        return [], exc
    except IpmiParseError as exc:
        return [], exc


def write(tool: Ipmitool, reading: Reading, mode: str) -> List[str]:
    """Set ``mode`` in the X9+ form (the only form netmedic writes); notes from ipmitool (none)."""
    problem = reading.refusal(mode)
    if problem:
        raise ValueError(problem)
    tool.raw(NETFN, CMD, set_data(mode))
    return []
