# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lenovo / IBM IMM, IMM2 and XCC (manufacturer ids 19046, 20301, 2): shared or dedicated port.

The setting is an OEM LAN configuration parameter, 0xC0 on channel 1, as xCAT
uses it (``xCAT-genesis-scripts/usr/bin/bmcsetup``; meaning in xCAT's
``perl-xCAT/xCAT/Schema.pm``, ``ipmi.bmcport``):

  get ``raw 0x0c 0x02 0x01 0xc0 0x00 0x00`` -> parameter revision, then the port
      (xCAT reads the second field: ``awk '{print $2}'``)
  set ``raw 0x0c 0x01 0x01 0xc0 <port...>``
  port 0 shared (first onboard interface; some systems add a second byte, SD650
  "0 2"), 1 dedicated, 2 an ML2/mezzanine adapter port ("2 0" .. "2 3").

The exception xCAT documents: "For x3755 M3 systems, 0 means use the dedicated
port, 1 means shared".  That is an IBM-id system, so on manufacturer id 2
netmedic reads and reports but does not write.  There is no failover value in
this parameter; after a set the IMM moves its network configuration and takes
a moment to answer with the new value (xCAT polls it), which ensure_lan_mode's
read-back poll covers.

Not every 19046 board is an IMM/XCC: the original ThinkSystem SR635/SR655
(product id 1287) carry an AMI "TSM" BMC, for which xCAT selects the port with
other OEM commands (``raw 0x32 0x71``; xcat2/xcat-core commit 6dbc16c2, "Not
lab-validated").  netmedic neither asks nor writes parameter 0xC0 there.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import (
    DEDICATED, SHARED, IpmiParseError, McInfo)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.reading import (
    Reading, base, hexs, raw_form, sentence)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiCommandError, Ipmitool
from ansible_collections.netmedic.network.plugins.module_utils.bmc.vendors import known_as

NETFN = 0x0C
GET = (0x02, [0x01, 0xC0, 0x00, 0x00])     # Get LAN Configuration Parameters, channel 1, parameter 0xC0
SET = (0x01, [0x01, 0xC0])                 # Set LAN Configuration Parameters, channel 1, parameter 0xC0
IBM_ID = 2
LENOVO_ID = 19046
TSM_PRODUCTS = {1287: "ThinkSystem SR635/SR655 (AMI TSM)"}
NOT_AN_XCC = ("this board carries an AMI TSM BMC, not an IMM/XCC: xCAT selects its port with other OEM commands "
              "(raw 0x32 0x71, not lab-validated), so netmedic neither reads nor writes it; check and set the port "
              "in the TSM web interface (BMC network settings)")
PORTS = {0: "shared (onboard interface)", 1: "dedicated", 2: "shared (ML2 or mezzanine adapter)"}
NOT_WRITTEN_IBM = ("on IBM-id systems 0 and 1 mean the opposite on some models (xCAT: 'For x3755 M3 systems, "
                   "0 means use the dedicated port, 1 means shared'): netmedic reads but does not write; set the "
                   "port in the IMM web interface or UEFI setup")
NO_FAILOVER = "the IMM/XCC port parameter has no failover value: netmedic sets dedicated or shared"


def decode(data: Sequence[int]) -> Tuple[str, str, Tuple[int, ...]]:
    """(mode, words, port bytes) of the parameter 0xC0 answer (revision byte first)."""
    if len(data) < 2:
        raise IpmiParseError("an IMM/XCC should answer the port query with a revision byte and the port, got %d "
                             "byte(s) (%s)" % (len(data), hexs(data) or "nothing"))
    port = tuple(data[1:])
    if port[0] not in PORTS:
        raise IpmiParseError("IMM/XCC port value %02x is none of 00 shared, 01 dedicated, 02 adapter" % port[0])
    mode = DEDICATED if port[0] == 1 else SHARED
    words = PORTS[port[0]] + ("" if len(port) == 1 else ", port byte(s) %s" % hexs(port[1:]))
    return mode, words, port


def set_data(mode: str, port: Tuple[int, ...]) -> List[int]:
    """Parameter data that sets ``mode``: 01 dedicated; 00 shared, keeping the port byte a system uses (SD650)."""
    if mode == DEDICATED:
        return [0x01]
    if mode == SHARED:
        return [0x00] + (list(port[1:]) if port and port[0] == 0 else [])
    raise ValueError(NO_FAILOVER)


def read(tool: Ipmitool, info: McInfo, generation: str = "auto") -> Reading:
    cmd, request = GET
    form = raw_form(NETFN, cmd, request)
    if info.manufacturer_id == LENOVO_ID and info.product_id in TSM_PRODUCTS:
        return base(info, generation=TSM_PRODUCTS[info.product_id], method="lenovo-tsm", reason=NOT_AN_XCC,
                    why="manufacturer id %s, product id %d: %s, not an IMM/XCC"
                        % (known_as(info.manufacturer_id), info.product_id, TSM_PRODUCTS[info.product_id]))
    evidence = ["manufacturer id %s" % known_as(info.manufacturer_id),
                "IMM/XCC shared or dedicated port: OEM LAN parameter 0xC0 on channel 1, as xCAT's bmcsetup reads it"]
    try:
        data = tool.raw(NETFN, cmd, request)
        mode, words, port = decode(data)
    except IpmiCommandError as exc:
        if exc.cc is None:
            raise
        return base(info, generation="IMM/XCC", form=form, method="lenovo", why=sentence(evidence),
                    reason="the BMC refused the port query: %s" % exc)
    except IpmiParseError as exc:
        return base(info, generation="IMM/XCC", form=form, method="lenovo", why=sentence(evidence), reason=str(exc))
    ibm = info.manufacturer_id == IBM_ID
    return base(info, mode=mode, generation="IMM/XCC", form=form, method="lenovo", why=sentence(evidence),
                detail=words, raw=hexs(data), state=port,
                settable=() if ibm else (DEDICATED, SHARED), not_settable=NOT_WRITTEN_IBM if ibm else NO_FAILOVER)


def write(tool: Ipmitool, reading: Reading, mode: str) -> List[str]:
    problem = reading.refusal(mode)
    if problem:
        raise ValueError(problem)
    cmd, request = SET
    tool.raw(NETFN, cmd, request + set_data(mode, reading.state))
    return []
