# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The BGP sessions as the preflight saw them, for the postflight's "which sessions came back".

The preflight module returns it (``snapshots.bgp``), the controller keeps it in
its report (``hosts.<h>.snapshots.bgp``), and the postflight's comparison
(core/sessions.py) reads the one of the preflight and the one of now: a
session Established now that was down then, or that was established again
since (``connectionsEstablished`` grew), came back.  Nothing is written on the
host.  Keys are the sessions' finding subjects (``peer 10.0.0.1``, ``peer
10.0.0.1 vrf red (pathspace r1)``), so the comparison and the findings name
a session the same way.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

FORMAT = "netmedic-bgp-sessions"
VERSION = 1


def new(now: float) -> Dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "taken": round(now, 1), "sessions": {}}


def add(snap: Dict[str, Any], subject: str, peer: Dict[str, Any], detail: Optional[Dict[str, Any]]) -> None:
    """Record one session from its (latest) summary entry and its neighbor detail."""
    fams = peer.get("families", {}).values()
    detail = detail or {}
    states = sorted({f["state"] for f in fams} or ({detail["state"]} if detail.get("state") else set()))
    epochs = [f["established_epoch"] for f in fams if f.get("established_epoch") is not None]
    counts = [f["connectionsEstablished"] for f in fams if f.get("connectionsEstablished") is not None]
    if detail.get("connectionsEstablished") is not None:
        counts.append(detail["connectionsEstablished"])
    snap["sessions"][subject] = {
        "up": bool(states) and states == ["Established"], "state": ", ".join(states) or "unknown",
        "established_epoch": max(epochs) if epochs else None,
        "connections_established": max(counts) if counts else None,
    }
