# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bmc_lan_mode with rollback (issue 16): set the mode, watch that the BMC still answers, else set it back.

A LAN mode change can cut the very path that carried it: a BMC moved to a
port that is not cabled stops answering over the network.  With rollback on,
the BMC's health (:mod:`bmc.health`: answers, mode, GUID) is read before the
change; when the BMC does not answer after it (within ``reconnect_timeout``,
then for ``rollback_window`` while the health settles), the previous mode is
set back through the path that still answers, in-band first: ``ipmitool -I
open`` on the host running the module, used only when that BMC's GUID is the
GUID of the BMC we changed (run delegated to a management host, the local BMC
is another machine's), then the channel we used.  The mode set back is read
back through the same path.  No path answering is said as it is: what mode the
BMC was set to, what it was before, and how to reach it.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.bmc.health import BmcHealth, guid
from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import (
    LanModeError, LanModeRefused, Outcome, ensure_lan_mode, read_lan_mode, write_lan_mode)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import IpmiParseError
from ansible_collections.netmedic.network.plugins.module_utils.bmc.reading import Reading
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiError, Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback

ERRORS = (LanModeError, IpmiError, IpmiParseError)


def inband(tool: Ipmitool) -> Ipmitool:
    """The local BMC (``-I open``), with the same runner and timeout as ``tool``."""
    return Ipmitool(Target(interface="open"), runner=tool.runner, timeout=tool.timeout)


def _set_back(path: Ipmitool, previous: str, generation: str) -> str:
    reading = read_lan_mode(path, generation)
    if reading.mode == previous:
        return "%s is in %s mode already (read through %s)" % (path.target.describe(), previous,
                                                               path.target.interface)
    write_lan_mode(path, reading, previous)
    back = read_lan_mode(path, reading.method[-2:] if reading.method in ("supermicro-x9", "supermicro-x8")
                         else generation)
    if back.mode != previous:
        raise LanModeError("set it back to %s through %s, but it reports %s"
                           % (previous, path.target.interface, back.mode))
    return "LAN mode set back to %s through %s (read back)" % (previous, path.target.interface)


def undo(tool: Ipmitool, before: dict, wanted: str, generation: str, local: Optional[Ipmitool] = None) -> List[str]:
    """The previous mode through the first path that answers (in-band preferred); UndoFailed when none does."""
    previous, why = before["mode"], []
    paths = []
    if tool.target.remote:
        local = local or inband(tool)
        try:
            local_guid = guid(local)
        except IpmiError as exc:
            why.append("in-band: %s" % exc)
        else:
            if before.get("guid") and local_guid == before["guid"]:
                paths.append(local)
            else:
                why.append("in-band: the local BMC (GUID %s) is not the BMC that was changed (GUID %s), left alone"
                           % (local_guid, before.get("guid")))
    paths.append(tool)
    for path in paths:
        try:
            return [_set_back(path, previous, generation)]
        except ERRORS as exc:
            why.append("%s: %s" % (path.target.interface, tool.scrub(str(exc))))
    raise rollback.UndoFailed("no path to %s answers (%s). It was set from %s to %s mode; reach it from the console "
                              "or the other port and set %s again" % (tool.target.describe(), "; ".join(why),
                                                                      previous, wanted, previous))


@dataclasses.dataclass
class Guarded:
    outcome: Optional[Outcome]
    record: rollback.Record
    error: Optional[str] = None
    reading: Optional[Reading] = None    # without an outcome: the last mode read, when there was one


def ensure(tool: Ipmitool, wanted: Optional[str], settings: rollback.Settings, check_mode: bool = False,
           generation: str = "auto", local: Optional[Ipmitool] = None,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
           **options) -> Guarded:
    """:func:`bmc.lan.ensure_lan_mode` (``options``: its keyword arguments) with the ``rollback`` setting."""
    rec = rollback.record(settings, {"mode": wanted, "channel": tool.target.describe()})
    health = BmcHealth(tool, generation)
    if settings.enabled and wanted is not None:
        rollback.before(settings, health, rec)
    start = clock()
    try:
        out = ensure_lan_mode(tool, wanted, check_mode=check_mode, generation=generation, **options)
    except LanModeRefused as exc:
        rec.last_result = rollback.FAILED
        return Guarded(None, rec, str(exc) + " Nothing was changed.", exc.reading)
    except ERRORS as exc:
        rec.last_result = rollback.FAILED
        reading = getattr(exc, "reading", None)
        if not (settings.enabled and rec.before and rec.before["answers"]) or check_mode:
            return Guarded(None, rec, tool.scrub(str(exc)), reading)
        now = health.snapshot()
        worse = health.compare(rec.before, now)
        if not worse:
            return Guarded(None, rec, tool.scrub(str(exc)), reading)
        rollback.undo_and_report(settings, health, rec, lambda: undo(tool, rec.before, wanted, generation, local),
                                 worse, clock() - start, clock, sleep)
        return Guarded(None, rec, "%s. The change: %s" % (rec.message(), tool.scrub(str(exc))), reading)
    if not out.changed:
        rec.last_result = rollback.UNCHANGED
    elif check_mode:
        rec.last_result = rollback.WOULD_CHANGE
    else:
        rollback.guard(settings, health, rec, lambda: undo(tool, rec.before, wanted, generation, local),
                       clock=clock, sleep=sleep)
    return Guarded(out, rec, rec.message() if rec.stop_batch else None)
