# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and set a BMC's LAN interface mode (dedicated, shared, failover).

Incident 004: Supermicro BMCs ship in "failover" mode.  When the dedicated
port loses link the BMC moves onto the host's shared NIC and sends DHCP there,
which an active-backup bond takes for link and flaps on.  This module finds
the mode with the vendor's OEM command and sets the one the operator wants.

* Supermicro (manufacturer id 10876): ``raw 0x30 0x70 0x0c ...`` in the X9+
  form, or the longer X8 form (see parse.py for the byte layouts and sources).
* Dell (674): ``ipmitool delloem lan get`` / ``lan set ...``.
* Anything else, or a BMC that answers "invalid command" (0xc1): the mode is
  ``unknown``, a warning, and nothing is written.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import (
    CC_BAD_LENGTH, CC_INVALID_DATA, CC_NOT_SUPPORTED, DELL_SET_ARGS, MODES, SUPERMICRO_CMD, SUPERMICRO_NETFN,
    UNKNOWN, X8_GET, X9_GET, IpmiParseError, McInfo, decode_supermicro_x8, decode_supermicro_x9,
    parse_dell_lan, supermicro_set_data)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import (
    CIPHER_SUITE_RANGE, PORT_RANGE, IpmiCommandError, IpmiError, IpmiTimeout, IpmiUnreachable, Ipmitool)
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, SECONDS_OR_ZERO, range_errors

GENERATIONS = ("auto", "x9", "x8")

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
    """The mode could not be set or verified; ``str()`` is for operators."""


class LanModeRefused(LanModeError):
    """A change we will not make (remote change without allow_remote_change)."""


@dataclasses.dataclass(frozen=True)
class Reading:
    """What the BMC says about its LAN mode, and how we asked."""

    mode: str
    vendor: str
    manufacturer_id: int
    manufacturer_name: str = ""
    product_id: Optional[int] = None
    method: Optional[str] = None  # supermicro-x9 | supermicro-x8 | dell | None
    raw: Optional[str] = None  # the answer as ipmitool printed it
    reason: Optional[str] = None  # why the mode is unknown

    @property
    def known(self) -> bool:
        return self.mode in MODES

    def to_dict(self):
        return dataclasses.asdict(self)


def _unknown(info: McInfo, reason: str, method: Optional[str] = None, raw: Optional[str] = None) -> Reading:
    return Reading(mode=UNKNOWN, vendor=info.vendor, manufacturer_id=info.manufacturer_id,
                   manufacturer_name=info.manufacturer_name, product_id=info.product_id,
                   method=method, raw=raw, reason=reason)


def _hex(data: List[int]) -> str:
    return " ".join("%02x" % b for b in data)


def read_lan_mode(tool: Ipmitool, generation: str = "auto", info: Optional[McInfo] = None) -> Reading:
    """Identify the vendor (``mc info``) and read the LAN mode with its OEM command."""
    if generation not in GENERATIONS:
        raise ValueError("generation must be one of %s" % ", ".join(GENERATIONS))
    info = info or tool.mc_info()
    if info.vendor == "supermicro":
        return _read_supermicro(tool, info, generation)
    if info.vendor == "dell":
        return _read_dell(tool, info)
    return _unknown(info, "manufacturer id %d (%s) is neither Supermicro (10876) nor Dell (674): netmedic knows "
                    "no LAN-mode command for this BMC" % (info.manufacturer_id, info.manufacturer_name or "unnamed"))


def _read_supermicro(tool: Ipmitool, info: McInfo, generation: str) -> Reading:
    gens = ["x9", "x8"] if generation == "auto" else [generation]
    last_reason = ""
    for i, gen in enumerate(gens):
        more = i + 1 < len(gens)
        request = X9_GET if gen == "x9" else X8_GET
        method = "supermicro-" + gen
        try:
            data = tool.raw(SUPERMICRO_NETFN, SUPERMICRO_CMD, request)
        except IpmiCommandError as exc:
            if exc.cc in CC_NOT_SUPPORTED:
                return _unknown(info, "the BMC answers 'invalid command' (0x%02x) to the Supermicro LAN-mode "
                                "command: this board or firmware has no such setting" % exc.cc, method)
            if exc.cc in (CC_BAD_LENGTH, CC_INVALID_DATA) and more:
                last_reason = str(exc)
                continue  # an X8 board refuses the short X9 form: try the long one
            if exc.cc is None:
                raise
            return _unknown(info, "the BMC refused the Supermicro LAN-mode query: %s" % exc, method)
        except IpmiParseError as exc:
            return _unknown(info, str(exc), method)
        try:
            mode = decode_supermicro_x9(data) if gen == "x9" else decode_supermicro_x8(data)
        except IpmiParseError as exc:
            if more:
                last_reason = str(exc)
                continue
            return _unknown(info, str(exc), method, _hex(data))
        return Reading(mode=mode, vendor=info.vendor, manufacturer_id=info.manufacturer_id,
                       manufacturer_name=info.manufacturer_name, product_id=info.product_id,
                       method=method, raw=_hex(data))
    return _unknown(info, "neither the X9 nor the X8 form of the Supermicro LAN-mode command gave an answer "
                    "netmedic understands (%s)" % last_reason, "supermicro")


