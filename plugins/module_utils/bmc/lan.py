# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and set a BMC's LAN interface mode (dedicated, shared, failover), per vendor.

Incident 004: Supermicro BMCs ship in "failover" mode.  When the dedicated
port loses link the BMC moves onto the host's shared NIC and sends DHCP there,
which an active-backup bond takes for link and flaps on.  This module finds
the vendor (``mc info``), reads the mode with that vendor's command and sets
the one the operator wants, then reads it back:

* Supermicro (10876, 47488): supermicro.py (X9+ form; X8 read-only)
* Dell (674): dell.py (11G/12G/13G through ``delloem``, 14G+ raw)
* Lenovo/IBM (19046, 20301, 2): lenovo.py (IMM/XCC port parameter)
* Intel (343): intel.py (per-channel LAN, read-only)
* HPE (11) and anything else: unknown, with what the operator can do.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bmc import dell, intel, lenovo, supermicro
from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import MODES, McInfo
from ansible_collections.netmedic.network.plugins.module_utils.bmc.reading import Reading, base
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import (
    CIPHER_SUITE_RANGE, NO_ANSWER, PORT_RANGE, IpmiError, Ipmitool)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.vendors import (
    DELL, HPE, INTEL, LENOVO, SUPERMICRO, known_as)
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, SECONDS_OR_ZERO, range_errors

GENERATIONS = supermicro.GENERATIONS
VENDORS = {SUPERMICRO: supermicro, DELL: dell, LENOVO: lenovo, INTEL: intel}

# What can and cannot be done where netmedic has no command (issue 13: say so, per vendor).
NO_COMMAND = {
    HPE: ("HPE iLO chooses its dedicated or shared network port in iLO itself (iLO web interface, RBSU, or Redfish: "
          "the manager's EthernetInterfaces, the shared network port), not over IPMI; netmedic cannot read it. "
          "Check it there"),
}


# Every numeric option of the bmc_lan_mode module, checked first thing with
# params.check_module_ranges (issue 11: command_timeout=nan crashed the module and
# reconnect_timeout=nan made it call ipmitool forever).
RANGES = {
    "port": PORT_RANGE,
    "cipher_suite": CIPHER_SUITE_RANGE,
    "command_timeout": SECONDS,
    "reconnect_timeout": SECONDS,
}


class LanModeError(Exception):
    """The mode could not be set or verified; ``str()`` is for operators, ``reading`` the last read (or None)."""

    def __init__(self, message: str, reading: Optional[Reading] = None):
        super().__init__(message)
        self.reading = reading


class LanModeRefused(LanModeError):
    """A change we will not make (remote change without allow_remote_change, a form we do not write)."""


def read_lan_mode(tool: Ipmitool, generation: str = "auto", info: Optional[McInfo] = None) -> Reading:
    """Identify the vendor (``mc info``) and read the LAN mode with its command."""
    if generation not in GENERATIONS:
        raise ValueError("generation must be one of %s" % ", ".join(GENERATIONS))
    info = info or tool.mc_info()
    handler = VENDORS.get(info.vendor)
    if handler is not None:
        return handler.read(tool, info, generation)
    reason = NO_COMMAND.get(info.vendor) or (
        "manufacturer id %s (%s) is none of the vendors netmedic has a LAN-mode command for (Supermicro 10876/47488, "
        "Dell 674, Lenovo/IBM 19046/20301/2, Intel 343)" % (known_as(info.manufacturer_id),
                                                            info.manufacturer_name or "unnamed"))
    return base(info, why="manufacturer id %s" % known_as(info.manufacturer_id), reason=reason)


def write_lan_mode(tool: Ipmitool, reading: Reading, mode: str) -> List[str]:
    """Send the vendor's set command for ``mode``; lines in which the tool said it did not happen."""
    if mode not in MODES:
        raise ValueError("unknown LAN mode %r" % mode)
    problem = reading.refusal(mode)
    handler = VENDORS.get(reading.vendor)
    if problem or handler is None:
        raise LanModeRefused("netmedic will not set %s mode on this BMC: %s"
                             % (mode, problem or reading.reason or "no command"))
    return handler.write(tool, reading, mode)


def wait_until_answers(tool: Ipmitool, timeout: float, interval: float = 2.0,
                       sleep: Callable[[float], None] = time.sleep,
                       clock: Callable[[], float] = time.monotonic) -> float:
    """Poll ``mc info`` until the BMC answers; seconds waited.  Bounded by ``timeout``."""
    _check_waits(timeout, interval)
    start = clock()
    saved = tool.timeout
    last = ""
    try:
        while True:
            remaining = timeout - (clock() - start)
            if remaining <= 0:
                raise LanModeError("%s did not answer again within %g s after the LAN mode change (%s). It may "
                                   "now be reachable only through the other port: check it from the console "
                                   "or in-band (interface=open)." % (tool.target.describe(), timeout, last))
            tool.timeout = max(1.0, min(saved, remaining))
            try:
                tool.mc_info()
                return clock() - start
            except NO_ANSWER as exc:
                last = str(exc)
            sleep(min(interval, max(0.0, timeout - (clock() - start))))
    finally:
        tool.timeout = saved


