# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which vendor a BMC is, from the IANA manufacturer id ``ipmitool mc info`` prints.

One BMC vendor can answer more than one id (issue 13: Supermicro boards that
answer 47488 were taken for an unknown vendor).  Every id here is cited:

* 10876 and 47488 Supermicro: ipmitool ``include/ipmitool/ipmi.h``
  (``IPMI_OEM_SUPERMICRO``, ``IPMI_OEM_SUPERMICRO_47488``, added in ipmitool
  commit 2d7fe32 "Supermicro memory ecc error display"); ipmiutil
  ``util/ipmicmd.h`` (``VENDOR_SUPERMICROX 0x00B980 /*=47488. used for
  Winbond/SuperMicro */``), and ipmiutil's ``smcoem lanport`` accepts both.
* 674 Dell: ipmitool ``IPMI_OEM_DELL``; xCAT bmcsetup checked it on R620 ...
  R930 (xcat2/xcat-core pull 1323).
* 2, 20301 IBM and 19046 Lenovo (IMM, IMM2, XCC): ipmitool ``IPMI_OEM_IBM_2``,
  ``IPMI_OEM_IBM_20301``; xCAT ``xCAT-genesis-scripts/usr/bin/bmcsetup``
  handles ``$IPMIMFG == 20301 -o 19046`` and 2 the same way.
* 343 Intel, 11 HPE: ipmitool ``IPMI_OEM_INTEL``, ``IPMI_OEM_HP``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

SUPERMICRO = "supermicro"
DELL = "dell"
LENOVO = "lenovo"
INTEL = "intel"
HPE = "hpe"
OTHER = "other"

# manufacturer id -> (vendor, the name an operator knows the id by)
MANUFACTURERS = {
    10876: (SUPERMICRO, "Supermicro"),
    47488: (SUPERMICRO, "Supermicro (the Winbond/Nuvoton BMC id, 0xB980)"),
    674: (DELL, "Dell"),
    2: (LENOVO, "IBM (System x, IMM)"),
    20301: (LENOVO, "IBM eServer X (IMM, IMM2)"),
    19046: (LENOVO, "Lenovo (IMM2, XCC)"),
    343: (INTEL, "Intel"),
    11: (HPE, "HPE (iLO)"),
}

SUPERMICRO_IDS = tuple(i for i, (v, _n) in MANUFACTURERS.items() if v == SUPERMICRO)


def vendor_of(manufacturer_id: int) -> str:
    """``supermicro``, ``dell``, ``lenovo``, ``intel``, ``hpe`` or ``other``."""
    return MANUFACTURERS.get(manufacturer_id, (OTHER, ""))[0]


def known_as(manufacturer_id: int) -> str:
    """How to name the id in a sentence: ``47488 (Supermicro (the Winbond/Nuvoton BMC id, 0xB980))``."""
    name = MANUFACTURERS.get(manufacturer_id, (OTHER, ""))[1]
    return "%d (%s)" % (manufacturer_id, name) if name else str(manufacturer_id)