def _read_dell(tool: Ipmitool, info: McInfo) -> Reading:
    try:
        out = tool.run(["delloem", "lan", "get"])
    except IpmiCommandError as exc:
        return _unknown(info, "'ipmitool delloem lan get' failed: %s" % exc, "dell")
    try:
        mode = parse_dell_lan(out)
    except IpmiParseError as exc:
        return _unknown(info, str(exc), "dell", out.strip())
    return Reading(mode=mode, vendor=info.vendor, manufacturer_id=info.manufacturer_id,
                   manufacturer_name=info.manufacturer_name, product_id=info.product_id,
                   method="dell", raw=out.strip())


def write_lan_mode(tool: Ipmitool, reading: Reading, mode: str) -> None:
    """Send the vendor's set command for ``mode`` (as found by :func:`read_lan_mode`)."""
    if mode not in MODES:
        raise ValueError("unknown LAN mode %r" % mode)
    if reading.method in ("supermicro-x9", "supermicro-x8"):
        tool.raw(SUPERMICRO_NETFN, SUPERMICRO_CMD, supermicro_set_data(mode, reading.method[-2:]))
    elif reading.method == "dell":
        tool.run(["delloem", "lan", "set"] + DELL_SET_ARGS[mode])
    else:
        raise LanModeError("netmedic cannot set the LAN mode of this BMC (%s)" % (reading.reason or "unknown"))


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
            except (IpmiTimeout, IpmiUnreachable) as exc:
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


def ensure_lan_mode(tool: Ipmitool, wanted: Optional[str], check_mode: bool = False,
                    allow_remote_change: bool = False, reconnect_timeout: float = 60.0,
                    poll_interval: float = 2.0, generation: str = "auto",
                    sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Read the mode and, when ``wanted`` differs, set it and verify by reading it back.

    ``wanted=None`` only reads.  An unknown mode is a warning and nothing is
    written.  Over lanplus the change is refused unless ``allow_remote_change``
    (it can cut the very path in use); after it we poll until the BMC answers
    again, at most ``reconnect_timeout`` seconds.
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
    if tool.target.remote and not allow_remote_change:
        raise LanModeRefused(
            "%s is in %s mode, not %s, but changing it over the network can cut the path this play uses. "
            "Run it in-band on the host (interface=open), or set allow_remote_change=true when another "
            "path to the BMC stays up." % (tool.target.describe(), before.mode, wanted))
    out.changed = True
    if check_mode:
        out.after = dataclasses.replace(before, mode=wanted, raw=None)
        return out
    try:
        write_lan_mode(tool, before, wanted)
    except (IpmiTimeout, IpmiUnreachable) as exc:
        if not tool.target.remote:
            raise
        # The BMC may switch ports before its answer leaves: the re-read decides.
        out.warnings.append("no answer to the set command (%s); verifying by reading the mode again" % exc)
    if tool.target.remote:
        out.reconnect_seconds = round(wait_until_answers(tool, reconnect_timeout, poll_interval, sleep), 3)
    try:
        after = read_lan_mode(tool, before.method[-2:] if before.method in ("supermicro-x9", "supermicro-x8")
                              else generation)
    except IpmiError as exc:
        raise LanModeError("set %s to %s mode but could not read it back: %s"
                           % (tool.target.describe(), wanted, exc)) from None
    out.after = after
    if after.mode != wanted:
        raise LanModeError("set %s to %s mode, but it now reports %s (%s): the BMC did not take the change"
                           % (tool.target.describe(), wanted, after.mode, after.raw or after.reason))
    return out