def _check_waits(reconnect_timeout: float, poll_interval: float) -> None:
    """A NaN or infinite wait would poll the BMC forever (``remaining <= 0`` is never true for NaN)."""
    errors = range_errors({"reconnect_timeout": reconnect_timeout, "poll_interval": poll_interval},
                          {"reconnect_timeout": SECONDS, "poll_interval": SECONDS_OR_ZERO})
    if errors:
        raise LanModeError("; ".join(errors))


@dataclasses.dataclass
class Outcome:
    before: Reading
    after: Reading
    changed: bool = False
    warnings: List[str] = dataclasses.field(default_factory=list)
    reconnect_seconds: Optional[float] = None
    notes: List[str] = dataclasses.field(default_factory=list)   # what ipmitool said about the set


# In-band the BMC answers at once; the read-back still gets a few seconds for the IMM/XCC, which
# moves its network configuration before it reports the new port (xCAT's bmcsetup polls it).
INBAND_VERIFY_SECONDS = 10.0


def ensure_lan_mode(tool: Ipmitool, wanted: Optional[str], check_mode: bool = False,
                    allow_remote_change: bool = False, reconnect_timeout: float = 60.0,
                    poll_interval: float = 2.0, generation: str = "auto",
                    sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Read the mode and, when ``wanted`` differs, set it and verify by reading it back.

    ``wanted=None`` only reads.  An unknown mode is a warning and nothing is
    written; a mode netmedic does not write on this board (an X8 form, a Dell
    blade's shared mode, Intel) is refused with the reason.  Over lanplus the
    change is refused unless ``allow_remote_change`` (it can cut the very path
    in use); after it we poll until the BMC answers again, at most
    ``reconnect_timeout`` seconds, and read the mode back until it shows.
    """
    if wanted is not None and wanted not in MODES:
        raise LanModeError("mode must be one of %s, not %r" % (", ".join(MODES), wanted))
    _check_waits(reconnect_timeout, poll_interval)  # before anything is written, not after
    before = read_lan_mode(tool, generation)
    out = Outcome(before=before, after=before)
    if not before.known:
        out.warnings.append("LAN mode of %s is unknown, left alone: %s" % (tool.target.describe(), before.reason))
        return out
    if wanted is None or before.mode == wanted:
        return out
    refusal = before.refusal(wanted)
    if refusal:
        raise LanModeRefused("%s is in %s mode (%s), not %s, and netmedic will not change it: %s"
                             % (tool.target.describe(), before.mode, before.detail or before.generation, wanted,
                                refusal), before)
    if tool.target.remote and not allow_remote_change:
        raise LanModeRefused(
            "%s is in %s mode, not %s, but changing it over the network can cut the path this play uses. "
            "Run it in-band on the host (interface=open), or set allow_remote_change=true when another "
            "path to the BMC stays up." % (tool.target.describe(), before.mode, wanted), before)
    out.changed = True
    if check_mode:
        out.after = dataclasses.replace(before, mode=wanted, raw=None, detail=None)
        return out
    try:
        out.notes = write_lan_mode(tool, before, wanted)
    except NO_ANSWER as exc:
        if not tool.target.remote:
            raise
        # The BMC may switch ports before its answer leaves: the re-read decides.
        out.warnings.append("no answer to the set command (%s); verifying by reading the mode again" % exc)
    if tool.target.remote:
        out.reconnect_seconds = round(wait_until_answers(tool, reconnect_timeout, poll_interval, sleep), 3)
    window = reconnect_timeout if tool.target.remote else min(reconnect_timeout, INBAND_VERIFY_SECONDS)
    out.after = _read_back(tool, before, wanted, out.notes, window, poll_interval, sleep, clock)
    return out


def _read_back(tool: Ipmitool, before: Reading, wanted: str, notes: List[str], window: float, interval: float,
               sleep: Callable[[float], None], clock: Callable[[], float]) -> Reading:
    """Read the mode until it is ``wanted``; at once a failure when the set said it did not happen."""
    generation = {"supermicro-x9": "x9", "supermicro-x8": "x8"}.get(before.method or "", "auto")
    start = clock()
    while True:
        try:
            after = read_lan_mode(tool, generation)
        except IpmiError as exc:
            raise LanModeError("set %s to %s mode but could not read it back: %s"
                               % (tool.target.describe(), wanted, exc)) from None
        if after.mode == wanted:
            return after
        if notes or clock() - start + interval > window:
            break
        sleep(interval)
    said = (" ipmitool said: %s." % " / ".join(notes)) if notes else ""
    advice = dell.advice(notes) if before.vendor == DELL else ""
    raise LanModeError("set %s to %s mode, but it still reports %s (%s): the BMC did not take the change.%s%s"
                       % (tool.target.describe(), wanted, after.mode, after.detail or after.raw or after.reason,
                          said, (" " + advice) if advice else ""), after)
