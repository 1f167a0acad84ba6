# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The link counters a preflight records and a postflight compares with (the ``baseline``).

The preflight module returns them (``snapshots.link_flaps``), the controller
keeps them in its report (``preflight.json``, ``hosts.<h>.snapshots.link_flaps``)
and the postflight passes them back as ``options.link_flaps.baseline``.
Nothing is written on the host (issue 11: a snapshot file used to be saved
there, even under ``--check``)::

    {"format": "netmedic-link-snapshot", "version": 1, "taken": <epoch seconds>,
     "boot_id": "<kernel boot id>", "hostname": "...",
     "interfaces": {"eth0": {"ifindex": 2, "carrier": 1, "carrier_changes": 4,
                             "carrier_up_count": 2, "carrier_down_count": 2,
                             "operstate": "up", "admin_up": true}}}

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import math
import socket
import time
from typing import Any, Dict, Mapping, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.findings import short_repr

FORMAT = "netmedic-link-snapshot"
VERSION = 1


class SnapshotError(ValueError):
    """The recorded counters cannot be used; ``str()`` is for operators."""


def make_snapshot(links: Dict[str, Dict[str, Any]], boot: Optional[str], now: Optional[float] = None,
                  hostname: Optional[str] = None) -> Dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "taken": round(time.time() if now is None else now, 3),
            "boot_id": boot, "hostname": hostname if hostname is not None else socket.gethostname(),
            "interfaces": links}


def _interface_name(name: Any) -> bool:
    """What the kernel accepts as a name (dev_valid_name): 1-15 characters, no '/', ':' or whitespace."""
    return isinstance(name, str) and 0 < len(name) < 16 and name not in (".", "..") and \
        all(c.isprintable() and not c.isspace() and c not in "/:" for c in name)


def check_baseline(data: Any) -> Dict[str, Any]:
    """The recorded counters if they can be compared with, else SnapshotError saying why.

    They travel host -> controller report -> postflight options, so anything can
    happen to them on the way (an edited report, a report of another version).
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise SnapshotError("the preflight's link counters are not a netmedic link snapshot (format %s)"
                            % short_repr(data.get("format") if isinstance(data, Mapping) else type(data).__name__))
    if data.get("version") != VERSION:
        raise SnapshotError("the preflight's link counters have version %s; this netmedic reads version %d"
                            % (short_repr(data.get("version")), VERSION))
    interfaces = data.get("interfaces")
    if not isinstance(interfaces, Mapping) or not all(isinstance(v, Mapping) for v in interfaces.values()):
        raise SnapshotError("the preflight's link counters: 'interfaces' must map names to counters")
    bad = [k for k in interfaces if not _interface_name(k)]
    if bad:
        raise SnapshotError("the preflight's link counters name interfaces Linux cannot have: %s"
                            % ", ".join(short_repr(k, 40) for k in bad[:5]))
    taken = data.get("taken")
    if taken is not None and (isinstance(taken, bool) or not isinstance(taken, (int, float))
                              or not math.isfinite(taken)):
        raise SnapshotError("the preflight's link counters: 'taken' must be a time in seconds, got %s" % short_repr(taken))
    boot = data.get("boot_id")
    if boot is not None and not isinstance(boot, str):
        raise SnapshotError("the preflight's link counters: 'boot_id' must be a string, got %s" % short_repr(boot))
    return dict(data)
